// The linter CI runs (`npm run lint`, from .ci/run): typescript-eslint's
// recommended rules, and the layers of the code as rules, so an import that
// runs back up (a lower layer importing a higher one) fails the build.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const TOP = String.raw`(app|deps|boot|index)\.js$`;

/**
 * What each layer may not import, as a pattern of the import's path: every
 * layer above it (the README's "Storage" draws them). A layer folder sits
 * one level under src/, the leaf modules at src/ itself.
 */
const ABOVE = {
  staff: [String.raw`^\.\./(routes|cli)/`, String.raw`^\.\./${TOP}`],
  subscribers: [String.raw`^\.\./(staff|routes|cli)/`, String.raw`^\.\./${TOP}`],
  nurture: [String.raw`^\.\./(subscribers|staff|routes|cli)/`, String.raw`^\.\./${TOP}`],
  mail: [String.raw`^\.\./(nurture|subscribers|staff|routes|cli)/`, String.raw`^\.\./${TOP}`],
  leaf: [String.raw`^\./(mail|nurture|subscribers|staff|routes|cli)/`, String.raw`^\./${TOP}`],
  db: [String.raw`(^|/)src/`, String.raw`(^|/)emails/`],
  emails: [String.raw`(^|/)src/`, String.raw`(^|/)db/(?!enums\.js$)`],
};

const layer = (files, regexes) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: regexes.map((regex) => ({ regex, message: 'Imports run one way, down the layers: this module is above the importing one.' })) }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'db/migrations/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      // Unused names are dead code; a leading underscore marks one kept on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Type-only imports say so, so nothing loads a module for its types.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A server's handler may close over what is assigned once the server listens.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  layer(['src/staff/**'], ABOVE.staff),
  layer(['src/subscribers/**'], ABOVE.subscribers),
  layer(['src/nurture/**'], ABOVE.nurture),
  layer(['src/mail/**'], ABOVE.mail),
  layer(['src/address.ts', 'src/audit.ts', 'src/rate-limit.ts', 'src/logger.ts', 'src/clock.ts', 'src/config.ts', 'src/env.ts'], ABOVE.leaf),
  layer(['db/**'], ABOVE.db),
  layer(['emails/**'], ABOVE.emails),
  {
    // Plain scripts the bench starts as node processes.
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Tests and benches reach into every layer and build odd values on purpose.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
