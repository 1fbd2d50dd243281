import { randomUUID } from 'node:crypto';
import { bearer } from './support/accounts.js';
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

describe('rate-limit tiers by plan', () => {
  it('gives anonymous callers, free and premium users their own budgets', async () => {
    const plans = JSON.stringify({ free: { requestsPerMinute: 3 }, premium: { requestsPerMinute: 5 } });
    const sut = await TestApp.start({
      env: { PLANS: plans, RATE_LIMIT_DEFAULT: '2', TRUST_PROXY_HOPS: '1', ADMIN_EMAIL: 'tiers@example.com', ADMIN_PASSWORD: 'admin password 1' },
    });
    const from = (ip: string) => ({ 'X-Forwarded-For': ip });
    try {
      // Sign-ups and sign-ins are anonymous requests: each comes from an address of its own.
      const signUp = async (email: string, ip: string) =>
        (await sut.http().post('/api/v1/auth/register').set(from(ip)).send({ email, password: 'long enough pw' }).expect(201)).body;
      const logIn = async (email: string, password: string, ip: string) =>
        (await sut.http().post('/api/v1/auth/login').set(from(ip)).send({ email, password }).expect(200)).body.tokens.accessToken;
      const free = { auth: bearer((await signUp('free@tiers.test', '192.0.2.1')).tokens.accessToken) };
      const premiumId = (await signUp('premium@tiers.test', '192.0.2.2')).user.id;
      const admin = bearer(await logIn('tiers@example.com', 'admin password 1', '192.0.2.3'));
      await sut.http().patch(`/api/v1/admin/users/${premiumId}`).set(admin).send({ plan: 'premium' }).expect(200);
      const upgraded = { auth: bearer(await logIn('premium@tiers.test', 'long enough pw', '192.0.2.4')) };

      const statuses = async (headers: Record<string, string>, count: number) => {
        const results: number[] = [];
        for (let i = 0; i < count; i++) results.push((await sut.http().get('/api/v1/plans').set(headers)).status);
        return results;
      };
      expect(await statuses(from('198.51.100.9'), 3)).toEqual([200, 200, 429]);
      expect(await statuses({ ...free.auth, ...from('198.51.100.10') }, 4)).toEqual([200, 200, 200, 429]);
      expect(await statuses({ ...upgraded.auth, ...from('198.51.100.10') }, 6)).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await sut.http().get('/api/v1/me').set(upgraded.auth).expect(429);
      expect(limited.headers['ratelimit-policy']).toBe('5;w=60');
    } finally {
      await sut.close();
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
