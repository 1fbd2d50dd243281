import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type * as BullMQ from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { connectRedis } from '../redis/redis.module.js';
import { JobKinds, KEEP_COMPLETED, KEEP_FAILED, settledWithin, type JobKind, type RetryPolicy } from './job-kinds.js';
import type { JobMetrics } from './job-metrics.js';
import { Jobs, type EnqueueOptions, type JobDefinition, type JobRun } from './jobs.js';

/** The one queue of the deployment: every kind of job goes through it, told apart by the job's name. */
const QUEUE_NAME = 'jobs';

/**
 * Jobs on Redis through BullMQ: any process of the deployment may run a job, and a job outlives
 * the process that queued it. One queue and one worker per process serve every kind.
 */
export class BullmqJobs extends Jobs implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly kinds = new JobKinds();
  /** The schedules this process asked for, upserted again when Redis comes back (it may have lost them). */
  private readonly schedules = new Map<string, number>();
  private worker?: BullMQ.Worker<unknown>;
  /** The worker's connection, opened at bootstrap. */
  private consumer?: Redis;

  private constructor(
    private readonly bullmq: typeof BullMQ,
    private readonly producer: Redis,
    private readonly queue: BullMQ.Queue<unknown>,
    private readonly config: AppConfig,
    private readonly metrics: JobMetrics,
  ) {
    super();
  }

  /** Loads BullMQ (here only, so that a process without Redis never holds it) and connects to `url`. */
  static async connect(url: string, config: AppConfig, metrics: JobMetrics): Promise<BullmqJobs> {
    const bullmq = await import('bullmq');
    // A connection of its own: BullMQ refuses one with an ioredis keyPrefix (its `prefix` option does the same). Commands
    // fail at once while Redis is unreachable, so an enqueue fails a request instead of hanging it.
    const producer = await connectRedis(url, '');
    const queue = new bullmq.Queue<unknown>(QUEUE_NAME, { connection: producer, prefix: prefixOf(config) });
    const jobs = new BullmqJobs(bullmq, producer, queue, config, metrics);
    queue.on('error', (error) => jobs.logger.warn(`Job queue error: ${error.message}`));
    // A Redis restarted without its data has no schedulers: without this, no sweep or recovery would run until a process restarts.
    producer.on('ready', () => {
      for (const [name, intervalMs] of jobs.schedules) {
        jobs.every(name, intervalMs).catch((error: Error) => jobs.logger.warn(`Job schedule ${name} could not be restored: ${error.message}`));
      }
    });
    return jobs;
  }

  define<T>(name: string, definition: JobDefinition<T>): void {
    this.kinds.define(name, definition);
  }

  async enqueue<T>(name: string, data: T, options: EnqueueOptions = {}): Promise<void> {
    const kind = this.kinds.require(name);
    await this.queue.add(name, data, {
      ...jobOptions(kind),
      ...(options.jobId === undefined ? {} : { jobId: queueJobId(name, options.jobId) }),
      ...(options.delayMs ? { delay: options.delayMs } : {}),
    });
  }

  async every(name: string, intervalMs: number): Promise<void> {
    const kind = this.kinds.require(name);
    this.schedules.set(name, intervalMs);
    // One scheduler per kind for the deployment: every process upserts the same one, and it adds one job per interval.
    // A scheduled run's id is never enqueued again: the last few are kept to look at, not an hour of them.
    await this.queue.upsertJobScheduler(name, { every: intervalMs }, { name, opts: { ...jobOptions(kind), removeOnComplete: { count: 100 } } });
  }

  onApplicationBootstrap(): void {
    this.kinds.seal();
    // A process that defines no kind takes no job (another process may know it) and holds no blocking connection.
    if (this.kinds.size === 0) return;
    // A worker's commands must wait out a Redis outage rather than fail (BullMQ requires it).
    this.consumer = this.producer.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    // BullMQ reports this connection's errors as the worker's; this only keeps ioredis from printing those after it let go.
    this.consumer.on('error', () => undefined);
    this.worker = new this.bullmq.Worker<unknown>(QUEUE_NAME, (job) => this.process(job), {
      connection: this.consumer,
      prefix: prefixOf(this.config),
      // BullMQ bounds a worker's jobs, not a kind's, and this worker serves every kind: it takes the sum of theirs, so
      // that slow jobs of one kind (titles waiting on a model) never hold back another (the recovery of dead replies).
      concurrency: this.kinds.totalConcurrency,
    });
    this.worker.on('error', (error) => this.logger.warn(`Job worker error: ${error.message}`));
  }

  /**
   * Takes no new job, and gives running ones the shutdown timeout to finish (the database is still
   * open). Jobs queued stay in Redis for the other processes, or for this one's next start.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.worker) return;
    const timeoutMs = this.config.http.shutdownTimeoutMs;
    if (!(await settledWithin(this.worker.close(), timeoutMs))) {
      this.logger.warn(`Jobs still running after ${timeoutMs} ms are left unfinished: BullMQ runs them again once their lock expires`);
    }
  }

  /** The queue stays open until now, for the jobs that requests finishing during shutdown enqueue. */
  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    await Promise.all([this.producer, this.consumer].map((client) => client?.quit().catch(() => client.disconnect())));
  }

  private async process(job: BullMQ.Job<unknown>): Promise<void> {
    const run: JobRun = { id: runIdOf(job), attempt: job.attemptsMade + 1 };
    const kind = this.kinds.get(job.name);
    // A scheduler's jobs carry `{}` for the `undefined` they were scheduled with.
    const data = job.repeatJobKey === undefined ? job.data : undefined;
    await this.metrics.attempt(job.name, run, retryPolicyOf(job), async () => {
      // Queued by a process that defines a kind this one does not (a rolling deploy): it fails visibly, and BullMQ
      // retries it, perhaps in a process that knows it.
      if (!kind) throw new Error(`No job kind "${job.name}" is defined in this process`);
      await kind.handler(data, run);
    });
  }
}

/** BullMQ's keys sit under the deployment's key prefix, like every key Chorus writes. */
function prefixOf(config: AppConfig): string {
  return `${config.redis.keyPrefix}bull`;
}

/** A kind's retries, and how long BullMQ keeps its finished jobs. */
function jobOptions(kind: JobKind): BullMQ.JobSchedulerTemplateOptions {
  return {
    attempts: kind.attempts,
    backoff: { type: 'exponential', delay: kind.backoffMs },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

/** How BullMQ retries a job: from the options it was queued with, which is what BullMQ goes by. */
function retryPolicyOf(job: BullMQ.Job<unknown>): RetryPolicy {
  const backoff = job.opts.backoff;
  return { attempts: job.opts.attempts ?? 1, backoffMs: typeof backoff === 'number' ? backoff : (backoff?.delay ?? 0) };
}

/**
 * BullMQ's id of a job queued with an id. Ids are per queue and the queue holds every kind, so
 * the kind is part of it; both parts are URI-encoded, since BullMQ refuses a ':' in an id.
 */
function queueJobId(name: string, jobId: string): string {
  return `${encodeURIComponent(name)}/${encodeURIComponent(jobId)}`;
}

/** The id a handler is told: the one given at enqueue, or one of BullMQ's (a number, or a scheduler's iteration). */
function runIdOf(job: BullMQ.Job<unknown>): string {
  const id = job.id ?? '';
  const kindPart = `${encodeURIComponent(job.name)}/`;
  return id.startsWith(kindPart) ? decodeURIComponent(id.slice(kindPart.length)) : id;
}
