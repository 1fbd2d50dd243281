import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { BullmqJobs } from './bullmq-jobs.js';
import { InProcessJobs } from './in-process-jobs.js';
import { JobMetrics } from './job-metrics.js';
import { Jobs } from './jobs.js';

/** The runner for this deployment: BullMQ on Redis when REDIS_URL is set, in this process otherwise. */
export function createJobs(config: AppConfig, metrics: JobMetrics): Promise<Jobs> | Jobs {
  return config.redis.url ? BullmqJobs.connect(config.redis.url, config, metrics) : new InProcessJobs(config, metrics);
}

/** Background jobs (`Jobs`), for every feature to define and enqueue. */
@Global()
@Module({
  providers: [JobMetrics, { provide: Jobs, inject: [APP_CONFIG, JobMetrics], useFactory: createJobs }],
  exports: [Jobs],
})
export class JobsModule {}
