import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { MetricsService } from './metrics.service.js';

/** The counts `pg`'s Pool keeps (TypeORM's postgres driver holds one as `master`). */
interface PgPoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** The database connection pool, read at scrape time: open connections, idle ones, and requests waiting for one. */
@Injectable()
export class DatabasePoolMetrics {
  constructor(metrics: MetricsService, dataSource: DataSource) {
    const connections = metrics.gauge({
      name: 'chorus_db_pool_connections',
      help: 'Database pool connections by state: total (open), idle, and waiting (requests queued for a connection).',
      labelNames: ['state'],
      collect: () => {
        const pool = (dataSource.driver as PostgresDriver).master as PgPoolCounts | undefined;
        if (!pool) return;
        connections.set({ state: 'total' }, pool.totalCount);
        connections.set({ state: 'idle' }, pool.idleCount);
        connections.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }
}
