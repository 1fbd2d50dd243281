import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError } from './env-schema.js';
import { loadConfig, readEnvironment } from './app-config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const sut = loadConfig({});
    expect(sut.http).toMatchObject({ host: '127.0.0.1', port: 3000, bodyLimitBytes: 1024 ** 2, corsOrigins: [] });
    expect(sut.database.url).toBeUndefined();
    expect(sut.database.embedded.dataDir).toBe('./.data/pg');
    expect(sut.redis.url).toBeUndefined();
    expect(sut.log).toEqual({ level: 'info', format: 'pretty' });
  });

  it('reads typed values', () => {
    const sut = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      BODY_LIMIT: '256kb',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      DATABASE_URL: 'postgres://chorus:pw@db:5432/chorus',
      DATABASE_POOL_SIZE: '25',
      REDIS_URL: 'redis://cache:6379',
      JWT_SECRET: 'x'.repeat(40),
    });
    expect(sut.http.port).toBe(8080);
    expect(sut.http.bodyLimitBytes).toBe(256 * 1024);
    expect(sut.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(sut.database).toMatchObject({ url: 'postgres://chorus:pw@db:5432/chorus', poolSize: 25 });
    expect(sut.redis.url).toBe('redis://cache:6379');
    expect(sut.log.format).toBe('json');
  });

  it('names every bad variable in one error, without echoing URLs that may hold passwords', () => {
    let thrown: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://root:s3cret@db/chorus',
        DATABASE_POOL_SIZE: '0',
        BODY_LIMIT: 'huge',
        DOCS_ENABLED: 'maybe',
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigValidationError);
    const { problems, message } = thrown as ConfigValidationError;
    expect(problems.map((problem) => problem.split(' ')[0]).sort()).toEqual(
      ['BODY_LIMIT', 'DATABASE_POOL_SIZE', 'DATABASE_URL', 'DOCS_ENABLED', 'LOG_LEVEL', 'PORT'],
    );
    expect(message).not.toContain('s3cret');
  });

  it('checks the rules that span variables', () => {
    const problemsOf = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return [...(error as ConfigValidationError).problems];
      }
    };
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^JWT_SECRET is required/)]);
    expect(problemsOf({ JWT_SECRET: 'short' })).toEqual([expect.stringMatching(/^JWT_SECRET must be at least 32/)]);
    expect(problemsOf({ PLANS: '{"free":{},"pro":{}}', DEFAULT_PLAN: 'gold' })).toEqual([expect.stringMatching(/^DEFAULT_PLAN must be one of/)]);
    expect(problemsOf({ PLANS: '{"free":{"chat":{"messagesPerWeek":3}}}' })).toEqual([expect.stringMatching(/^PLANS plan free: chat.messagesPerWeek is not a known limit/)]);
    expect(problemsOf({ PLANS: 'free,premium' })).toEqual([expect.stringMatching(/^PLANS must be valid JSON/)]);
    expect(problemsOf({ PLANS: '["free"]' })).toEqual([expect.stringMatching(/^PLANS must be a JSON object/)]);
    expect(problemsOf({ ADMIN_EMAIL: 'root@example.com' })).toEqual([expect.stringMatching(/^ADMIN_PASSWORD must be set together/)]);
    expect(problemsOf({ METRICS_TOKEN: 'short-token' })).toEqual([expect.stringMatching(/^METRICS_TOKEN must be at least 16/)]);
    expect(loadConfig({}).metrics.token).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'a-scrape-token-long-enough' }).metrics.token).toBe('a-scrape-token-long-enough');
    const custom = loadConfig({ PLANS: '{"basic":{"chat":{"messagesPerDay":5}},"pro":{"chat":{"messagesPerDay":null}}}' });
    expect(custom.auth).toMatchObject({ plans: ['basic', 'pro'], defaultPlan: 'basic' });
    expect(custom.usage.plans[0]!.limits.chat).toEqual({ messagesPerDay: 5, tokensPerMonth: 300_000, costMicrosPerMonth: 1_000_000 });
    expect(custom.usage.plans[1]!.limits.chat.messagesPerDay).toBeNull();
    expect(problemsOf({ PROVIDERS: '[{"name":"x","kind":"openai","baseUrl":"not a url","models":[{"id":"m","contextWindow":1}]}]' }))
      .toEqual([expect.stringMatching(/^PROVIDERS entry 0: baseUrl must be an http\(s\) URL/)]);
    expect(problemsOf({ PROVIDERS: '{"name":"x"}' })).toEqual([expect.stringMatching(/^PROVIDERS must be a JSON array/)]);
    expect(problemsOf({ PROVIDERS: '[{' })).toEqual([expect.stringMatching(/^PROVIDERS must be valid JSON/)]);
    expect(problemsOf({ PLANS_FILE: '/nonexistent/plans.json' })).toEqual([expect.stringMatching(/^PLANS_FILE names a file that does not exist/)]);
    expect(problemsOf({ DEFAULT_MODEL: 'openai/gpt-9' })).toEqual([expect.stringMatching(/^DEFAULT_MODEL must be provider\/model/)]);
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test' }).ai.defaultModel).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
  });

  it('bounds every wait for the database, the client-side limit above the server-side one', () => {
    expect(loadConfig({}).database.timeouts).toEqual({ connectMs: 5_000, queryMs: 35_000, statementMs: 30_000, idleInTransactionMs: 60_000, keepAliveMs: 10_000 });
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '90000' }).database.timeouts.queryMs).toBe(95_000);
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0' }).database.timeouts).toMatchObject({ statementMs: 0, idleInTransactionMs: 0, queryMs: 35_000 });
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '10000', DATABASE_QUERY_TIMEOUT_MS: '10000' })).toThrow(/DATABASE_QUERY_TIMEOUT_MS must be greater than DATABASE_STATEMENT_TIMEOUT_MS/);
    expect(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '0' })).toThrow(/DATABASE_CONNECT_TIMEOUT_MS must be an integer between 100/);
  });
});

describe('readEnvironment', () => {
  it('reads .env when present, with the process environment taking precedence and overrides over both', () => {
    const directory = mkdtempSync(join(tmpdir(), 'chorus-env-'));
    writeFileSync(join(directory, '.env'), 'CHORUS_TEST_FROM_FILE=file\nHOME=from-file\nCHORUS_TEST_OVERRIDDEN=file\n');
    const sut = readEnvironment({ CHORUS_TEST_OVERRIDDEN: 'override' }, directory);
    expect(sut['CHORUS_TEST_FROM_FILE']).toBe('file');
    expect(sut['HOME']).not.toBe('from-file');
    expect(sut['CHORUS_TEST_OVERRIDDEN']).toBe('override');
    rmSync(directory, { recursive: true, force: true });
  });
});
