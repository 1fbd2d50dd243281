import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Clock } from './clock.js';
import type { DestinationStream } from 'pino';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import type { DatabaseSchema } from './database/database.js';
import { HealthModule } from './health/health.module.js';
import { GracefulShutdown } from './http/graceful-shutdown.js';
import { JobsModule } from './jobs/jobs.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RateLimitModule, type RateLimitModuleOptions } from './rate-limit/rate-limit.module.js';
import { RedisModule } from './redis/redis.module.js';
import { SharedStateModule } from './shared-state/shared-state.module.js';

export interface CoreModuleOptions {
  readonly config: AppConfig;
  /** Entities and migrations of every feature module. */
  readonly schema: DatabaseSchema;
  readonly logDestination?: DestinationStream;
  /** Per-plan rate-limit tiers (the usage module's tier resolver). */
  readonly rateLimit?: RateLimitModuleOptions;
  /** The time source; tests pass a ManualClock. */
  readonly clock?: Clock;
}

/** The platform every feature stands on: configuration, logging, database, Redis, rate limits, health and metrics. */
@Global()
@Module({})
export class CoreModule {
  static forRoot({ config, schema, logDestination, rateLimit, clock }: CoreModuleOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, { destination: logDestination }),
        DatabaseModule.forRoot(schema),
        RedisModule.forRoot(),
        SharedStateModule,
        RateLimitModule.forRoot(rateLimit),
        HealthModule,
        MetricsModule,
        JobsModule,
      ],
      providers: [GracefulShutdown, { provide: Clock, useValue: clock ?? new Clock() }],
      exports: [Clock],
    };
  }
}
