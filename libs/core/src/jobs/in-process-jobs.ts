import { randomUUID } from 'node:crypto';
import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { JobKinds, KEEP_COMPLETED, retryDelayMs, settledWithin, type JobKind } from './job-kinds.js';
import type { JobMetrics } from './job-metrics.js';
import { Jobs, type EnqueueOptions, type JobDefinition, type JobRun } from './jobs.js';

/** A job on its way to one run: queued, delayed, or waiting for its retry. */
interface QueuedJob {
  readonly kind: JobKind;
  readonly run: JobRun;
  readonly data: unknown;
  /** Its dedupe key, when it was queued with an id. */
  readonly key?: string;
  /** Called once when the job is done with, however it ended (its schedule waits for it). */
  readonly settled?: () => void;
}

/** A kind's jobs ready to run, and how many of them run now. */
interface Lane {
  readonly kind: JobKind;
  readonly ready: QueuedJob[];
  running: number;
}

interface Schedule {
  readonly kind: JobKind;
  readonly intervalMs: number;
  timer?: NodeJS.Timeout;
  /** A run of this schedule has not finished (retries included). */
  busy: boolean;
}

/**
 * Jobs run in this process, for a deployment without Redis (the embedded default, which is one
 * process): the same attempts, backoff, concurrency, idempotent ids and metrics as BullMQ, kept
 * in memory. What is queued when the process stops is not run: the shutdown log says how much.
 */
export class InProcessJobs extends Jobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly kinds = new JobKinds();
  private readonly lanes = new Map<string, Lane>();
  /** Dedupe keys of jobs waiting (delayed and backing off included) or running. */
  private readonly pending = new Set<string>();
  /** Dedupe keys of completed jobs and when they completed, oldest first. */
  private readonly completed = new Map<string, number>();
  /** Delays and backoffs under way. */
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly schedules = new Map<string, Schedule>();
  private readonly running = new Set<Promise<void>>();
  /** Jobs wait until bootstrap (every kind is defined by then) and none start after shutdown began. */
  private state: 'starting' | 'started' | 'stopped' = 'starting';

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: JobMetrics,
  ) {
    super();
  }

  define<T>(name: string, definition: JobDefinition<T>): void {
    this.kinds.define(name, definition);
  }

  async enqueue<T>(name: string, data: T, options: EnqueueOptions = {}): Promise<void> {
    const kind = this.kinds.require(name);
    // A copy as Redis would make it, so that a job behaves the same with either runner and shares no object with its caller.
    const copy: unknown = data === undefined ? undefined : JSON.parse(JSON.stringify(data));
    const key = options.jobId === undefined ? undefined : JSON.stringify([name, options.jobId]);
    if (key !== undefined) {
      if (this.pending.has(key) || this.completedRecently(key)) return;
      this.pending.add(key);
    }
    this.submit({ kind, key, run: { id: options.jobId ?? randomUUID(), attempt: 1 }, data: copy }, options.delayMs ?? 0);
  }

  async every(name: string, intervalMs: number): Promise<void> {
    const kind = this.kinds.require(name);
    clearInterval(this.schedules.get(name)?.timer);
    const schedule: Schedule = { kind, intervalMs, busy: false };
    this.schedules.set(name, schedule);
    if (this.state === 'started') this.startSchedule(schedule);
  }

  onApplicationBootstrap(): void {
    this.kinds.seal();
    this.state = 'started';
    for (const schedule of this.schedules.values()) this.startSchedule(schedule);
    for (const lane of this.lanes.values()) this.pump(lane);
  }

  /** Takes no new job, and gives running ones the shutdown timeout to finish (the database is still open). */
  async beforeApplicationShutdown(): Promise<void> {
    this.state = 'stopped';
    for (const schedule of this.schedules.values()) clearInterval(schedule.timer);
    for (const timer of this.timers) clearTimeout(timer);
    let notRun = this.timers.size;
    this.timers.clear();
    for (const lane of this.lanes.values()) notRun += lane.ready.splice(0).length;
    if (notRun > 0) this.logger.warn(`${notRun} queued jobs are not run: without Redis, jobs do not outlive the process`);
    const timeoutMs = this.config.http.shutdownTimeoutMs;
    if (!(await settledWithin(Promise.all(this.running), timeoutMs))) {
      this.logger.warn(`${this.running.size} jobs still running after ${timeoutMs} ms are left unfinished`);
    }
  }

  private completedRecently(key: string): boolean {
    const completedAt = this.completed.get(key);
    return completedAt !== undefined && Date.now() - completedAt < KEEP_COMPLETED.age * 1000;
  }

  private startSchedule(schedule: Schedule): void {
    // As a new BullMQ job scheduler does: a first run at once, then one per interval.
    this.tick(schedule);
    schedule.timer = setInterval(() => this.tick(schedule), schedule.intervalMs);
    schedule.timer.unref();
  }

  private tick(schedule: Schedule): void {
    // A run still going (or waiting for its retry) when the next is due: the next is skipped, not stacked.
    if (schedule.busy) return;
    schedule.busy = true;
    this.submit({ kind: schedule.kind, run: { id: randomUUID(), attempt: 1 }, data: undefined, settled: () => (schedule.busy = false) }, 0);
  }

  private submit(job: QueuedJob, delayMs: number): void {
    if (this.state === 'stopped') {
      this.logger.warn(`Job ${job.kind.name} ${job.run.id} is not run: the process is shutting down`);
      this.release(job);
      return;
    }
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.ready(job);
      }, delayMs);
      // In-process jobs die with the process anyway: a pending one does not keep it alive.
      timer.unref();
      this.timers.add(timer);
      return;
    }
    this.ready(job);
  }

  private ready(job: QueuedJob): void {
    let lane = this.lanes.get(job.kind.name);
    if (!lane) {
      lane = { kind: job.kind, ready: [], running: 0 };
      this.lanes.set(job.kind.name, lane);
    }
    lane.ready.push(job);
    this.pump(lane);
  }

  private pump(lane: Lane): void {
    while (this.state === 'started' && lane.running < lane.kind.concurrency && lane.ready.length > 0) {
      this.start(lane, lane.ready.shift()!);
    }
  }

  private start(lane: Lane, job: QueuedJob): void {
    const { kind, run } = job;
    lane.running++;
    const attempt: Promise<void> = this.metrics
      .attempt(kind.name, run, kind, () => kind.handler(job.data, run))
      .then(
        () => {
          if (job.key !== undefined) this.remember(job.key);
          this.release(job);
        },
        () => {
          if (run.attempt < kind.attempts) this.submit({ ...job, run: { id: run.id, attempt: run.attempt + 1 } }, retryDelayMs(kind.backoffMs, run.attempt));
          else this.release(job);
        },
      )
      .finally(() => {
        lane.running--;
        this.running.delete(attempt);
        this.pump(lane);
      });
    this.running.add(attempt);
  }

  /** The job is done with: its id may be queued again (unless remembered as completed). */
  private release(job: QueuedJob): void {
    if (job.key !== undefined) this.pending.delete(job.key);
    job.settled?.();
  }

  /** Remembers a completed job's id for an hour, forgetting the oldest beyond the count that bounds memory. */
  private remember(key: string): void {
    const now = Date.now();
    // Deleted first so that the key moves to the end: the map stays in completion order.
    this.completed.delete(key);
    this.completed.set(key, now);
    for (const [oldest, completedAt] of this.completed) {
      if (this.completed.size <= KEEP_COMPLETED.count && now - completedAt < KEEP_COMPLETED.age * 1000) break;
      this.completed.delete(oldest);
    }
  }
}
