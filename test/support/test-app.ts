import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig, type AppConfig, type Clock, type Env } from '#chorus/core';
import { createApp } from '../../apps/api/src/create-app.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestAppOptions {
  /** Variables on top of the test defaults. */
  readonly env?: Env;
  /** A database to use instead of a fresh one; the app then leaves it alone on close. */
  readonly database?: TestDatabase;
  readonly extraModules?: ReadonlyArray<Type | DynamicModule>;
  /** The time source (usage periods). */
  readonly clock?: Clock;
}

/** Log lines the app wrote, parsed, so tests can check what is and is not logged. */
export class CapturedLogs extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly raw: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }
}

/**
 * The lines of every app a test file starts, in one capture: nestjs-pino keeps one root logger per
 * process (for Jest, per test file), made by the first app, so what a later app logs outside a
 * request is written there too.
 */
const fileLogs = new CapturedLogs();

/**
 * The real application, built by the same createApp as main, on its own clean database.
 * Redis is used when REDIS_URL is set, under a key prefix of its own.
 */
export class TestApp {
  private constructor(
    readonly app: NestExpressApplication,
    readonly config: AppConfig,
    readonly database: TestDatabase,
    /** What the test file's apps logged (see fileLogs). */
    readonly logs: CapturedLogs,
    private readonly ownsDatabase: boolean,
  ) {}

  static async start(options: TestAppOptions = {}): Promise<TestApp> {
    const database = options.database ?? (await createTestDatabase());
    try {
      const config = loadConfig(testEnvironment(database, options.env));
      const app = await createApp({ config, logDestination: fileLogs, extraModules: options.extraModules, clock: options.clock });
      return new TestApp(app, config, database, fileLogs, !options.database);
    } catch (error) {
      if (!options.database) await database.drop();
      throw error;
    }
  }

  /** Listens on a free local port (for streaming clients), returning the base URL. */
  async listen(): Promise<string> {
    await this.app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(this.app.getHttpServer().address() as { port: number }).port}`;
  }

  /** A supertest client for the app's HTTP server. */
  http(): ReturnType<typeof request> {
    return request(this.app.getHttpServer());
  }

  async close(): Promise<void> {
    try {
      await this.app.close();
    } finally {
      if (this.ownsDatabase) await this.database.drop();
      // Its jobs' keys (BullMQ's) never expire by themselves.
      if (this.config.redis.url) await deleteRedisKeys(this.config.redis.url, this.config.redis.keyPrefix);
    }
  }
}

/**
 * The environment a test app runs with: its database (without one, the embedded database of
 * EMBEDDED_DB_DIR), the machine's Redis if any, quiet defaults.
 */
export function testEnvironment(database: TestDatabase | undefined, overrides: Env = {}): Env {
  const redisUrl = process.env['REDIS_URL'];
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    ...(database ? { DATABASE_URL: database.url, DATABASE_POOL_SIZE: String(database.poolSize) } : {}),
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `chorus-test:${randomUUID()}:` } : {}),
    RATE_LIMIT_DEFAULT: '10000',
    // Cheap hashing and generous sign-in budgets; the tests of those features set their own.
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_ITERATIONS: '1',
    AUTH_LOGIN_LIMIT_PER_IP: '10000',
    AUTH_LOGIN_LIMIT_PER_EMAIL: '10000',
    AUTH_REGISTER_LIMIT_PER_IP: '10000',
    JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
    // A quick simulator; tests that need time to act mid-reply slow it down.
    SIMULATED_FIRST_TOKEN_MS: '5',
    SIMULATED_TOKENS_PER_SECOND: '500',
    // Titles by the model are a background generation (billed, with upstream requests of its own): their tests turn them on.
    CONVERSATION_TITLES: 'first-message',
    // Uploads out of the working tree; tests that look at the files give a directory of their own.
    MEDIA_DIR: join(tmpdir(), `chorus-test-media-${process.pid}`),
    ...overrides,
  };
}

/** Redis-backed behaviour is tested only when the run has a Redis (CI's second pass does). */
export const describeWithRedis = process.env['REDIS_URL'] ? describe : describe.skip;

/** Deletes every key under `prefix` (SCAN, not KEYS, so a shared Redis is never blocked). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = nextCursor;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
