/** What a job's handler is told about the run it is in. */
export interface JobRun {
  /** The job's id: the one given at enqueue (the key that makes it idempotent), or one generated. */
  readonly id: string;
  /** 1 on the first run, 2 on the first retry, and so on. */
  readonly attempt: number;
}

/** How a kind of job runs: its handler, and how often and how late it is retried when it throws. */
export interface JobDefinition<T> {
  readonly handler: (data: T, run: JobRun) => Promise<void>;
  /** Runs in all, the first included (default 3). */
  readonly attempts?: number;
  /** The delay before the first retry; each later retry waits twice as long as the one before (default 1 s). */
  readonly backoffMs?: number;
  /**
   * Jobs of this kind run at once in each process (default 4). With Redis, one BullMQ worker per
   * process serves every kind and takes the largest of their concurrencies: no kind runs fewer
   * than its own, but a kind alone with work may run up to that largest number.
   */
  readonly concurrency?: number;
}

export interface EnqueueOptions {
  /**
   * Makes the enqueue idempotent: a job of this kind with this id that is waiting, running or
   * completed within the last hour is not added again (a title is generated once per
   * conversation, however many processes ask). Ids are per kind. With Redis, a job that failed
   * is kept a day for inspection, and its id is not added again while it is kept.
   */
  readonly jobId?: string;
  /** Runs no earlier than this many ms from now. */
  readonly delayMs?: number;
}

/**
 * Background work that must not delay a request: run by BullMQ on Redis when REDIS_URL is
 * set (any process of the deployment may run a job, and a job outlives the process that
 * enqueued it), and by an in-process runner of the same behaviour otherwise. Jobs are
 * retried with exponential backoff; every run is counted in /metrics
 * (`chorus_jobs_total{job,outcome}`), and a failure is logged with the job's id, never
 * silent.
 */
export abstract class Jobs {
  /** Declares a kind of job; called while modules initialise (in `onModuleInit`), before any job runs. */
  abstract define<T>(name: string, definition: JobDefinition<T>): void;

  /**
   * Queues a job of a defined kind (a name never defined is refused here). The handler gets a
   * copy of `data` made through JSON, as Redis stores it, whichever runner runs it: pass plain
   * values (a Date arrives as its ISO string).
   */
  abstract enqueue<T>(name: string, data: T, options?: EnqueueOptions): Promise<void>;

  /**
   * Runs a defined kind of job (with `undefined` data) every `intervalMs`, once per interval
   * for the whole deployment, not once per process. A new schedule's first run is due at once
   * (at bootstrap when called before it); calling it again for the same kind changes its interval.
   * A run that lasts longer than the interval: in process, the runs due meanwhile are skipped;
   * with Redis, the next starts on time while it goes on (here or in another process), so a
   * scheduled handler must tolerate overlapping itself.
   */
  abstract every(name: string, intervalMs: number): Promise<void>;
}
