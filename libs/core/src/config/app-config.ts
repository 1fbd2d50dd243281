import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { type Env, EnvReader } from './env-schema.js';
import { readPlans, type PlanConfig } from './plans-config.js';
import { readProvidersConfig, type ProvidersConfig } from './providers-config.js';
import { readVoiceConfig, type VoiceConfig } from './voice-config.js';
import { readAvatarConfig, type AvatarConfig } from './avatar-config.js';

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
  readonly metrics: {
    /**
     * The bearer token a Prometheus scraper sends to GET /metrics; unset turns the endpoint off
     * (404), so a deployment never exposes its metrics by accident.
     */
    readonly token?: string;
  };
  readonly log: {
    readonly level: LogLevel;
    readonly format: (typeof LOG_FORMATS)[number];
  };
  readonly database: {
    /** PostgreSQL connection string; absent means the embedded PGlite database. */
    readonly url?: string;
    readonly poolSize: number;
    /** Bounds on every wait for the database, so an outage answers 503 instead of hanging a request. */
    readonly timeouts: DatabaseTimeouts;
    /**
     * No other Chorus process uses this database (always so for the embedded one): at start,
     * every reply still `streaming` was cut off by a crash and is recovered at once.
     */
    readonly exclusive: boolean;
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
  readonly usage: {
    readonly plans: readonly PlanConfig[];
    /** How long a quota reservation may stay unsettled before it is released (a crashed process's). */
    readonly reservationTtlSeconds: number;
  };
  readonly ai: ProvidersConfig;
  /** Load a few example personas at start when the catalogue is empty. */
  readonly seedExamplePersonas: boolean;
  /**
   * How conversations are named after their first exchange: by the persona's model, in a
   * background job billed like any generation (`model`), or by the user's opening words only.
   */
  readonly conversationTitles: 'model' | 'first-message';
  readonly media: MediaConfig;
  readonly voice: VoiceConfig;
  readonly avatar: AvatarConfig;
  readonly auth: {
    /** HS256 signing secret for access tokens; required in production. */
    readonly jwtSecret?: string;
    /** Where a generated secret is kept when JWT_SECRET is unset (outside production). */
    readonly jwtSecretFile: string;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlDays: number;
    readonly registrationEnabled: boolean;
    /** The plans a user can be on, with their limits; new users get DEFAULT_PLAN (the first plan by default). */
    readonly plans: readonly string[];
    readonly defaultPlan: string;
    /** The first admin, created at start when set and no admin exists yet. */
    readonly admin?: { readonly email: string; readonly password: string };
    readonly argon2: { readonly memoryKib: number; readonly iterations: number; readonly parallelism: number };
    readonly throttle: {
      readonly windowSeconds: number;
      readonly loginPerIp: number;
      readonly loginPerEmail: number;
      readonly registerPerIp: number;
    };
  };
}

export interface DatabaseTimeouts {
  /** Opening a connection, and waiting for a free one in the pool. */
  readonly connectMs: number;
  /** Client side: the longest wait for any statement's answer, so a dead network path cannot hold a request. */
  readonly queryMs: number;
  /** Server side: PostgreSQL cancels a statement running longer; 0 means no limit. */
  readonly statementMs: number;
  /** Server side: PostgreSQL ends a session left idle inside a transaction; 0 means no limit. */
  readonly idleInTransactionMs: number;
  /** Idle time before the first TCP keepalive probe; 0 turns keepalive off. */
  readonly keepAliveMs: number;
}

/** Where the embedded database lives when EMBEDDED_DB_DIR is unset. */
export const DEFAULT_EMBEDDED_DB_DIR = './.data/pg';

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
  const plans = readPlans(read);
  const databaseUrl = read.optionalUrl('DATABASE_URL', ['postgres', 'postgresql']);
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
    metrics: readMetricsConfig(read),
    log: {
      level: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
      format: read.oneOf('LOG_FORMAT', LOG_FORMATS, nodeEnv === 'development' ? 'pretty' : 'json'),
    },
    database: {
      url: databaseUrl,
      poolSize: read.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
      timeouts: readDatabaseTimeouts(read),
      // Only one process can open the embedded database; PostgreSQL may be shared unless the operator says not.
      exclusive: read.bool('DATABASE_EXCLUSIVE', databaseUrl === undefined),
      embedded: {
        dataDir: read.string('EMBEDDED_DB_DIR', DEFAULT_EMBEDDED_DB_DIR),
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
      defaultLimit: read.int('RATE_LIMIT_DEFAULT', 30, { min: 1 }),
    },
    ai: readProvidersConfig(read),
    seedExamplePersonas: read.bool('SEED_EXAMPLE_PERSONAS', true),
    conversationTitles: read.oneOf('CONVERSATION_TITLES', ['model', 'first-message'] as const, 'model'),
    media: readMediaConfig(read),
    voice: readVoiceConfig(read),
    avatar: readAvatarConfig(read),
    usage: { plans, reservationTtlSeconds: read.int('QUOTA_RESERVATION_TTL_SECONDS', 600, { min: 10, max: 86_400 }) },
    auth: readAuthConfig(read, nodeEnv, plans.map((plan) => plan.name)),
  };
  read.assertValid();
  return config;
}

/** Where uploads are kept, and what an upload may be. */
export interface MediaConfig {
  /** `local`: a directory (`dir`); `s3`: an S3-compatible bucket. */
  readonly store: 'local' | 's3';
  readonly dir: string;
  readonly s3: {
    /** Unset for AWS itself; the server's URL for R2, MinIO, Storj, Hetzner... */
    readonly endpoint?: string;
    /** The endpoint clients reach, when it differs from the server's (MinIO inside docker-compose): presigned URLs name it. */
    readonly publicEndpoint?: string;
    readonly region: string;
    readonly bucket: string;
    /** Unset: the SDK's default chain (environment, instance role...). */
    readonly accessKeyId?: string;
    readonly secretAccessKey?: string;
    /** `bucket` in the path instead of the host name (MinIO and most self-hosted servers). */
    readonly forcePathStyle: boolean;
  };
  /** The largest file an upload may carry. */
  readonly maxUploadBytes: number;
  /** How long an upload through the API may go without a byte arriving before it fails (408), giving its quota hold back. */
  readonly uploadIdleTimeoutMs: number;
  /** The most pixels an image may have (width × height): larger ones are refused before they are decoded. */
  readonly maxPixels: number;
  /** How long a media URL handed to a client works. */
  readonly urlTtlSeconds: number;
  /** Uploads straight to the bucket (S3 only): the largest file, and how long the client has to send it. */
  readonly directUpload: { readonly maxBytes: number; readonly ttlSeconds: number };
  /** What one message may carry: this many attachments, this many bytes in all. */
  readonly attachments: { readonly maxCount: number; readonly maxTotalBytes: number };
  readonly moderation: ModerationConfig;
}

/** Who judges uploaded images (and, optionally, message text), and how strictly by default. */
export interface ModerationConfig {
  /** `none`: nothing is moderated; `openai`: omni-moderation through the openai SDK; `rekognition`: AWS DetectModerationLabels. */
  readonly provider: 'none' | 'openai' | 'rekognition';
  /** A category scored at or over this (0 to 1) flags the file, unless a persona's policy says otherwise. */
  readonly threshold: number;
  /** Whether a user's message text is moderated too (refused with 422 `content_flagged` when flagged). */
  readonly text: boolean;
  readonly openai: { readonly apiKey?: string; readonly baseUrl?: string; readonly model: string };
  readonly rekognition: { readonly region: string; readonly endpoint?: string; readonly accessKeyId?: string; readonly secretAccessKey?: string };
  /** Longest wait for a verdict; a provider down or slow leaves the file processing (retried), then rejected: moderation fails closed. */
  readonly timeoutMs: number;
}

function readMediaConfig(read: EnvReader): MediaConfig {
  const store = read.oneOf('MEDIA_STORE', ['local', 's3'] as const, 'local');
  const bucket = read.string('S3_BUCKET', '');
  if (store === 's3' && !bucket) read.reject('S3_BUCKET', 'is required when MEDIA_STORE=s3');
  const accessKeyId = read.optionalString('S3_ACCESS_KEY_ID');
  const secretAccessKey = read.optionalString('S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    read.reject(accessKeyId ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID', 'must be set together with the other of S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY');
  }
  return {
    store,
    dir: read.string('MEDIA_DIR', './.data/media'),
    s3: {
      endpoint: read.optionalUrl('S3_ENDPOINT', ['http', 'https']),
      publicEndpoint: read.optionalUrl('S3_PUBLIC_ENDPOINT', ['http', 'https']),
      region: read.string('S3_REGION', 'us-east-1'),
      bucket,
      accessKeyId,
      secretAccessKey,
      forcePathStyle: read.bool('S3_FORCE_PATH_STYLE', false),
    },
    maxUploadBytes: read.int('MEDIA_MAX_UPLOAD_BYTES', 10 * 1024 * 1024, { min: 1024, max: 1024 * 1024 * 1024 }),
    // Beyond 300 s, Node's own requestTimeout ends the request first.
    uploadIdleTimeoutMs: read.int('MEDIA_UPLOAD_IDLE_TIMEOUT_MS', 30_000, { min: 100, max: 300_000 }),
    maxPixels: read.int('MEDIA_MAX_PIXELS', 40_000_000, { min: 10_000, max: 268_402_689 }),
    urlTtlSeconds: read.int('MEDIA_URL_TTL_SECONDS', 300, { min: 10, max: 604_800 }),
    directUpload: {
      maxBytes: read.int('MEDIA_DIRECT_UPLOAD_MAX_BYTES', 50 * 1024 * 1024, { min: 1024, max: 5 * 1024 ** 3 }),
      ttlSeconds: read.int('MEDIA_DIRECT_UPLOAD_TTL_SECONDS', 900, { min: 60, max: 86_400 }),
    },
    attachments: {
      maxCount: read.int('MEDIA_MAX_ATTACHMENTS', 4, { min: 1, max: 20 }),
      maxTotalBytes: read.int('MEDIA_MAX_ATTACHMENT_BYTES', 20 * 1024 * 1024, { min: 1024, max: 1024 ** 3 }),
    },
    moderation: readModerationConfig(read),
  };
}

function readModerationConfig(read: EnvReader): ModerationConfig {
  const provider = read.oneOf('MODERATION_PROVIDER', ['none', 'openai', 'rekognition'] as const, 'none');
  const apiKey = read.optionalString('MODERATION_OPENAI_API_KEY') ?? read.optionalString('OPENAI_API_KEY');
  const baseUrl = read.optionalUrl('MODERATION_OPENAI_BASE_URL', ['http', 'https']) ?? read.optionalUrl('OPENAI_BASE_URL', ['http', 'https']);
  if (provider === 'openai' && !apiKey && !baseUrl) read.reject('MODERATION_OPENAI_API_KEY', 'is required when MODERATION_PROVIDER=openai (or OPENAI_API_KEY)');
  const thresholdPercent = read.int('MODERATION_THRESHOLD_PERCENT', 50, { min: 1, max: 100 });
  return {
    provider,
    threshold: thresholdPercent / 100,
    text: read.bool('MODERATION_TEXT', false),
    openai: { apiKey, baseUrl, model: read.string('MODERATION_OPENAI_MODEL', 'omni-moderation-latest') },
    rekognition: {
      region: read.string('REKOGNITION_REGION', read.string('S3_REGION', 'us-east-1')),
      endpoint: read.optionalUrl('REKOGNITION_ENDPOINT', ['http', 'https']),
      accessKeyId: read.optionalString('REKOGNITION_ACCESS_KEY_ID'),
      secretAccessKey: read.optionalString('REKOGNITION_SECRET_ACCESS_KEY'),
    },
    timeoutMs: read.int('MODERATION_TIMEOUT_MS', 15_000, { min: 100, max: 120_000 }),
  };
}

/** Shorter tokens are guessable; the value itself is never echoed. */
const METRICS_TOKEN_MIN_LENGTH = 16;

function readMetricsConfig(read: EnvReader): AppConfig['metrics'] {
  const token = read.optionalString('METRICS_TOKEN');
  if (token !== undefined && token.length < METRICS_TOKEN_MIN_LENGTH) {
    read.reject('METRICS_TOKEN', `must be at least ${METRICS_TOKEN_MIN_LENGTH} characters (e.g. openssl rand -hex 32)`);
  }
  return { token };
}

function readDatabaseTimeouts(read: EnvReader): DatabaseTimeouts {
  const statementMs = read.int('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, { min: 0, max: 3_600_000 });
  // Longer than the server's own limit: a slow statement is then cancelled cleanly by PostgreSQL,
  // keeping its connection, and the client-side limit only fires when no answer can come at all.
  const queryMs = read.int('DATABASE_QUERY_TIMEOUT_MS', (statementMs || 30_000) + 5_000, { min: 100, max: 3_700_000 });
  if (statementMs > 0 && queryMs <= statementMs) {
    read.reject('DATABASE_QUERY_TIMEOUT_MS', `must be greater than DATABASE_STATEMENT_TIMEOUT_MS (${statementMs})`);
  }
  return {
    connectMs: read.int('DATABASE_CONNECT_TIMEOUT_MS', 5_000, { min: 100, max: 600_000 }),
    queryMs,
    statementMs,
    idleInTransactionMs: read.int('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, { min: 0, max: 86_400_000 }),
    keepAliveMs: read.int('DATABASE_KEEPALIVE_MS', 10_000, { min: 0, max: 3_600_000 }),
  };
}

function readAuthConfig(read: EnvReader, nodeEnv: AppConfig['nodeEnv'], plans: string[]): AppConfig['auth'] {
  const jwtSecret = read.optionalString('JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) read.reject('JWT_SECRET', 'must be at least 32 characters');
  if (jwtSecret === undefined && nodeEnv === 'production') {
    read.reject('JWT_SECRET', 'is required when NODE_ENV=production (e.g. openssl rand -base64 48)');
  }
  const defaultPlan = read.string('DEFAULT_PLAN', plans[0] ?? 'free');
  if (!plans.includes(defaultPlan)) read.reject('DEFAULT_PLAN', `must be one of PLANS (${plans.join(', ')})`);
  const adminEmail = read.optionalString('ADMIN_EMAIL');
  const adminPassword = read.optionalString('ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    read.reject(adminEmail ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL', 'must be set together with the other of ADMIN_EMAIL/ADMIN_PASSWORD');
  }
  return {
    jwtSecret,
    jwtSecretFile: read.string('JWT_SECRET_FILE', './.data/jwt-secret'),
    accessTokenTtlSeconds: read.int('ACCESS_TOKEN_TTL_SECONDS', 900, { min: 30, max: 86_400 }),
    refreshTokenTtlDays: read.int('REFRESH_TOKEN_TTL_DAYS', 30, { min: 1, max: 365 }),
    registrationEnabled: read.bool('AUTH_REGISTRATION_ENABLED', true),
    plans,
    defaultPlan,
    admin: adminEmail && adminPassword ? { email: adminEmail, password: adminPassword } : undefined,
    argon2: {
      memoryKib: read.int('ARGON2_MEMORY_KIB', 19_456, { min: 1024, max: 4_194_304 }),
      iterations: read.int('ARGON2_ITERATIONS', 2, { min: 1, max: 20 }),
      parallelism: read.int('ARGON2_PARALLELISM', 1, { min: 1, max: 16 }),
    },
    throttle: {
      windowSeconds: read.int('AUTH_THROTTLE_WINDOW_SECONDS', 900, { min: 1, max: 86_400 }),
      loginPerIp: read.int('AUTH_LOGIN_LIMIT_PER_IP', 30, { min: 1 }),
      loginPerEmail: read.int('AUTH_LOGIN_LIMIT_PER_EMAIL', 10, { min: 1 }),
      registerPerIp: read.int('AUTH_REGISTER_LIMIT_PER_IP', 10, { min: 1 }),
    },
  };
}
