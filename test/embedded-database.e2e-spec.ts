import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '#chorus/core';
import { createApp } from '../apps/api/src/create-app.js';
import { CapturedLogs } from './support/test-app.js';

/** The app exactly as `npm start` runs it: no DATABASE_URL, PGlite in a data directory. */
async function startEmbeddedApp(dataDir: string): Promise<{ app: NestExpressApplication; logs: CapturedLogs }> {
  const logs = new CapturedLogs();
  const config = loadConfig({ NODE_ENV: 'test', LOG_FORMAT: 'json', EMBEDDED_DB_DIR: dataDir });
  return { app: await createApp({ config, logDestination: logs }), logs };
}

describe('embedded database (PGlite)', () => {
  let dataDir: string;
  let app: NestExpressApplication;
  let logs: CapturedLogs;

  beforeAll(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'chorus-embedded-')), 'pg');
    ({ app, logs } = await startEmbeddedApp(dataDir));
    await app.get(DataSource).query('CREATE TABLE probe_writes (id serial PRIMARY KEY, writer text NOT NULL)');
  });

  afterAll(async () => {
    await app?.close();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('starts with no configuration, is ready, and says how to connect psql', async () => {
    await request(app.getHttpServer()).get('/health/ready').expect(200);
    const hint = logs.lines.find((line) => String(line['msg']).includes('psql'));
    expect(hint?.['msg']).toMatch(/psql "postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres"/);
  });

  it('keeps concurrent transactions apart: a rollback loses nothing of the others', async () => {
    const dataSource = app.get(DataSource);
    const insert = (runner: { query: DataSource['query'] }, writer: string) =>
      runner.query('INSERT INTO probe_writes (writer) VALUES ($1)', [writer]);

    const committed = dataSource.transaction(async (manager) => {
      await insert(manager, 'committed');
      await sleep(30);
      await insert(manager, 'committed');
    });
    const rolledBack = dataSource.transaction(async (manager) => {
      await insert(manager, 'rolled-back');
      await sleep(10);
      await insert(manager, 'rolled-back');
      throw new Error('abort this transaction');
    });
    const autocommits = Array.from({ length: 10 }, () => insert(dataSource, 'autocommit'));
    const outcomes = await Promise.allSettled([committed, rolledBack, ...autocommits]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', ...Array(10).fill('fulfilled')]);
    const counts = await dataSource.query('SELECT writer, count(*)::int AS n FROM probe_writes GROUP BY writer ORDER BY writer');
    expect(counts).toEqual([
      { writer: 'autocommit', n: 10 },
      { writer: 'committed', n: 2 },
    ]);
  });

  it('refuses a second process on the same data directory while the first runs', async () => {
    await expect(startEmbeddedApp(dataDir)).rejects.toThrow(/is in use by process/);
  });

  it('takes over a lock left by a crash: a dead process, or our own pid from a previous life (a container PID 1)', async () => {
    for (const leftover of ['999999999', String(process.pid)]) {
      const otherDir = join(mkdtempSync(join(tmpdir(), 'chorus-stale-')), 'pg');
      writeFileSync(`${otherDir}.lock`, leftover);
      const started = await startEmbeddedApp(otherDir);
      await request(started.app.getHttpServer()).get('/health/ready').expect(200);
      await started.app.close();
      rmSync(join(otherDir, '..'), { recursive: true, force: true });
    }
  });

  it('keeps the data across a restart on the same data directory', async () => {
    const before = await app.get(DataSource).query('SELECT count(*)::int AS n FROM probe_writes');
    await app.close();

    ({ app, logs } = await startEmbeddedApp(dataDir));
    const after = await app.get(DataSource).query('SELECT count(*)::int AS n FROM probe_writes');
    expect(after).toEqual(before);
    expect(after[0].n).toBe(12);
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });
});
