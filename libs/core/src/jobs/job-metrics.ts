import { Injectable, Logger } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';
import { retryDelayMs, type RetryPolicy } from './job-kinds.js';
import type { JobRun } from './jobs.js';

/**
 * Every run of a job, whichever runner runs it: counted by outcome, timed, and a failure logged.
 * The runner decides what follows a failure; this only reports it.
 */
@Injectable()
export class JobMetrics {
  private readonly logger = new Logger('Jobs');
  private readonly runs: Counter<'job' | 'outcome'>;
  private readonly duration: Histogram<'job'>;

  constructor(metrics: MetricsService) {
    this.runs = metrics.counter({
      name: 'chorus_jobs_total',
      help: 'Runs of background jobs by kind and outcome: completed, retried (threw and will run again) or failed (threw on its last attempt).',
      labelNames: ['job', 'outcome'],
    });
    this.duration = metrics.histogram({
      name: 'chorus_job_duration_seconds',
      help: 'Time one run of a background job took, whatever its outcome, by kind.',
      labelNames: ['job'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    });
  }

  /**
   * Runs one attempt of a job. A failure is logged with the job's kind, id and attempt, and the
   * error's message only (a stack would repeat on every retry), then rethrown.
   */
  async attempt(name: string, run: JobRun, retry: RetryPolicy, work: () => Promise<void>): Promise<void> {
    const startedAt = performance.now();
    try {
      await work();
      this.runs.inc({ job: name, outcome: 'completed' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (run.attempt < retry.attempts) {
        this.runs.inc({ job: name, outcome: 'retried' });
        const delayMs = retryDelayMs(retry.backoffMs, run.attempt);
        this.logger.warn(`Job ${name} ${run.id} failed on attempt ${run.attempt} of ${retry.attempts}, retrying in ${delayMs} ms: ${message}`);
      } else {
        this.runs.inc({ job: name, outcome: 'failed' });
        this.logger.error(`Job ${name} ${run.id} failed on its last attempt (${run.attempt} of ${retry.attempts}): ${message}`);
      }
      throw error;
    } finally {
      this.duration.observe({ job: name }, (performance.now() - startedAt) / 1000);
    }
  }
}
