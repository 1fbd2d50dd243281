// NestJS 12 is ESM; @nestjs/throttler and nestjs-pino are CommonJS packages that require() it.
// Node refuses require(esm) while the ES module is still in the graph being linked, which is
// where Jest's static imports would put it: loading Nest fully first, here, avoids the cycle.
await import('@nestjs/common');
await import('@nestjs/core');
