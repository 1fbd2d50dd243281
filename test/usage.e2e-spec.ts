import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ContextBuilder } from '#chorus/conversations';
import { ManualClock } from '#chorus/core';
import { UsageService } from '#chorus/usage';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { FakeOpenAIServer, GPT_FAKE, fakeOpenAIEnv } from './support/fake-openai.js';
import { EventStreamReader } from './support/sse-client.js';
import { TestApp } from './support/test-app.js';
import { BOOKS_COLUMNS, type Books } from './support/usage-books.js';

const ADMIN = { email: 'billing@example.com', password: 'admin password 123' };

/** Plans small enough to run out of in a test. */
const PLANS = JSON.stringify({
  free: { chat: { messagesPerDay: 3, tokensPerMonth: 100_000, costMicrosPerMonth: null }, requestsPerMinute: 1000, premiumPersonas: false },
  premium: { chat: { messagesPerDay: 100, tokensPerMonth: null, costMicrosPerMonth: null }, requestsPerMinute: 1000, premiumPersonas: true },
});

describe('usage, plans and quotas', () => {
  let sut: TestApp;
  let dataSource: DataSource;
  let admin: TestAccount;
  let novaId: string;

  const conversationFor = async (account: TestAccount, influencerId = novaId): Promise<string> =>
    (await sut.http().post('/api/v1/conversations').set(account.auth).send({ influencerId }).expect(201)).body.id;
  const send = (account: TestAccount, conversationId: string, content = 'hello') =>
    sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(account.auth).send({ content, clientMessageId: randomUUID() });
  const setLimits = (account: TestAccount, limits: unknown) =>
    sut.http().patch(`/api/v1/admin/users/${account.id}/quota`).set(admin.auth).send({ limits }).expect(200);

  /** Counter and ledger totals of a user's chat this month, and what is still reserved. */
  async function books(userId: string): Promise<Books> {
    const [row] = await dataSource.query(`SELECT ${BOOKS_COLUMNS}`, [userId]);
    return row;
  }

  beforeAll(async () => {
    sut = await TestApp.start({ env: { PLANS, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    dataSource = sut.app.get(DataSource);
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    novaId = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
  });

  afterAll(async () => {
    await sut.close();
  });

  it('describes the plans publicly', async () => {
    const response = await sut.http().get('/api/v1/plans').expect(200);
    expect(response.body.map((plan: { name: string }) => plan.name)).toEqual(['free', 'premium']);
    expect(response.body[0].limits.chat).toEqual({ messagesPerDay: 3, tokensPerMonth: 100_000, costMicrosPerMonth: null });
  });

  it("shows a new free user's limits, and counts each reply in meters, headers and the ledger", async () => {
    const user = await newAccount(sut);
    const fresh = await sut.http().get('/api/v1/me/usage').set(user.auth).expect(200);
    expect(fresh.body.plan).toBe('free');
    expect(fresh.body.meters.chat[0]).toMatchObject({ metric: 'messagesPerDay', used: 0, reserved: 0, limit: 3, remaining: 3, resetsAt: expect.any(String) });
    expect(fresh.body.events.items).toEqual([]);

    const reply = await send(user, await conversationFor(user)).expect(200);
    expect(reply.headers['x-quota-messages-remaining']).toBe('2');
    const after = await sut.http().get('/api/v1/me/usage').set(user.auth).expect(200);
    expect(after.body.meters.chat[0]).toMatchObject({ used: 1, reserved: 0, remaining: 2 });
    expect(after.body.events.items).toHaveLength(1);
    expect(after.body.events.items[0]).toMatchObject({
      modality: 'chat',
      quantity: 1,
      inputTokens: reply.body.reply.usage.inputTokens,
      outputTokens: reply.body.reply.usage.outputTokens,
      messageId: reply.body.reply.id,
      provider: 'simulated',
    });
  });

  it('refuses the message over the daily limit with a 429 that says which limit and when it resets, storing nothing', async () => {
    const user = await newAccount(sut);
    const conversationId = await conversationFor(user);
    for (let i = 0; i < 3; i++) await send(user, conversationId).expect(200);
    const refused = await send(user, conversationId, 'one too many').expect(429);
    expect(refused.body).toMatchObject({ code: 'quota_exceeded', limit: 'chat.messagesPerDay', used: 3, max: 3, resetsAt: expect.any(String) });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND content = 'one too many'`, [conversationId]);
    expect(n).toBe(0);
  });

  it('lets exactly the remaining messages through when many are sent at once, and the books agree', async () => {
    const user = await newAccount(sut);
    const conversations = await Promise.all([1, 2, 3].map(() => conversationFor(user)));
    const attempts = await Promise.all(Array.from({ length: 15 }, (_, index) => send(user, conversations[index % 3]!)));
    const statuses = attempts.map((attempt) => attempt.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(12);
    const ledger = await books(user.id);
    expect(ledger).toMatchObject({ messages: 3, ledgerMessages: 3, reserved: 0 });
    expect(ledger.tokens).toBe(ledger.ledgerTokens);
  });

  it('holds a token budget under concurrency too: estimates are reserved before generating', async () => {
    // Replies that take a while to start, so that every request reserves before any reply settles.
    const slow = await TestApp.start({ database: sut.database, env: { PLANS, SIMULATED_FIRST_TOKEN_MS: '1500', SEED_EXAMPLE_PERSONAS: 'false' } });
    try {
      const user = await newAccount(slow);
      // A reply reserves its prompt plus the whole reply budget (1024 for the simulator): two fit in 2500, three do not.
      await setLimits(user, { chat: { messagesPerDay: 100, tokensPerMonth: 2500 } });
      const conversations = await Promise.all(Array.from({ length: 10 }, () => conversationFor(user)));
      const attempts = await Promise.all(
        conversations.map((conversationId) =>
          slow.http().post(`/api/v1/conversations/${conversationId}/messages`).set(user.auth).send({ content: 'hello', clientMessageId: randomUUID() }),
        ),
      );
      expect(attempts.filter((attempt) => attempt.status === 200)).toHaveLength(2);
      expect(attempts.filter((attempt) => attempt.status === 429).every((attempt) => attempt.body.limit === 'chat.tokensPerMonth')).toBe(true);
      const ledger = await books(user.id);
      expect(ledger.tokens).toBe(ledger.ledgerTokens);
      expect(ledger.tokens).toBeLessThanOrEqual(2500);
      expect(ledger.reserved).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('bills a reply whose conversation is deleted while it streams, and stops generating it', async () => {
    const slow = await TestApp.start({ database: sut.database, env: { PLANS, SIMULATED_TOKENS_PER_SECOND: '20', SEED_EXAMPLE_PERSONAS: 'false' } });
    try {
      const base = await slow.listen();
      const user = await newAccount(slow);
      const conversationId = await conversationFor(user);
      const stream = await EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: { ...user.auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ content: 'Tell me everything', clientMessageId: randomUUID() }),
      });
      let seen = '';
      while (seen.length < 20) {
        const event = await stream.next();
        if (!event) throw new Error('The stream ended early');
        if (event.event === 'reply.delta') seen += String(event.data['text']);
      }
      await slow.http().delete(`/api/v1/conversations/${conversationId}`).set(user.auth).expect(204);

      const rest = await stream.rest();
      expect(rest.at(-1)).toMatchObject({ event: 'error', data: { code: 'conversation_deleted' } });
      const streamed = seen + rest.filter((event) => event.event === 'reply.delta').map((event) => event.data['text']).join('');
      const ledger = await books(user.id);
      // Billed as a message, for the prompt and exactly the text that was generated; nothing left reserved.
      expect(ledger).toMatchObject({ messages: 1, ledgerMessages: 1, reserved: 0 });
      expect(ledger.tokens).toBe(ledger.ledgerTokens);
      const [event] = await dataSource.query('SELECT output_tokens FROM usage_events WHERE user_id = $1', [user.id]);
      expect(event.output_tokens).toBe(slow.app.get(ContextBuilder).countText(streamed));
      expect(await dataSource.query('SELECT 1 FROM usage_reservations WHERE user_id = $1', [user.id])).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('refuses a quota override the counters cannot hold, and changes nothing', async () => {
    const user = await newAccount(sut);
    for (const tokensPerMonth of [2 ** 63 - 1, 1e20, 2 ** 53]) {
      const response = await sut.http().patch(`/api/v1/admin/users/${user.id}/quota`).set(admin.auth)
        .send({ limits: { chat: { tokensPerMonth } } }).expect(400);
      expect(response.body.code).toBe('validation_failed');
    }
    expect(await dataSource.query('SELECT 1 FROM quota_overrides WHERE user_id = $1', [user.id])).toEqual([]);
    const conversationId = await conversationFor(user);
    expect((await send(user, conversationId)).status).toBe(200);
  });

  it('keeps premium-only personas for plans that include them', async () => {
    const persona = await sut.http().post('/api/v1/influencers').set(admin.auth)
      .send({ handle: `vip-${randomUUID().slice(0, 6)}`, displayName: 'VIP', category: 'test', systemPrompt: 'You are VIP.', greeting: 'Hi', premiumOnly: true }).expect(201);
    const free = await newAccount(sut);
    const refused = await sut.http().post('/api/v1/conversations').set(free.auth).send({ influencerId: persona.body.id }).expect(403);
    expect(refused.body.code).toBe('plan_required');

    const premium = await newAccount(sut);
    await sut.http().patch(`/api/v1/admin/users/${premium.id}`).set(admin.auth).send({ plan: 'premium' }).expect(200);
    const upgraded = await signIn(sut, premium.email, premium.password);
    const conversationId = await conversationFor(upgraded, persona.body.id);
    await send(upgraded, conversationId).expect(200);

    // A downgrade applies at once, even to a conversation already started.
    await sut.http().patch(`/api/v1/admin/users/${premium.id}`).set(admin.auth).send({ plan: 'free' }).expect(200);
    expect((await send(upgraded, conversationId).expect(403)).body.code).toBe('plan_required');
  });

  it('applies per-user overrides on top of the plan, and rejects unknown limits', async () => {
    const user = await newAccount(sut);
    const updated = await setLimits(user, { chat: { messagesPerDay: 7 } });
    expect(updated.body.limits.chat).toEqual({ messagesPerDay: 7, tokensPerMonth: 100_000, costMicrosPerMonth: null });
    const bad = await sut.http().patch(`/api/v1/admin/users/${user.id}/quota`).set(admin.auth).send({ limits: { chat: { messagesPerYear: 1 } } }).expect(400);
    expect(bad.body.code).toBe('validation_failed');
    await sut.http().patch(`/api/v1/admin/users/${user.id}/quota`).set(user.auth).send({ limits: null }).expect(403);
    const cleared = await setLimits(user, null);
    expect(cleared.body.limits.chat.messagesPerDay).toBe(3);
  });

  it('gives admins totals by day, user, provider and model', async () => {
    const user = await newAccount(sut);
    await send(user, await conversationFor(user)).expect(200);
    const totals = await sut.http().get('/api/v1/admin/usage').query({ userId: user.id }).set(admin.auth).expect(200);
    expect(totals.body.items).toEqual([
      expect.objectContaining({ userId: user.id, provider: 'simulated', model: 'simulated-chat', events: 1, messages: 1, costMicros: 0 }),
    ]);
    await sut.http().get('/api/v1/admin/usage').set(user.auth).expect(403);
  });

  it('rebuilds the counters from the ledger and reports the drift', async () => {
    const user = await newAccount(sut);
    await send(user, await conversationFor(user)).expect(200);
    await dataSource.query(`UPDATE usage_counters SET used = used + 40 WHERE user_id = $1 AND metric = 'chat.messages'`, [user.id]);
    const drift = await sut.app.get(UsageService).rebuildCounters();
    expect(drift).toEqual(expect.arrayContaining([expect.objectContaining({ userId: user.id, metric: 'chat.messages', counter: 41, ledger: 1 })]));
    const fixed = await books(user.id);
    expect(fixed.messages).toBe(fixed.ledgerMessages);
    expect(await sut.app.get(UsageService).rebuildCounters()).toEqual([]);
  });
});

describe('usage across a period boundary', () => {
  it('resets the daily message limit at midnight UTC (an injected clock, no waiting)', async () => {
    const clock = new ManualClock(new Date('2026-11-22T23:59:00Z'));
    const sut = await TestApp.start({ clock, env: { PLANS } });
    try {
      const user = await newAccount(sut);
      const nova = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
      const conversationId = (await sut.http().post('/api/v1/conversations').set(user.auth).send({ influencerId: nova }).expect(201)).body.id;
      const send = () => sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(user.auth).send({ content: 'hi', clientMessageId: randomUUID() });
      for (let i = 0; i < 3; i++) await send().expect(200);
      const refused = await send().expect(429);
      expect(refused.body.resetsAt).toBe('2026-11-23T00:00:00.000Z');

      clock.set(new Date('2026-11-23T00:00:01Z'));
      await send().expect(200);
      const usage = await sut.http().get('/api/v1/me/usage').set(user.auth).expect(200);
      expect(usage.body.meters.chat[0]).toMatchObject({ used: 1, remaining: 2, resetsAt: '2026-11-24T00:00:00.000Z' });
      // Tokens count per month: yesterday's still count today.
      expect(usage.body.meters.chat[1].used).toBeGreaterThan(0);
    } finally {
      await sut.close();
    }
  });
});

describe('the ledger is exact against what the provider reported', () => {
  let upstream: FakeOpenAIServer;
  let sut: TestApp;
  let user: TestAccount;
  let admin: TestAccount;
  let base: string;

  /** $ per million: input 2, output 10 (GPT_FAKE), so cost in micro-dollars is 2 × input + 10 × output; gpt-fake-mini's are 1 and 4. */
  const provider = { apiKey: 'sk-test', maxRetries: 2, models: [GPT_FAKE, { ...GPT_FAKE, id: 'gpt-fake-mini', inputUsdPerMillion: 1, outputUsdPerMillion: 4 }] };

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start({ apiKey: 'sk-test' });
    sut = await TestApp.start({
      env: { ...fakeOpenAIEnv(upstream, provider), ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    });
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    user = await newAccount(sut);
  });

  afterAll(async () => {
    await sut?.close();
    await upstream?.close();
  });

  it('charges streamed, non-streamed, retried, fallback, cancelled and failed replies to the token, at the configured prices', async () => {
    const persona = await sut.http().post('/api/v1/influencers').set(admin.auth).send({
      handle: 'exact', displayName: 'Exact', category: 'test', systemPrompt: 'You are Exact.', greeting: 'Hi',
      modelPolicy: { primary: { provider: 'fake', model: 'gpt-fake' }, fallbacks: [{ provider: 'fake', model: 'gpt-fake-mini' }] },
    }).expect(201);
    const conversationId = (await sut.http().post('/api/v1/conversations').set(user.auth).send({ influencerId: persona.body.id }).expect(201)).body.id;
    const expected = { input: 0, output: 0, cost: 0 };
    const reported = (input: number, output: number, price: { in: number; out: number }) => {
      expected.input += input;
      expected.output += output;
      expected.cost += input * price.in + output * price.out;
      return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
    };
    const big = { in: 2, out: 10 };
    const mini = { in: 1, out: 4 };

    upstream.script({ tokens: ['One', ' two'], usage: reported(101, 7, big), firstTokenDelayMs: 0, tokenDelayMs: 0 });
    await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(user.auth).send({ content: 'json', clientMessageId: 'e-1' }).expect(200);

    upstream.script({ tokens: ['Three', ' four', ' five'], usage: reported(133, 11, big) });
    base = await sut.listen();
    const streamed = await EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...user.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'stream', clientMessageId: 'e-2' }),
    });
    await streamed.rest();

    upstream.failNext(1, 429);
    upstream.script({ tokens: ['Retried'], usage: reported(150, 3, big) });
    await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(user.auth).send({ content: 'retry', clientMessageId: 'e-3' }).expect(200);

    // gpt-fake fails (three times: the try and two retries), gpt-fake-mini answers: billed at mini's prices.
    upstream.failNext(3, 500);
    upstream.script({ tokens: ['Fallback'], usage: reported(170, 5, mini) });
    const fallback = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(user.auth).send({ content: 'fallback', clientMessageId: 'e-4' }).expect(200);
    expect(fallback.body.reply.model).toBe('gpt-fake-mini');

    // Reported nothing and broke after two tokens: billed the counted tokens of what was streamed.
    upstream.script({ tokens: ['Half', ' way', ' there'], usage: null, destroyAfter: 2 });
    const failed = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(user.auth).send({ content: 'fail', clientMessageId: 'e-5' }).expect(200);
    expect(failed.body.reply).toMatchObject({ status: 'failed', content: 'Half way' });
    expected.input += failed.body.reply.usage.inputTokens;
    expected.output += failed.body.reply.usage.outputTokens;
    expected.cost += failed.body.reply.usage.inputTokens * big.in + failed.body.reply.usage.outputTokens * big.out;
    expect(failed.body.reply.usage.outputTokens).toBe(2);

    // Cancelled after two tokens, before the provider's usage chunk: billed the counted tokens of what was streamed.
    upstream.reset();
    upstream.script({ tokens: ['Stop', ' here', ' now', ' please', ' thanks'], usage: reported(0, 0, big), tokenDelayMs: 150 });
    const cancelling = await EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...user.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'cancel', clientMessageId: 'e-6' }),
    });
    const first = (await cancelling.next())!;
    while ((await cancelling.next())?.event !== 'reply.delta');
    while ((await cancelling.next())?.event !== 'reply.delta');
    const cancelled = await sut.http().post(`/api/v1/conversations/${conversationId}/messages/${first.data['replyId']}/cancel`).set(user.auth).expect(200);
    await cancelling.rest();
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect(cancelled.body.usage.outputTokens).toBe(cancelled.body.content.split(' ').length);
    expected.input += cancelled.body.usage.inputTokens;
    expected.output += cancelled.body.usage.outputTokens;
    expected.cost += cancelled.body.usage.inputTokens * big.in + cancelled.body.usage.outputTokens * big.out;

    const [ledger] = await sut.app.get(DataSource).query(
      `SELECT sum(input_tokens)::int AS input, sum(output_tokens)::int AS output, sum(cost_micros)::int AS cost, count(*)::int AS events
         FROM usage_events WHERE user_id = $1`,
      [user.id],
    );
    expect(ledger).toEqual({ input: expected.input, output: expected.output, cost: expected.cost, events: 6 });
    const [counters] = await sut.app.get(DataSource).query(
      `SELECT sum(used) FILTER (WHERE metric = 'chat.tokens')::int AS tokens, sum(used) FILTER (WHERE metric = 'chat.cost_micros')::int AS cost,
              sum(reserved)::int AS reserved FROM usage_counters WHERE user_id = $1`,
      [user.id],
    );
    expect(counters).toEqual({ tokens: expected.input + expected.output, cost: expected.cost, reserved: 0 });
  });
});
