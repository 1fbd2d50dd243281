import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isDatabaseUnavailable, loadConfig, openDatabase, runPendingMigrations } from '#chorus/core';
import { newAccount, type TestAccount } from './support/accounts.js';
import { EventStreamReader } from './support/sse-client.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestApp } from './support/test-app.js';
import { createTestDatabase, externalDatabaseUrl, type TestDatabase } from './support/test-database.js';

/** Short bounds, so that an outage shows within seconds, yet roomy enough for a busy CI machine. */
const CONNECT_TIMEOUT_MS = 2_000;
const QUERY_TIMEOUT_MS = 4_000;
const TIMEOUTS = {
  DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
  DATABASE_STATEMENT_TIMEOUT_MS: '3000',
  DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
};

/**
 * The longest a request may take while the database does not answer: a wait for a pooled
 * connection, then a statement on it. Checked with a generous margin: this is a bound, not a benchmark.
 */
const OUTAGE_BOUND_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + 10_000;

describe('database outage', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let sut: TestApp;
  let alice: TestAccount;
  let refreshToken: string;
  let conversationId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await TcpProxy.start(database.url);
    // The app reaches its database through the proxy (on PGlite too: the test database is served on a socket).
    sut = await TestApp.start({ database: { ...database, url: proxy.urlFor(database.url) }, env: TIMEOUTS });
    alice = await newAccount(sut);
    refreshToken = alice.refreshToken;
    const personas = await sut.http().get('/api/v1/influencers').expect(200);
    const created = await sut.http().post('/api/v1/conversations').set(alice.auth).send({ influencerId: personas.body.items[0].id }).expect(201);
    conversationId = created.body.id;
  });

  afterAll(async () => {
    proxy.restore(); // in case a failed test left the database away
    await sut.close();
    await proxy.close();
    await database.drop();
  });

  /** A JWT read, a sign-in, a refresh, a list and a send: each needs the database. */
  function apiCalls(): Record<string, () => Promise<Response>> {
    return {
      me: () => sut.http().get('/api/v1/me').set(alice.auth),
      login: () => sut.http().post('/api/v1/auth/login').send({ email: alice.email, password: alice.password }),
      refresh: () => sut.http().post('/api/v1/auth/refresh').send({ refreshToken }),
      list: () => sut.http().get('/api/v1/conversations').set(alice.auth),
      send: () =>
        sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: 'Are you there?', clientMessageId: randomUUID() }),
      readiness: () => sut.http().get('/health/ready'),
    };
  }

  /** Runs every call at once (more than the pool holds), returning each one's response and duration. */
  async function callAllAtOnce(): Promise<Record<string, { response: Response; elapsedMs: number }>> {
    const calls = Object.entries(apiCalls()).map(async ([name, call]) => {
      const started = performance.now();
      const response = await call();
      return [name, { response, elapsedMs: performance.now() - started }] as const;
    });
    return Object.fromEntries(await Promise.all(calls));
  }

  function expectUnavailable(results: Awaited<ReturnType<typeof callAllAtOnce>>): void {
    for (const [name, { response }] of Object.entries(results)) {
      expect({ name, status: response.status, code: response.body.code }).toEqual({ name, status: 503, code: 'service_unavailable' });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      if (name !== 'readiness') expect({ name, retryAfter: response.headers['retry-after'] }).toEqual({ name, retryAfter: '5' });
    }
  }

  /** Once the database is back, the same calls succeed, with no restart: the pool replaced its dead connections. */
  async function expectRecovered(): Promise<void> {
    const statuses: Record<string, number> = {};
    for (const [name, call] of Object.entries(apiCalls())) {
      const response = await call();
      statuses[name] = response.status;
      if (name === 'refresh' && response.status === 200) refreshToken = response.body.refreshToken;
    }
    expect(statuses).toEqual({ me: 200, login: 200, refresh: 200, list: 200, send: 200, readiness: 200 });
  }

  /** An outage is a warning per request, not an unhandled error with a stack or SQL. */
  function expectQuietLogs(since: number): void {
    const lines = sut.logs.lines.slice(since);
    expect(lines.filter((line) => line['msg'] === 'Database unavailable on GET /api/v1/me')).toHaveLength(1);
    expect(lines.filter((line) => String(line['msg']).startsWith('Unhandled error'))).toEqual([]);
    expect(sut.logs.raw.slice(since).filter((line) => /SELECT|INSERT|"stack"/.test(line))).toEqual([]);
  }

  it('answers 503 with Retry-After while connections are cut, and recovers with the database', async () => {
    const logged = sut.logs.lines.length;
    proxy.cut();
    expectUnavailable(await callAllAtOnce());
    // What needs no database keeps working.
    await sut.http().get('/health/live').expect(200);
    // The OpenAI-compatible surface says the same in its own format (a persona it cannot look up is not an unknown model).
    const completion = await sut.http().post('/openai/v1/chat/completions').set(alice.auth)
      .send({ model: 'persona/nova', messages: [{ role: 'user', content: 'hi' }] });
    expect({ status: completion.status, error: completion.body.error }).toMatchObject({ status: 503, error: { type: 'server_error', code: 'service_unavailable' } });
    expect(completion.headers['retry-after']).toBe('5');
    expectQuietLogs(logged);

    proxy.restore();
    await expectRecovered();
  });

  it('answers 503 within the configured bounds while the database is black-holed, and recovers with it', async () => {
    // The pool holds open connections when the path dies. More calls than it has connections use
    // every one of them, and the black hole keeps them dead for good (see TcpProxy.restore).
    await expectRecovered();
    const logged = sut.logs.lines.length;
    proxy.blackHole();
    const results = await callAllAtOnce();
    expectUnavailable(results);
    for (const [name, { elapsedMs }] of Object.entries(results)) expect({ name, returned: elapsedMs < OUTAGE_BOUND_MS }).toEqual({ name, returned: true });
    expectQuietLogs(logged);

    proxy.restore();
    await expectRecovered();
  });
});

describe('a reply that ends while the database is away', () => {
  it('is saved and billed once the database answers again, not left streaming', async () => {
    const database = await createTestDatabase();
    const proxy = await TcpProxy.start(database.url);
    // A slow simulator, so that the outage comes while the reply streams.
    const sut = await TestApp.start({ database: { ...database, url: proxy.urlFor(database.url) }, env: { ...TIMEOUTS, SIMULATED_TOKENS_PER_SECOND: '20' } });
    try {
      const base = await sut.listen();
      const user = await newAccount(sut);
      const nova = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
      const conversation = (await sut.http().post('/api/v1/conversations').set(user.auth).send({ influencerId: nova }).expect(201)).body.id;
      const stream = await EventStreamReader.open(`${base}/api/v1/conversations/${conversation}/messages`, {
        method: 'POST',
        headers: { ...user.auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ content: 'Tell me a long story', clientMessageId: randomUUID() }),
      });
      while ((await stream.next())?.event !== 'reply.delta');
      proxy.cut();
      // Back before the retries run out (about 16 s), well after the reply has ended (about 4 s at 20 tokens/s).
      setTimeout(() => proxy.restore(), 6_000).unref();

      const events = await stream.rest();
      const completed = events.at(-1);
      expect(completed?.event).toBe('reply.completed');
      const [reply] = await sut.app.get(DataSource).query('SELECT status, content, output_tokens FROM messages WHERE id = $1', [completed!.data['messageId']]);
      expect(reply).toMatchObject({ status: 'completed', content: completed!.data['content'] });
      const [books] = await sut.app.get(DataSource).query(
        `SELECT (SELECT count(*)::int FROM usage_reservations WHERE user_id = $1) AS reservations,
                (SELECT coalesce(sum(output_tokens), 0)::int FROM usage_events WHERE user_id = $1) AS "outputTokens"`,
        [user.id],
      );
      expect(books).toEqual({ reservations: 0, outputTokens: reply.output_tokens });
    } finally {
      proxy.restore();
      await sut.close();
      await proxy.close();
      await database.drop();
    }
  });
});

describe('database statement limits', () => {
  class SlowMigration1800000000000 implements MigrationInterface {
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query('SELECT pg_sleep(1)');
    }

    async down(): Promise<void> {}
  }

  it('end a statement that runs too long, but not a migration, and keep the pool usable', async () => {
    const database = await createTestDatabase();
    const limits = { DATABASE_STATEMENT_TIMEOUT_MS: '300', DATABASE_QUERY_TIMEOUT_MS: '600' };
    const config = loadConfig({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: '1', ...limits });
    const opened = await openDatabase(config, { entities: [], migrations: [SlowMigration1800000000000] });
    try {
      await expect(runPendingMigrations(opened.dataSource)).resolves.toEqual(['SlowMigration1800000000000']);

      // The limits are back after the migrations: PostgreSQL cancels the statement itself (57014);
      // PGlite has no timers, so there the client stops waiting.
      const error: unknown = await opened.dataSource.query('SELECT pg_sleep(1)').catch((caught: unknown) => caught);
      expect(isDatabaseUnavailable(error)).toBe(true);
      if (externalDatabaseUrl()) expect((error as { code?: string }).code).toBe('57014');

      await expect(opened.dataSource.query('SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    } finally {
      await opened.close();
      await database.drop();
    }
  });
});
