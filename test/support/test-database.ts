import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres, loadConfig, openDatabase, runPendingMigrations } from '#chorus/core';
import { SCHEMA } from '../../apps/api/src/app.module.js';

/**
 * Tests run on the embedded PGlite database by default and on PostgreSQL when DATABASE_URL is
 * set (CI does both). One database is migrated per run; every test file then gets its own
 * clean copy of it: a PostgreSQL database cloned from a template, or a PGlite instance
 * restored from a snapshot.
 */
export interface TestDatabase {
  readonly url: string;
  /** PGlite serves one connection at a time, as in the embedded default. */
  readonly poolSize: number;
  drop(): Promise<void>;
}

export function externalDatabaseUrl(): string | undefined {
  return process.env['DATABASE_URL'] || undefined;
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await migratedTemplate();
  const serverUrl = externalDatabaseUrl();
  if (serverUrl) {
    const name = `chorus_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await cloneDatabase(serverUrl, template, name);
    return {
      url: withDatabaseName(serverUrl, name),
      poolSize: 4,
      drop: () => onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  const embedded = await EmbeddedPostgres.start({
    dataDir: 'memory://',
    host: '127.0.0.1',
    port: 0,
    snapshot: new Blob([readFileSync(template)]),
  });
  return { url: embedded.url, poolSize: 1, drop: () => embedded.stop() };
}

let template: Promise<string> | undefined;

/**
 * The run's migrated template: a database name on PostgreSQL, a snapshot file for PGlite.
 * The first worker to get here builds it while holding a lock directory; the others wait
 * for its `ready` file. global-teardown.js removes it.
 */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const run = process.env['CHORUS_TEST_RUN'];
    if (!run) throw new Error('Run the tests through `npm test` (jest.config.js names the run in globalSetup).');
    const directory = join(tmpdir(), `chorus-test-${run}`);
    const readyFile = join(directory, 'ready');
    mkdirSync(directory, { recursive: true });
    try {
      mkdirSync(join(directory, 'lock'));
    } catch {
      return waitForFile(readyFile);
    }
    const built = await buildTemplate(run, directory);
    writeFileSync(readyFile, built);
    return built;
  })();
  return template;
}

async function buildTemplate(run: string, directory: string): Promise<string> {
  const serverUrl = externalDatabaseUrl();
  if (serverUrl) {
    const name = `chorus_template_${run}`;
    await onServer(serverUrl, `CREATE DATABASE ${name}`);
    await migrate(withDatabaseName(serverUrl, name), 2);
    return name;
  }
  const embedded = await EmbeddedPostgres.start({ dataDir: 'memory://', host: '127.0.0.1', port: 0 });
  try {
    await migrate(embedded.url, 1);
    const file = join(directory, 'snapshot.tar');
    writeFileSync(file, Buffer.from(await (await embedded.snapshot()).arrayBuffer()));
    return file;
  } finally {
    await embedded.stop();
  }
}

async function waitForFile(file: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for the test database template (${file})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return readFileSync(file, 'utf8');
}

async function migrate(url: string, poolSize: number): Promise<void> {
  const config = loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: String(poolSize) });
  const database = await openDatabase(config, SCHEMA);
  try {
    await runPendingMigrations(database.dataSource);
  } finally {
    await database.close();
  }
}

/** CREATE DATABASE ... TEMPLATE refuses while another clone of the same template is starting: retry. */
async function cloneDatabase(serverUrl: string, template: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await onServer(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
      return;
    } catch (error) {
      if (attempt >= 10 || !/being accessed by other users/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  await onDatabase(serverUrl, (client) => client.query(sql));
}

/** Runs `use` on a connection of its own to the database at `url`, as no application sees it, and closes it. */
export async function onDatabase<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
