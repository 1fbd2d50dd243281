import { createApp } from '../apps/api/src/create-app.js';
import { ConfigValidationError } from '#chorus/core';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestApp } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

describe('health', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let sut: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await TcpProxy.start(database.url);
    // The app reaches its database through the proxy, so the test can take the database away.
    sut = await TestApp.start({ database: { ...database, url: proxy.urlFor(database.url) } });
  });

  afterAll(async () => {
    await sut.close();
    await proxy.close();
    await database.drop();
  });

  it('is live, outside the API prefix', async () => {
    const response = await sut.http().get('/health/live').expect(200);
    expect(response.body).toEqual({ status: 'ok', details: {} });
    await sut.http().get('/api/v1/health/live').expect(404);
  });

  it('is ready when the database answers', async () => {
    const response = await sut.http().get('/health/ready').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.details.database.status).toBe('up');
    expect(response.body.details.providers).toEqual({ status: 'up', breakers: { simulated: 'closed' } });
  });

  it('answers 503 with details while the database is unreachable, and recovers with it', async () => {
    proxy.cut();
    const down = await sut.http().get('/health/ready').expect(503);
    expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(down.body).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect(down.body.detail).toContain('database');
    expect(down.body.checks.database.status).toBe('down');
    await sut.http().get('/health/live').expect(200);

    proxy.restore();
    const up = await sut.http().get('/health/ready').expect(200);
    expect(up.body.details.database.status).toBe('up');
  });

  it('is never rate limited', async () => {
    const limited = await TestApp.start({ env: { RATE_LIMIT_DEFAULT: '2' } });
    try {
      for (let i = 0; i < 5; i++) await limited.http().get('/health/ready').expect(200);
    } finally {
      await limited.close();
    }
  });
});

describe('boot', () => {
  it('refuses to start with a bad variable, naming it, before touching the database', async () => {
    const attempt = createApp({ env: { PORT: 'not-a-port', DATABASE_URL: 'postgres://127.0.0.1:1/never' } });
    await expect(attempt).rejects.toBeInstanceOf(ConfigValidationError);
    await expect(attempt).rejects.toThrow(/PORT must be an integer/);
  });
});
