import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS_CLIENT } from '../redis/redis.module.js';
import { ReadinessChecks, type ReadinessReport } from './readiness.js';

/** Redis counts as down when it does not answer within this time. */
const REDIS_CHECK_TIMEOUT_MS = 2_000;

@Injectable()
export class DependencyHealthIndicators {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
    private readonly features: ReadinessChecks,
  ) {}

  /** The readiness checks that apply to this configuration: the database, and Redis when configured. */
  readinessChecks(): Array<() => Promise<HealthIndicatorResult>> {
    // The database gets no bound of its own: the pool's (DATABASE_CONNECT_TIMEOUT_MS for a connection,
    // DATABASE_QUERY_TIMEOUT_MS for the answer) are the ones every request has, so readiness and the API agree.
    const checks = [() => this.probe('database', () => this.dataSource.query('SELECT 1'))];
    const redis = this.redis;
    if (redis) checks.push(() => this.probe('redis', () => withTimeout(redis.ping(), REDIS_CHECK_TIMEOUT_MS)));
    for (const [name, check] of this.features.entries()) checks.push(() => this.report(name, check));
    return checks;
  }

  private async report(name: string, check: () => ReadinessReport | Promise<ReadinessReport>): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(name);
    const { status, ...details } = await check();
    if (status === 'down') return session.down(details);
    return status === 'degraded' ? session.degraded(details) : session.up(details);
  }

  private async probe(key: string, ping: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(key);
    const started = performance.now();
    try {
      await ping();
      return session.up({ latencyMs: Math.round(performance.now() - started) });
    } catch (error) {
      // The probe is public: the driver's message (host names, user names) goes to the log only.
      this.logger.warn(`Readiness: ${key} is down: ${(error as Error).message}`);
      return session.down();
    }
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
