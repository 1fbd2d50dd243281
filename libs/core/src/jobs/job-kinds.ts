import type { JobDefinition, JobRun } from './jobs.js';

/** A defined kind of job, its defaults filled in. */
export interface JobKind {
  readonly name: string;
  readonly handler: (data: unknown, run: JobRun) => Promise<void>;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly concurrency: number;
}

/** How a job is retried: what the metrics and logs need to tell a retried run from a failed one. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 1_000;
const DEFAULT_CONCURRENCY = 4;

/**
 * How long finished jobs are remembered (age in seconds, as BullMQ counts it). A completed job's
 * id stays taken for an hour (what makes `jobId` idempotent), up to a count that bounds memory;
 * a failed job is kept a day for inspection (with Redis: the in-process runner keeps none).
 */
export const KEEP_COMPLETED = { age: 3_600, count: 10_000 } as const;
export const KEEP_FAILED = { age: 86_400, count: 1_000 } as const;

/** The wait before the retry that follows a failed `attempt`: `backoffMs`, then twice as long each time (BullMQ's `exponential`). */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** (attempt - 1);
}

/** Whether `work` settled within `ms`; it is left running when not. */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (deadline = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(deadline);
  }
}

/**
 * The kinds of job a process defines. Kinds are defined while modules initialise; at bootstrap
 * the runner seals the list (BullMQ's worker is sized from it) and starts taking jobs.
 */
export class JobKinds {
  private readonly kinds = new Map<string, JobKind>();
  private sealed = false;

  define<T>(name: string, definition: JobDefinition<T>): void {
    if (this.sealed) throw new Error(`Job kind "${name}" is defined after the application started: define kinds in onModuleInit`);
    if (this.kinds.has(name)) throw new Error(`Job kind "${name}" is defined twice`);
    const kind: JobKind = {
      name,
      // Handlers get data as their kind queued it: the runner pairs each job with its own kind's handler.
      handler: definition.handler as JobKind['handler'],
      attempts: definition.attempts ?? DEFAULT_ATTEMPTS,
      backoffMs: definition.backoffMs ?? DEFAULT_BACKOFF_MS,
      concurrency: definition.concurrency ?? DEFAULT_CONCURRENCY,
    };
    if (!Number.isInteger(kind.attempts) || kind.attempts < 1 || !Number.isInteger(kind.concurrency) || kind.concurrency < 1 || !(kind.backoffMs >= 0)) {
      throw new Error(`Job kind "${name}": attempts and concurrency must be whole numbers of at least 1, backoffMs a number of at least 0`);
    }
    this.kinds.set(name, kind);
  }

  get(name: string): JobKind | undefined {
    return this.kinds.get(name);
  }

  /** The kind a job is queued as: an undefined name fails at the call, visibly, instead of in a queue. */
  require(name: string): JobKind {
    const kind = this.kinds.get(name);
    if (!kind) throw new Error(`No job kind "${name}" is defined`);
    return kind;
  }

  seal(): void {
    this.sealed = true;
  }

  get size(): number {
    return this.kinds.size;
  }

  /** The concurrencies of all kinds added up (0 when none is defined). */
  get totalConcurrency(): number {
    return [...this.kinds.values()].reduce((sum, kind) => sum + kind.concurrency, 0);
  }
}
