import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Logger } from '@nestjs/common';
import { ConfigValidationError, loadConfig, readEnvironment, type AppConfig } from '#chorus/core';
import { createApp } from './create-app.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(readEnvironment());
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\nSee .env.example for every variable and its default.\n`);
    process.exit(1);
  }
  const app = await createApp({ config });
  // SIGTERM/SIGINT close the app: the server stops accepting, in-flight requests finish, then the database closes.
  // The process then exits normally rather than by the signal, so that the logger's 'exit' handler
  // writes out the lines still buffered (the requests' and the shutdown's own).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  releaseStartupGarbage();
  await app.listen(config.http.port, config.http.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  new Logger('Chorus').log(`Listening on ${url}: API at ${url}/api/v1, docs at ${url}/docs (Node ${process.version})`);
}

/**
 * Starting leaves the heap grown by garbage (some 1,500 modules compiled, the app built, the
 * database migrated), and V8 keeps that memory until it next collects in earnest, which an idle
 * server may not do for a long time: about 50 MiB of resident memory. One full, compacting
 * collection before listening (about 0.1 s, before any request) returns it. Node only
 * offers one with --expose-gc, so the flag is set for the time it takes to fetch the function.
 */
function releaseStartupGarbage(): void {
  try {
    let gc = (globalThis as { gc?: (options?: object) => void }).gc;
    if (!gc) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as (options?: object) => void;
      setFlagsFromString('--no-expose-gc');
    }
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    // Only memory is at stake.
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Chorus failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
