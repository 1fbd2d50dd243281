import { randomUUID } from 'node:crypto';
import { ProbeModule } from './support/probe.module.js';
import { TestApp, describeWithRedis } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** Guards run on matched routes; the probe's is as cheap as a route gets. */
const ROUTE = '/api/v1/probe/slow?ms=0';
const extraModules = [ProbeModule];

describe('rate limiting', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await TestApp.start({ extraModules, env: { RATE_LIMIT_DEFAULT: '3', RATE_LIMIT_WINDOW_SECONDS: '60' } });
  });

  afterAll(async () => {
    await sut.close();
  });

  it('counts down with RateLimit headers, then answers 429 problem+json with Retry-After', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await sut.http().get(ROUTE).expect(200);
      expect(response.headers['ratelimit-limit']).toBe('3');
      expect(response.headers['ratelimit-policy']).toBe('3;w=60');
      remaining.push(response.headers['ratelimit-remaining']);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const limited = await sut.http().get(ROUTE).expect(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ code: 'rate_limited', status: 429, requestId: limited.headers['x-request-id'] });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.retryAfterSeconds).toBe(retryAfter);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
  });

  it('keeps a separate budget per client', async () => {
    const other = await TestApp.start({ extraModules, env: { RATE_LIMIT_DEFAULT: '1', TRUST_PROXY_HOPS: '1' } });
    try {
      await other.http().get(ROUTE).set('X-Forwarded-For', '203.0.113.1').expect(200);
      await other.http().get(ROUTE).set('X-Forwarded-For', '203.0.113.1').expect(429);
      await other.http().get(ROUTE).set('X-Forwarded-For', '203.0.113.2').expect(200);
    } finally {
      await other.close();
    }
  });
});

describeWithRedis('rate limiting with Redis', () => {
  let database: TestDatabase;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Two processes' worth of app behind one load balancer: same Redis, same key prefix.
    const env = { RATE_LIMIT_DEFAULT: '4', REDIS_KEY_PREFIX: `chorus-test:${randomUUID()}:` };
    first = await TestApp.start({ database, env, extraModules });
    second = await TestApp.start({ database, env, extraModules });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database.drop();
  });

  it('shares one budget between app instances', async () => {
    await first.http().get(ROUTE).expect(200);
    await second.http().get(ROUTE).expect(200);
    await first.http().get(ROUTE).expect(200);
    const last = await second.http().get(ROUTE).expect(200);
    expect(last.headers['ratelimit-remaining']).toBe('0');
    await first.http().get(ROUTE).expect(429);
    await second.http().get(ROUTE).expect(429);
  });

  it('reports Redis in readiness', async () => {
    const response = await first.http().get('/health/ready').expect(200);
    expect(response.body.details.redis.status).toBe('up');
  });
});
