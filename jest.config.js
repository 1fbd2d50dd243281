import { SWC_OPTIONS } from './test/support/swc-options.js';

/**
 * Jest runs the TypeScript sources as ES modules through SWC (Node needs
 * --experimental-vm-modules, which `npm test` sets). Each test file gets its own clean
 * database, cloned from one migrated in globalSetup: see test/support/test-database.ts.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', SWC_OPTIONS] },
  moduleNameMapper: {
    '^#chorus/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/load-nest-first.js'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testTimeout: 60_000,
  // Two cores: more workers only queue behind each other and PGlite's start-up.
  maxWorkers: 2,
};
