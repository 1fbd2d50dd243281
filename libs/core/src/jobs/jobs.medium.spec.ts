import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Global, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { testEnvironment } from '../../../../test/support/test-app.js';
import { latch, untilWith } from '../../../../test/support/waiting.js';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { BullmqJobs } from './bullmq-jobs.js';
import { InProcessJobs } from './in-process-jobs.js';
import { JobMetrics } from './job-metrics.js';
import { Jobs, type JobRun } from './jobs.js';
import { JobsModule, createJobs } from './jobs.module.js';
import { CapturedLogger } from '../../../../test/support/captured-logger.js';

type Runner = InProcessJobs | BullmqJobs;

/** A long shutdown timeout: a test that reaches it has failed anyway. */
const BASE = loadConfig(testEnvironment(undefined, { SHUTDOWN_TIMEOUT_MS: '5000' }));
const REDIS_URL = BASE.redis.url;

/** Each test gets a configuration of its own: with Redis, a key prefix of its own (removed after it). */
const runners: Array<[string, () => AppConfig]> = [['in process', () => ({ ...BASE, redis: { ...BASE.redis, url: undefined } })]];
if (REDIS_URL) runners.push(['on BullMQ', () => ({ ...BASE, redis: { url: REDIS_URL, keyPrefix: `chorus-test:jobs:${randomUUID()}:` } })]);

/** Resolves when `condition` holds (checked every 5 ms); fails naming `what` when it does not within 5 s. */
const until = untilWith({ timeoutMs: 5_000, everyMs: 5 });

/** `chorus_jobs_total` of one kind, by outcome. */
async function outcomes(metrics: MetricsService, job: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [, name, outcome, value] of (await metrics.exposition()).matchAll(/^chorus_jobs_total\{job="([^"]*)",outcome="([^"]*)"\} (\d+)$/gm)) {
    if (name === job) counts[outcome!] = Number(value);
  }
  return counts;
}

const logs = new CapturedLogger();
Logger.overrideLogger(logs);

/**
 * Medium tier: the background job runners, as JobsModule makes them, against the same
 * behavioural suite: in process always, and on BullMQ with the machine's Redis when REDIS_URL
 * is set (each test under a key prefix of its own). A runner is one process's: two runners on one
 * Redis are two processes of a deployment. Lifecycle hooks are called as Nest calls them.
 */
describe.each(runners)('Jobs %s', (runnerName, configure) => {
  /** The runners a test opened, and whether they were shut down. */
  const opened = new Map<Runner, boolean>();
  const prefixes = new Set<string>();
  let config: AppConfig;

  /** A runner with a metrics registry of its own, not yet bootstrapped. */
  async function open(runnerConfig = config): Promise<{ sut: Runner; metrics: MetricsService }> {
    const metrics = new MetricsService();
    const sut = (await createJobs(runnerConfig, new JobMetrics(metrics))) as Runner;
    opened.set(sut, false);
    prefixes.add(runnerConfig.redis.keyPrefix);
    return { sut, metrics };
  }

  /** As Nest shuts an application down. */
  async function shutDown(sut: Runner): Promise<void> {
    if (opened.get(sut)) return;
    opened.set(sut, true);
    await sut.beforeApplicationShutdown();
    if (sut instanceof BullmqJobs) await sut.onApplicationShutdown();
  }

  beforeEach(() => {
    config = configure();
    logs.lines.length = 0;
  });

  afterEach(async () => {
    await Promise.all([...opened.keys()].map(shutDown));
    opened.clear();
    if (!REDIS_URL) return;
    const redis = new Redis(REDIS_URL);
    for (const prefix of prefixes) {
      for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.unlink(...keys);
      }
    }
    prefixes.clear();
    await redis.quit();
  });

  it('is the runner the configuration asks for', async () => {
    const { sut } = await open();
    expect(sut).toBeInstanceOf(runnerName === 'on BullMQ' ? BullmqJobs : InProcessJobs);
  });

  it('runs a job with a copy of its data, and tells the handler its id and attempt', async () => {
    const { sut, metrics } = await open();
    const runs: Array<{ data: unknown; run: JobRun }> = [];
    sut.define<{ conversationId: string; at: Date }>('conversation.title', {
      handler: async (data, run) => void runs.push({ data, run }),
    });
    sut.onApplicationBootstrap();

    // An id with a ':' (BullMQ refuses one in its own ids) reaches the handler as given.
    await sut.enqueue('conversation.title', { conversationId: 'c-1', at: new Date('2026-12-01T10:00:00Z') }, { jobId: 'title:c-1' });

    await until('the job ran', () => runs.length === 1);
    expect(runs).toEqual([{ data: { conversationId: 'c-1', at: '2026-12-01T10:00:00.000Z' }, run: { id: 'title:c-1', attempt: 1 } }]);
    await until('the run is counted', async () => (await outcomes(metrics, 'conversation.title')).completed === 1);
    expect(await outcomes(metrics, 'conversation.title')).toEqual({ completed: 1 });
    expect(await metrics.exposition()).toMatch(/^chorus_job_duration_seconds_count\{job="conversation\.title"\} 1$/m);
  });

  it('retries a job that throws, waiting the backoff and twice as long the next time, until an attempt succeeds', async () => {
    const { sut, metrics } = await open();
    const attempts: Array<{ attempt: number; id: string; at: number }> = [];
    sut.define('flaky', {
      attempts: 3,
      backoffMs: 50,
      handler: async (_data, run) => {
        attempts.push({ attempt: run.attempt, id: run.id, at: performance.now() });
        if (run.attempt < 3) throw new Error(`provider timeout #${run.attempt}`);
      },
    });
    sut.onApplicationBootstrap();

    await sut.enqueue('flaky', { n: 1 }, { jobId: 'flaky-1' });

    await until('the third attempt is counted', async () => (await outcomes(metrics, 'flaky')).completed === 1);
    expect(attempts.map(({ attempt, id }) => ({ attempt, id }))).toEqual([
      { attempt: 1, id: 'flaky-1' },
      { attempt: 2, id: 'flaky-1' },
      { attempt: 3, id: 'flaky-1' },
    ]);
    // Lower bounds only (a little under, for timer granularity and Redis's clock): a backoff is a wait, never a deadline.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(45);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(95);
    expect(await outcomes(metrics, 'flaky')).toEqual({ retried: 2, completed: 1 });
    expect(logs.messages({ level: 'warn', context: 'Jobs', text: 'Job flaky flaky-1' })).toEqual([
      'Job flaky flaky-1 failed on attempt 1 of 3, retrying in 50 ms: provider timeout #1',
      'Job flaky flaky-1 failed on attempt 2 of 3, retrying in 100 ms: provider timeout #2',
    ]);
    expect(logs.messages({ level: 'error', context: 'Jobs', text: 'Job flaky' })).toEqual([]);
  });

  it('fails a job that throws on every attempt, and logs the failure at error, without a stack', async () => {
    const { sut, metrics } = await open();
    let calls = 0;
    const jobId = `doomed-${randomUUID()}`;
    sut.define('doomed', {
      attempts: 2,
      backoffMs: 10,
      handler: async () => {
        calls++;
        throw new Error('the provider is down');
      },
    });
    sut.onApplicationBootstrap();

    await sut.enqueue('doomed', {}, { jobId });

    await until('the failure is counted', async () => (await outcomes(metrics, 'doomed')).failed === 1);
    expect(await outcomes(metrics, 'doomed')).toEqual({ retried: 1, failed: 1 });
    expect(logs.messages({ level: 'error', context: 'Jobs', text: jobId })).toEqual([`Job doomed ${jobId} failed on its last attempt (2 of 2): the provider is down`]);
    expect(logs.messages({ level: 'warn', context: 'Jobs', text: jobId })).toEqual([`Job doomed ${jobId} failed on attempt 1 of 2, retrying in 10 ms: the provider is down`]);
    await sleep(100);
    expect(calls).toBe(2);
  });

  it('runs a job once for an id, however often and however concurrently it is enqueued; ids are per kind', async () => {
    const { sut } = await open();
    const ran: string[] = [];
    // One at a time, in order: when "c-2" has run, any second "c-1" queued before it would have run too.
    sut.define<{ n: number }>('title', { concurrency: 1, handler: async (data, run) => void ran.push(`title ${run.id} #${data.n}`) });
    sut.define('summary', { handler: async (_data, run) => void ran.push(`summary ${run.id}`) });
    sut.onApplicationBootstrap();

    await Promise.all([1, 2, 3, 4, 5].map((n) => sut.enqueue('title', { n }, { jobId: 'c-1' })));
    await sut.enqueue('title', { n: 6 }, { jobId: 'c-1' });
    await until('c-1 ran', () => ran.some((line) => line.startsWith('title c-1')));
    // Completed, and enqueued again within the hour: still not run again.
    await sut.enqueue('title', { n: 7 }, { jobId: 'c-1' });
    await sut.enqueue('summary', {}, { jobId: 'c-1' });
    await sut.enqueue('title', { n: 8 }, { jobId: 'c-2' });

    await until('c-2 and the summary ran', () => ran.includes('title c-2 #8') && ran.includes('summary c-1'));
    expect(ran.filter((line) => line.startsWith('title c-1'))).toHaveLength(1);
    expect(ran.filter((line) => line.startsWith('title c-1'))[0]).toMatch(/^title c-1 #[1-5]$/);
  });

  it('runs no more jobs of a kind at once than its concurrency', async () => {
    const { sut } = await open();
    let running = 0;
    let most = 0;
    let done = 0;
    sut.define('thumbnail', {
      concurrency: 2,
      handler: async () => {
        most = Math.max(most, ++running);
        await sleep(30);
        running--;
        done++;
      },
    });
    for (let n = 0; n < 5; n++) await sut.enqueue('thumbnail', { n });

    sut.onApplicationBootstrap();

    await until('all five ran', () => done === 5);
    expect(most).toBe(2);
  });

  it('runs a delayed job no earlier than its delay', async () => {
    const { sut } = await open();
    let ranAt: number | undefined;
    sut.define('reminder', { handler: async () => void (ranAt = performance.now()) });
    sut.onApplicationBootstrap();

    const enqueuedAt = performance.now();
    await sut.enqueue('reminder', {}, { delayMs: 150 });

    await until('the reminder ran', () => ranAt !== undefined);
    expect(ranAt! - enqueuedAt).toBeGreaterThanOrEqual(140);
  });

  it('keeps what is enqueued or scheduled before bootstrap, and runs it only once bootstrapped', async () => {
    const { sut } = await open();
    const ran: string[] = [];
    sut.define<{ n: number }>('welcome', { handler: async (data) => void ran.push(`welcome #${data.n}`) });
    sut.define('sweep', { handler: async () => void ran.push('sweep') });
    await sut.enqueue('welcome', { n: 1 });
    await sut.enqueue('welcome', { n: 2 }, { jobId: 'welcome-2' });
    await sut.every('sweep', 60_000);

    await sleep(150);
    expect(ran).toEqual([]);

    sut.onApplicationBootstrap();

    await until('both jobs and the first sweep ran', () => ran.length === 3);
    expect(ran.sort()).toEqual(['sweep', 'welcome #1', 'welcome #2']);
  });

  it('runs a scheduled kind at once and then every interval, with undefined data', async () => {
    const { sut, metrics } = await open();
    const runs: Array<{ data: unknown; id: string }> = [];
    sut.define('heartbeat', { handler: async (data, run) => void runs.push({ data, id: run.id }) });
    await sut.every('heartbeat', 100);
    sut.onApplicationBootstrap();

    await until('three runs', () => runs.length >= 3);
    expect(runs.slice(0, 3).map(({ data }) => data)).toEqual([undefined, undefined, undefined]);
    expect(new Set(runs.map(({ id }) => id)).size).toBe(runs.length);
    await until('the runs are counted', async () => ((await outcomes(metrics, 'heartbeat')).completed ?? 0) >= 3);
  });

  it('at shutdown takes no new job, and waits for the running one to finish', async () => {
    const { sut, metrics } = await open();
    const gate = latch();
    const started: string[] = [];
    sut.define('export', {
      concurrency: 1,
      handler: async (_data, run) => {
        started.push(run.id);
        await gate.released;
      },
    });
    sut.onApplicationBootstrap();
    await sut.enqueue('export', {}, { jobId: 'export-1' });
    await sut.enqueue('export', {}, { jobId: 'export-2' });
    await until('the first export started', () => started.length === 1);

    let stopped = false;
    const stopping = shutDown(sut).then(() => (stopped = true));
    await sleep(150);
    expect(stopped).toBe(false);

    gate.release();
    await stopping;
    expect(await outcomes(metrics, 'export')).toEqual({ completed: 1 });
    expect(started).toEqual(['export-1']);
  });

  it('at shutdown waits for a running job no longer than the shutdown timeout', async () => {
    const { sut } = await open({ ...config, http: { ...config.http, shutdownTimeoutMs: 100 } });
    const gate = latch();
    let started = false;
    sut.define('stuck', {
      handler: async () => {
        started = true;
        await gate.released;
      },
    });
    sut.onApplicationBootstrap();
    await sut.enqueue('stuck', {});
    await until('the job started', () => started);

    await shutDown(sut);

    expect(logs.messages({ level: 'warn', context: 'Jobs', text: 'still running after 100 ms' })).toHaveLength(1);
    gate.release();
  });

  it('refuses a kind that was never defined, at enqueue and at every', async () => {
    const { sut } = await open();
    sut.onApplicationBootstrap();

    await expect(sut.enqueue('nope', {})).rejects.toThrow('No job kind "nope" is defined');
    await expect(sut.every('nope', 1_000)).rejects.toThrow('No job kind "nope" is defined');
  });

  it('refuses a kind defined after bootstrap, or twice', async () => {
    const { sut } = await open();
    const handler = async (): Promise<void> => undefined;
    sut.define('once', { handler });
    expect(() => sut.define('once', { handler })).toThrow('Job kind "once" is defined twice');
    sut.onApplicationBootstrap();
    expect(() => sut.define('late', { handler })).toThrow('Job kind "late" is defined after the application started');
  });

  it('is provided by JobsModule, driven by the application lifecycle', async () => {
    const ran: string[] = [];

    @Injectable()
    class Welcomes implements OnModuleInit {
      constructor(private readonly jobs: Jobs) {}
      async onModuleInit(): Promise<void> {
        this.jobs.define<{ userId: string }>('welcome', { handler: async (data) => void ran.push(data.userId) });
        await this.jobs.enqueue('welcome', { userId: 'u-1' });
      }
    }
    @Global()
    @Module({ providers: [MetricsService], exports: [MetricsService] })
    class Platform {}
    @Module({ imports: [ConfigModule.forRoot(config), Platform, JobsModule], providers: [Welcomes] })
    class App {}

    prefixes.add(config.redis.keyPrefix);
    const app = await NestFactory.createApplicationContext(App, { logger: logs });
    try {
      expect(app.get(Jobs)).toBeInstanceOf(config.redis.url ? BullmqJobs : InProcessJobs);
      await until('the welcome ran', () => ran.length === 1);
      expect(ran).toEqual(['u-1']);
      expect(await outcomes(app.get(MetricsService), 'welcome')).toEqual({ completed: 1 });
    } finally {
      await app.close();
    }
  });

  if (runnerName === 'in process') {
    it('skips a scheduled run that is due while the previous one is still going', async () => {
      const { sut } = await open();
      const gate = latch();
      let runs = 0;
      sut.define('sweep', {
        handler: async () => {
          runs++;
          await gate.released;
        },
      });
      await sut.every('sweep', 20);
      sut.onApplicationBootstrap();

      await sleep(150);
      expect(runs).toBe(1);

      gate.release();
      await until('the schedule runs again', () => runs >= 2);
    });

    it('says at shutdown how many queued jobs are not run (they are in memory only)', async () => {
      const { sut } = await open();
      sut.define('digest', { handler: async () => undefined });
      sut.onApplicationBootstrap();
      await sut.enqueue('digest', {}, { delayMs: 60_000 });
      await sut.enqueue('digest', {}, { delayMs: 60_000 });

      await shutDown(sut);

      expect(logs.messages({ level: 'warn', context: 'Jobs', text: 'queued jobs are not run' })).toEqual(['2 queued jobs are not run: without Redis, jobs do not outlive the process']);
    });
  } else {
    it('two processes: a scheduled kind runs once per interval for both, not once each', async () => {
      const runs: Array<{ process: string; id: string }> = [];
      const processes = await Promise.all(['a', 'b'].map(() => open()));
      for (const [index, { sut }] of processes.entries()) {
        sut.define('heartbeat', { handler: async (_data, run) => void runs.push({ process: String(index), id: run.id }) });
        await sut.every('heartbeat', 200);
      }
      for (const { sut } of processes) sut.onApplicationBootstrap();

      await sleep(1_100);
      for (const { sut } of processes) await shutDown(sut);

      // Each interval is one job (its id names the tick): two schedulers would run every tick twice.
      expect(new Set(runs.map(({ id }) => id)).size).toBe(runs.length);
      // At most one run per 200 ms tick of the 1.1 s window, the first at once.
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect(runs.length).toBeLessThanOrEqual(7);
    });

    it('two processes: the same jobId, enqueued by both at once, runs once', async () => {
      const ran: string[] = [];
      const processes = await Promise.all(['a', 'b'].map(() => open()));
      for (const { sut } of processes) {
        sut.define<{ from: string }>('title', { concurrency: 1, handler: async (data, run) => void ran.push(`${run.id} from ${data.from}`) });
        sut.onApplicationBootstrap();
      }

      await Promise.all(processes.flatMap(({ sut }, index) => [1, 2, 3].map(() => sut.enqueue('title', { from: String(index) }, { jobId: 'c-9' }))));
      await processes[0]!.sut.enqueue('title', { from: 'last' }, { jobId: 'c-10' });

      await until('c-10 ran', () => ran.some((line) => line.startsWith('c-10')));
      await sleep(100);
      expect(ran.filter((line) => line.startsWith('c-9 '))).toHaveLength(1);
    });

    it('a job of a kind this process does not define fails visibly, not silently waiting', async () => {
      const newer = await open();
      const older = await open();
      newer.sut.define('brand-new', { attempts: 1, handler: async () => undefined });
      older.sut.define('known', { handler: async () => undefined });
      // Only the older process takes jobs, as during a rolling deploy before the newer one starts its worker.
      older.sut.onApplicationBootstrap();

      await newer.sut.enqueue('brand-new', {}, { jobId: 'from-the-future' });

      await until('the job failed', async () => (await outcomes(older.metrics, 'brand-new')).failed === 1);
      expect(logs.messages({ level: 'error', context: 'Jobs', text: 'from-the-future' })).toEqual([
        'Job brand-new from-the-future failed on its last attempt (1 of 1): No job kind "brand-new" is defined in this process',
      ]);
    });
  }
});
