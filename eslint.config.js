import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const QUERIES_LIVE_IN_REPOSITORIES = "Queries live in *.repository.ts: call a repository method of this lib, or another lib's exported service.";

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'openapi/', 'bench/results/', '.data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through AppConfig (libs/core/src/config).' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='query']", message: `${QUERIES_LIVE_IN_REPOSITORIES} (.query)` },
        { selector: "CallExpression[callee.property.name='createQueryBuilder']", message: `${QUERIES_LIVE_IN_REPOSITORIES} (createQueryBuilder)` },
        { selector: "CallExpression[callee.property.name='getRepository']", message: `${QUERIES_LIVE_IN_REPOSITORIES} (getRepository)` },
        { selector: "CallExpression[callee.name='queryReturning']", message: `${QUERIES_LIVE_IN_REPOSITORIES} (queryReturning)` },
      ],
    },
  },
  {
    // Where queries belong; tests, harnesses and migrations that set up or inspect the database
    // directly; and the pool and migration plumbing every repository runs on.
    files: [
      '**/*.repository.ts',
      '**/*.spec.ts',
      '**/*.e2e-spec.ts',
      'test/**',
      'bench/**',
      'scripts/**',
      'migrations/**',
      'libs/core/src/database/**',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The readiness probe's `SELECT 1` asks whether the database answers, not anything about a table.
    files: ['libs/core/src/health/health.indicators.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The one reader of the environment, and the harnesses that start servers with their own.
    files: ['libs/core/src/config/app-config.ts', 'test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['scripts/**'],
    languageOptions: { globals: { fetch: 'readonly' } },
  },
);
