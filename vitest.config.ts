import { defineConfig } from 'vitest/config';

// The suite in four projects, so one kind can run alone (`npm test -- --project unit`):
// - process: starts compiled or tsx child processes (crashes, the CLI, the built output);
// - postgres: needs TEST_DATABASE_URL (skips with a message without it);
// - browser: drives Debian's chromium (skips with a message without it);
// - unit: everything else, in process on :memory: databases.
const PROCESS = [
  'test/build.test.ts',
  'test/cli-*.test.ts',
  'test/config.test.ts',
  'test/crash*.test.ts',
  'test/server-staff-login.test.ts',
  'test/sqlite-processes.test.ts',
  'test/tick-now.test.ts',
];
const POSTGRES = ['test/**/*postgres*.test.ts'];
const BROWSER = ['test/browser-*.test.ts'];
const ALL = ['test/**/*.test.ts', 'test/**/*.test.tsx'];

const shared = { testTimeout: 20_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'unit', include: ALL, exclude: [...PROCESS, ...POSTGRES, ...BROWSER] } },
      { test: { ...shared, name: 'process', include: PROCESS, exclude: POSTGRES } },
      { test: { ...shared, name: 'postgres', include: POSTGRES } },
      { test: { ...shared, name: 'browser', include: BROWSER } },
    ],
  },
});
