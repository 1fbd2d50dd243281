import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { MemoryThrottlerStorage, RedisThrottlerStorage, connectRedis } from '#chorus/core';
import { bearer } from './support/accounts.js';
import { ProbeModule } from './support/probe.module.js';
import { TestApp, describeWithRedis } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** The probe's route is as cheap as a route gets. */
const ROUTE = '/api/v1/probe/slow?ms=0';
const extraModules = [ProbeModule];
const from = (ip: string) => ({ 'X-Forwarded-For': ip });

describe('rate limiting', () => {
  let sut: TestApp;

  beforeAll(async () => {
    // Each test calls from addresses of its own, so that each has its own budgets.
    sut = await TestApp.start({ extraModules, env: { RATE_LIMIT_DEFAULT: '3', RATE_LIMIT_WINDOW_SECONDS: '60', TRUST_PROXY_HOPS: '1' } });
  });

  afterAll(async () => {
    await sut.close();
  });

  it('counts down with RateLimit headers, then answers 429 problem+json with Retry-After', async () => {
    const client = from('192.0.2.10');
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await sut.http().get(ROUTE).set(client).expect(200);
      expect(response.headers['ratelimit-limit']).toBe('3');
      expect(response.headers['ratelimit-policy']).toBe('3;w=60');
      expect(Number(response.headers['ratelimit-reset'])).toBeGreaterThan(0);
      // The IETF headers only, not throttler's own.
      expect(Object.keys(response.headers).filter((name) => name.startsWith('x-ratelimit'))).toEqual([]);
      remaining.push(response.headers['ratelimit-remaining']);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const limited = await sut.http().get(ROUTE).set(client).expect(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ code: 'rate_limited', status: 429, requestId: limited.headers['x-request-id'] });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.retryAfterSeconds).toBe(retryAfter);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(Object.keys(limited.headers).filter((name) => name.startsWith('retry-after-'))).toEqual([]);
    // Probes are never limited.
    await sut.http().get('/health/live').set(client).expect(200);
  });

  it('keeps a separate budget per client, and one per IPv6 /64', async () => {
    const spend = async (ip: string, count: number) => {
      for (let i = 0; i < count; i++) await sut.http().get(ROUTE).set(from(ip)).expect(200);
    };
    await spend('203.0.113.1', 3);
    await sut.http().get(ROUTE).set(from('203.0.113.1')).expect(429);
    await sut.http().get(ROUTE).set(from('203.0.113.2')).expect(200);

    // An IPv6 client usually holds a whole /64: its addresses share one budget.
    await spend('2001:db8:0:1::1', 2);
    await spend('2001:db8:0:1::ffff', 1);
    await sut.http().get(ROUTE).set(from('2001:db8:0:1:aaaa::1')).expect(429);
    await sut.http().get(ROUTE).set(from('2001:db8:0:2::1')).expect(200);
  });

  it('counts requests no route matched, so that a flood of 404s ends in 429', async () => {
    const client = from('198.51.100.20');
    const unmatched = [
      sut.http().get('/api/v1/no-such-route'), // under the API prefix
      sut.http().get('/no-such-page'), // outside it
      sut.http().post('/health/live'), // a route's path with another method
    ];
    const remaining: string[] = [];
    for (const request of unmatched) {
      const response = await request.set(client).expect(404);
      expect(response.body.code).toBe('not_found');
      remaining.push(response.headers['ratelimit-remaining']);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    for (const path of ['/api/v1/no-such-route', '/no-such-page']) {
      const limited = await sut.http().get(path).set(client).expect(429);
      expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(limited.body).toMatchObject({ code: 'rate_limited', requestId: limited.headers['x-request-id'] });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
    // The OpenAI-compatible surface answers in its own error shape.
    const openai = await sut.http().get('/openai/v1/no-such-route').set(client).expect(429);
    expect(openai.body.error).toMatchObject({ code: 'rate_limited' });
    // One budget: routes are refused too, probes still answer.
    await sut.http().get(ROUTE).set(client).expect(429);
    await sut.http().get('/health/ready').set(client).expect(200);
  });
});

describe('rate-limit tiers by plan', () => {
  it('gives anonymous callers, free and premium users and admins their own budgets', async () => {
    const plans = JSON.stringify({ free: { requestsPerMinute: 3 }, premium: { requestsPerMinute: 5 } });
    const sut = await TestApp.start({
      env: { PLANS: plans, RATE_LIMIT_DEFAULT: '2', TRUST_PROXY_HOPS: '1', ADMIN_EMAIL: 'tiers@example.com', ADMIN_PASSWORD: 'admin password 1' },
    });
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

      const statuses = async (headers: Record<string, string>, count: number, path = '/api/v1/plans') => {
        const results: number[] = [];
        for (let i = 0; i < count; i++) results.push((await sut.http().get(path).set(headers)).status);
        return results;
      };
      expect(await statuses(from('198.51.100.9'), 3)).toEqual([200, 200, 429]);
      expect(await statuses({ ...free.auth, ...from('198.51.100.10') }, 4)).toEqual([200, 200, 200, 429]);
      expect(await statuses({ ...upgraded.auth, ...from('198.51.100.10') }, 6)).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await sut.http().get('/api/v1/me').set(upgraded.auth).expect(429);
      expect(limited.headers['ratelimit-policy']).toBe('5;w=60');

      // A signed-in caller's 404s spend their own budget, by user id: this address's is spent.
      const other = { ...bearer((await signUp('other@tiers.test', '192.0.2.5')).tokens.accessToken), ...from('198.51.100.9') };
      expect(await statuses(other, 1)).toEqual([200]);
      const notFound = await sut.http().get('/api/v1/no-such-route').set(other).expect(404);
      expect(notFound.headers['ratelimit-policy']).toBe('3;w=60');
      expect(notFound.headers['ratelimit-remaining']).toBe('1');
      expect(await statuses(other, 2, '/no-such-page')).toEqual([404, 429]);
      expect(await statuses(other, 1)).toEqual([429]);

      const adminResponse = await sut.http().get('/api/v1/no-such-route').set(admin).expect(404);
      expect(adminResponse.headers['ratelimit-policy']).toBe('100000;w=60');
      expect(adminResponse.headers['ratelimit-remaining']).toBe('99998');
    } finally {
      await sut.close();
    }
  });
});

describe('throttler storage', () => {
  const storages: Array<[string, () => Promise<{ storage: MemoryThrottlerStorage | RedisThrottlerStorage; close(): Promise<void> }>]> = [
    ['in memory', async () => ({ storage: new MemoryThrottlerStorage(), close: async () => undefined })],
  ];
  if (process.env['REDIS_URL']) {
    storages.push([
      'in Redis',
      async () => {
        const redis = await connectRedis(process.env['REDIS_URL']!, `chorus-test:${randomUUID()}:`);
        return { storage: new RedisThrottlerStorage(redis), close: async () => void (await redis.quit()) };
      },
    ]);
  }

  describe.each(storages)('%s', (_name, open) => {
    let sut: MemoryThrottlerStorage | RedisThrottlerStorage;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ storage: sut, close } = await open());
    });

    afterAll(async () => {
      await close();
    });

    it('counts a fixed window: blocked past the limit until the window ends, then whole again', async () => {
      const key = randomUUID();
      expect(await sut.increment(key, 400, 2, 0)).toEqual({ totalHits: 1, timeToExpire: 1, isBlocked: false, timeToBlockExpire: 0 });
      expect(await sut.increment(key, 400, 2, 0)).toMatchObject({ totalHits: 2, isBlocked: false });
      expect(await sut.increment(key, 400, 2, 0)).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 1 });
      await sleep(500);
      expect(await sut.increment(key, 400, 2, 0)).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('with a block duration, blocks that long after the hit that went over', async () => {
      const key = randomUUID();
      await sut.increment(key, 200, 1, 10_000);
      expect(await sut.increment(key, 200, 1, 10_000)).toMatchObject({ isBlocked: true, timeToBlockExpire: 10 });
      await sleep(300);
      const later = await sut.increment(key, 200, 1, 10_000);
      expect(later.isBlocked).toBe(true);
      expect(later.timeToBlockExpire).toBeGreaterThan(8);
    });

    it('counts concurrent hits exactly once each', async () => {
      const key = randomUUID();
      const records = await Promise.all(Array.from({ length: 50 }, () => sut.increment(key, 60_000, 40, 0)));
      expect(records.map((record) => record.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(records.filter((record) => record.isBlocked)).toHaveLength(10);
    });
  });

  it('lets requests through when Redis is unreachable', async () => {
    // Never connected, and with no offline queue: every command fails at once.
    const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
    try {
      const record = await new RedisThrottlerStorage(redis).increment('key', 60_000, 1, 0);
      expect(record).toMatchObject({ totalHits: 0, isBlocked: false });
    } finally {
      redis.disconnect();
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

  it('shares one budget between app instances, 404s included', async () => {
    await first.http().get(ROUTE).expect(200);
    await second.http().get('/api/v1/no-such-route').expect(404);
    await first.http().get('/no-such-page').expect(404);
    const last = await second.http().get(ROUTE).expect(200);
    expect(last.headers['ratelimit-remaining']).toBe('0');
    await first.http().get(ROUTE).expect(429);
    await second.http().get('/no-such-page').expect(429);
  });

  it('reports Redis in readiness', async () => {
    const response = await first.http().get('/health/ready').expect(200);
    expect(response.body.details.redis.status).toBe('up');
  });
});
