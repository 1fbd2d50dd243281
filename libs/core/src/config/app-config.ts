import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { type Env, EnvReader } from './env-schema.js';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppConfig {
  readonly nodeEnv: (typeof NODE_ENVS)[number];
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly corsOrigins: readonly string[];
    /** Number of reverse-proxy hops whose X-Forwarded-For is trusted for the client IP. */
    readonly trustProxyHops: number;
    readonly shutdownTimeoutMs: number;
    readonly docsEnabled: boolean;
  };
  readonly log: {
    readonly level: LogLevel;
    readonly format: (typeof LOG_FORMATS)[number];
  };
  readonly database: {
    /** PostgreSQL connection string; absent means the embedded PGlite database. */
    readonly url?: string;
    readonly poolSize: number;
    readonly embedded: {
      readonly dataDir: string;
      readonly host: string;
      /** 0 lets the OS choose a free port. */
      readonly port: number;
    };
  };
  readonly redis: {
    readonly url?: string;
    /** Prepended to every key Chorus writes, so one Redis can serve several deployments. */
    readonly keyPrefix: string;
  };
  readonly rateLimit: {
    readonly windowSeconds: number;
    /** Requests per window for a client without a more specific tier. */
    readonly defaultLimit: number;
  };
}

/**
 * Reads the process environment, with values from `.env` (when present) underneath it.
 * This is the only place in Chorus that touches `process.env`.
 */
export function readEnvironment(overrides: Env = {}, cwd = process.cwd()): Env {
  const envFile = resolve(cwd, '.env');
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...process.env, ...overrides };
}

/** Validates `env` into a typed configuration, throwing one error that names every bad variable. */
export function loadConfig(env: Env): AppConfig {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', NODE_ENVS, 'development');
  const config: AppConfig = {
    nodeEnv,
    http: {
      host: read.string('HOST', '127.0.0.1'),
      port: read.int('PORT', 3000, { min: 0, max: 65535 }),
      bodyLimitBytes: read.bytes('BODY_LIMIT', 1024 ** 2),
      corsOrigins: read.list('CORS_ORIGINS', []),
      trustProxyHops: read.int('TRUST_PROXY_HOPS', 0, { max: 10 }),
      shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, { min: 0, max: 600_000 }),
      docsEnabled: read.bool('DOCS_ENABLED', true),
    },
    log: {
      level: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
      format: read.oneOf('LOG_FORMAT', LOG_FORMATS, nodeEnv === 'development' ? 'pretty' : 'json'),
    },
    database: {
      url: read.optionalUrl('DATABASE_URL', ['postgres', 'postgresql']),
      poolSize: read.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
      embedded: {
        dataDir: read.string('EMBEDDED_DB_DIR', './.data/pg'),
        host: read.string('EMBEDDED_DB_HOST', '127.0.0.1'),
        port: read.int('EMBEDDED_DB_PORT', 0, { min: 0, max: 65535 }),
      },
    },
    redis: {
      url: read.optionalUrl('REDIS_URL', ['redis', 'rediss']),
      keyPrefix: read.string('REDIS_KEY_PREFIX', 'chorus:'),
    },
    rateLimit: {
      windowSeconds: read.int('RATE_LIMIT_WINDOW_SECONDS', 60, { min: 1, max: 86_400 }),
      defaultLimit: read.int('RATE_LIMIT_DEFAULT', 120, { min: 1 }),
    },
  };
  read.assertValid();
  return config;
}
