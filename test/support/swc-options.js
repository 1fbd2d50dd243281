/**
 * How SWC compiles the TypeScript sources for tests: by Jest (jest.config.js), and by the module
 * hooks that run the server from source as a real process (ts-hooks.mjs).
 */
export const SWC_OPTIONS = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};
