import { defineConfig } from 'drizzle-kit';

// SQLite, the embedded default. `npm run db:generate` writes its migrations.
export default defineConfig({
  dialect: 'sqlite',
  schema: './db/sqlite/schema.ts',
  out: './db/migrations/sqlite',
  dbCredentials: { url: process.env.DATABASE_PATH ?? 'data/nurture.db' },
});
