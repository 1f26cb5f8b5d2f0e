import { defineConfig } from 'drizzle-kit';

// PostgreSQL (DATABASE_URL): `npm run db:generate:postgres` writes its migrations.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/postgres/schema.ts',
  out: './db/migrations/postgres',
});
