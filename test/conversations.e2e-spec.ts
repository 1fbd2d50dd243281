import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { EventStreamReader, type SseEvent } from './support/sse-client.js';
import { TestApp } from './support/test-app.js';

const ADMIN = { email: 'ops@example.com', password: 'admin password 123' };

describe('conversations and streamed replies', () => {
  let sut: TestApp;
  let base: string;
  let dataSource: DataSource;
  let admin: TestAccount;
  let alice: TestAccount;
  let novaId: string;

  /** A persona whose replies come from the given simulator model(s), for failure and fallback cases. */
  async function personaWith(models: string[], handle = `p-${randomUUID().slice(0, 8)}`): Promise<string> {
    const [primary, ...fallbacks] = models.map((model) => ({ provider: 'simulated', model }));
    const response = await sut.http().post('/api/v1/influencers').set(admin.auth).send({
      handle,
      displayName: handle,
      category: 'test',
      systemPrompt: `You are ${handle}.`,
      greeting: `Hello from ${handle}`,
      modelPolicy: { primary, fallbacks },
    }).expect(201);
    return response.body.id;
  }

  async function newConversation(account: TestAccount, influencerId = novaId): Promise<string> {
    return (await sut.http().post('/api/v1/conversations').set(account.auth).send({ influencerId }).expect(201)).body.id;
  }

  function send(account: TestAccount, conversationId: string, content: string, clientMessageId: string = randomUUID()): Promise<EventStreamReader> {
    return EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...account.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content, clientMessageId }),
    });
  }

  async function storedReply(replyId: string): Promise<Record<string, unknown>> {
    const [row] = await dataSource.query('SELECT * FROM messages WHERE id = $1', [replyId]);
    return row;
  }

  /** A second app on the same database with a slower simulator, so a test can act mid-reply. */
  async function withSlowApp(tokensPerSecond: number, test: (slow: TestApp, slowBase: string) => Promise<void>): Promise<void> {
    const slow = await TestApp.start({ database: sut.database, env: { SIMULATED_TOKENS_PER_SECOND: String(tokensPerSecond), SEED_EXAMPLE_PERSONAS: 'false' } });
    try {
      await test(slow, await slow.listen());
    } finally {
      await slow.close();
    }
  }

  function sendVia(baseUrl: string, account: TestAccount, conversationId: string, content: string): Promise<EventStreamReader> {
    return EventStreamReader.open(`${baseUrl}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...account.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content, clientMessageId: randomUUID() }),
    });
  }

  const textOf = (events: SseEvent[]) => events.filter((event) => event.event === 'reply.delta').map((event) => event.data['text']).join('');

  beforeAll(async () => {
    sut = await TestApp.start({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    base = await sut.listen();
    dataSource = sut.app.get(DataSource);
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    alice = await newAccount(sut);
    novaId = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
  });

  afterAll(async () => {
    await sut.close();
  });

  it("starts a conversation with the persona's greeting", async () => {
    const response = await sut.http().post('/api/v1/conversations').set(alice.auth).send({ influencerId: novaId }).expect(201);
    expect(response.body.greeting).toMatchObject({ role: 'assistant', status: 'completed', content: expect.stringContaining('Nova') });
    expect(response.body.influencer).toMatchObject({ handle: 'nova' });
  });

  it('streams a reply as typed events with increasing ids, and stores exactly what was streamed', async () => {
    const conversationId = await newConversation(alice);
    const stream = await send(alice, conversationId, 'What can I see tonight?');
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await stream.rest();

    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]!.event).toBe('message');
    expect(events[1]!.event).toBe('reply.started');
    expect(events.at(-1)!.event).toBe('reply.completed');
    expect(events.slice(2, -1).every((event) => event.event === 'reply.delta')).toBe(true);

    const completed = events.at(-1)!.data;
    const streamed = textOf(events);
    expect(streamed).toContain('What can I see tonight?');
    expect(completed).toMatchObject({ status: 'completed', content: streamed, length: streamed.length, servedBy: { provider: 'simulated', model: 'simulated-chat' } });
    expect(completed['usage']).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });

    const reply = await storedReply(String(completed['messageId']));
    expect(reply).toMatchObject({ content: streamed, status: 'completed', provider: 'simulated', model: 'simulated-chat', prompt_version: 1 });
    expect(reply['first_token_ms']).toEqual(expect.any(Number));
    const conversation = await sut.http().get(`/api/v1/conversations/${conversationId}`).set(alice.auth).expect(200);
    expect(conversation.body.title).toBe('What can I see tonight?');
  });

  it('answers with JSON when the client does not ask for a stream', async () => {
    const conversationId = await newConversation(alice);
    const response = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: 'Hi', clientMessageId: 'json-1' }).expect(200);
    expect(response.body.message).toMatchObject({ role: 'user', content: 'Hi', clientMessageId: 'json-1' });
    expect(response.body.reply).toMatchObject({ role: 'assistant', status: 'completed', replyToId: response.body.message.id });
  });

  it('is idempotent on clientMessageId: a retry returns the same messages and generates nothing new', async () => {
    const conversationId = await newConversation(alice);
    const first = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: 'Once', clientMessageId: 'retry-me' }).expect(200);
    const second = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: 'Once', clientMessageId: 'retry-me' }).expect(200);
    expect(second.body.message.id).toBe(first.body.message.id);
    expect(second.body.reply.id).toBe(first.body.reply.id);
    const retriedStream = await (await send(alice, conversationId, 'Once', 'retry-me')).rest();
    expect(retriedStream.at(-1)!.data['messageId']).toBe(first.body.reply.id);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`, [conversationId]);
    expect(n).toBe(3);
  });

  it('resumes with Last-Event-ID from the middle of a reply', async () => {
    await withSlowApp(40, async (_slow, slowBase) => {
      const conversationId = await newConversation(alice);
      const stream = await sendVia(slowBase, alice, conversationId, 'Tell me about Saturn');
      const seen: SseEvent[] = [];
      while (seen.length < 5) seen.push((await stream.next())!);
      stream.abort();
      const replyId = String(seen[0]!.data['replyId']);

      const resumed = await EventStreamReader.open(`${slowBase}/api/v1/conversations/${conversationId}/messages/${replyId}/stream`, {
        headers: { ...alice.auth, 'Last-Event-ID': '5' },
      });
      const rest = await resumed.rest();
      expect(rest[0]!.id).toBe(6);
      expect(rest.at(-1)!.event).toBe('reply.completed');
      const all = [...seen, ...rest];
      expect(all.map((event) => event.id)).toEqual(all.map((_, index) => index + 1));
      expect(textOf(all)).toBe(rest.at(-1)!.data['content']);

      const finished = await EventStreamReader.open(`${slowBase}/api/v1/conversations/${conversationId}/messages/${replyId}/stream`, {
        headers: { ...alice.auth, 'Last-Event-ID': String(all.length - 1) },
      });
      expect((await finished.rest()).map((event) => event.event)).toEqual(['reply.completed']);
    });
  });

  it('resumes a finished reply from the database, past any Last-Event-ID the client had', async () => {
    const conversationId = await newConversation(alice);
    const sent = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: 'Old news', clientMessageId: randomUUID() }).expect(200);
    // Another instance never saw this reply live: it rebuilds the final events from the database.
    await withSlowApp(40, async (_other, otherBase) => {
      const url = `${otherBase}/api/v1/conversations/${conversationId}/messages/${sent.body.reply.id}/stream`;
      const all = await (await EventStreamReader.open(url, { headers: alice.auth })).rest();
      expect(all.map((event) => event.event)).toEqual(['message', 'reply.started', 'reply.completed']);
      const late = await (await EventStreamReader.open(url, { headers: { ...alice.auth, 'Last-Event-ID': '57' } })).rest();
      expect(late).toEqual([expect.objectContaining({ id: 58, event: 'reply.completed', data: expect.objectContaining({ content: sent.body.reply.content }) })]);
    });
  });

  it('cancels mid-stream: the partial reply is stored as cancelled', async () => {
    await withSlowApp(20, async (slow, slowBase) => {
      const conversationId = await newConversation(alice);
      const stream = await sendVia(slowBase, alice, conversationId, 'A long story please');
      const seen: SseEvent[] = [];
      while (seen.filter((event) => event.event === 'reply.delta').length < 2) seen.push((await stream.next())!);
      const replyId = String(seen[0]!.data['replyId']);

      const cancelled = await slow.http().post(`/api/v1/conversations/${conversationId}/messages/${replyId}/cancel`).set(alice.auth).expect(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(cancelled.body.finishReason).toBe('cancelled');
      const rest = await stream.rest();
      const all = [...seen, ...rest];
      expect(all.at(-1)).toMatchObject({ event: 'reply.completed', data: { status: 'cancelled' } });
      expect(cancelled.body.content).toBe(textOf(all));
      expect(cancelled.body.content.length).toBeGreaterThan(0);
      expect(cancelled.body.content).not.toContain('Configure OPENAI_API_KEY');
    });
  });

  it('finishes and stores the reply when the client disconnects', async () => {
    const conversationId = await newConversation(alice);
    const stream = await send(alice, conversationId, 'Goodbye early');
    const first = (await stream.next())!;
    stream.abort();
    const replyId = String(first.data['replyId']);
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await storedReply(replyId))['status'] !== 'streaming') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const reply = await storedReply(replyId);
    expect(reply['status']).toBe('completed');
    expect(reply['content']).toContain('Goodbye early');
  });

  it("answers 404 for another user's conversation, whatever the action", async () => {
    const conversationId = await newConversation(alice);
    const reply = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: 'mine', clientMessageId: 'own-1' }).expect(200);
    const bob = await newAccount(sut);
    const replyId = reply.body.reply.id;
    await sut.http().get(`/api/v1/conversations/${conversationId}`).set(bob.auth).expect(404);
    await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).set(bob.auth).expect(404);
    await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(bob.auth).send({ content: 'hi', clientMessageId: 'x' }).expect(404);
    await sut.http().get(`/api/v1/conversations/${conversationId}/messages/${replyId}/stream`).set(bob.auth).expect(404);
    await sut.http().post(`/api/v1/conversations/${conversationId}/messages/${replyId}/cancel`).set(bob.auth).expect(404);
    await sut.http().patch(`/api/v1/conversations/${conversationId}`).set(bob.auth).send({ title: 'stolen' }).expect(404);
    await sut.http().delete(`/api/v1/conversations/${conversationId}`).set(bob.auth).expect(404);
    expect((await sut.http().get('/api/v1/conversations').set(bob.auth).expect(200)).body.items).toEqual([]);
    await sut.http().get(`/api/v1/conversations/${conversationId}`).set(alice.auth).expect(200);
  });

  it.each([
    ['empty content', { content: '', clientMessageId: 'v1' }, 'content'],
    ['content over 8000 characters', { content: 'x'.repeat(8001), clientMessageId: 'v2' }, 'content'],
    ['an unknown field', { content: 'hi', clientMessageId: 'v3', role: 'assistant' }, 'role'],
    ['no client message id', { content: 'hi' }, 'clientMessageId'],
  ])('rejects %s and stores nothing', async (_case, body, field) => {
    const conversationId = await newConversation(alice);
    const response = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send(body).expect(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    const [{ n }] = await dataSource.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]);
    expect(n).toBe(1);
  });

  it('keeps the user message and shows the failure when no model can answer', async () => {
    const conversationId = await newConversation(alice, await personaWith(['simulated-fail']));
    const events = await (await send(alice, conversationId, 'Are you there?')).rest();
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'providers_unavailable', status: 502 } });
    const history = await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).expect(200);
    expect(history.body.items.map((message: { role: string; status: string }) => `${message.role}:${message.status}`)).toEqual([
      'assistant:completed',
      'user:completed',
      'assistant:failed',
    ]);
    expect(history.body.items[2].errorCode).toBe('providers_unavailable');
  });

  it('keeps the partial text of a reply that fails mid-stream', async () => {
    const conversationId = await newConversation(alice, await personaWith(['simulated-fail-midstream']));
    const events = await (await send(alice, conversationId, 'Start and stop')).rest();
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'provider_failed_mid_stream' } });
    const reply = await storedReply(String(events.at(-1)!.data['messageId']));
    expect(reply).toMatchObject({ status: 'failed', error_code: 'provider_failed_mid_stream' });
    expect(reply['content']).toBe(textOf(events));
    expect(String(reply['content']).length).toBeGreaterThan(0);
  });

  it("falls back to the persona's next model when the primary fails before its first token", async () => {
    const conversationId = await newConversation(alice, await personaWith(['simulated-fail', 'simulated-chat']));
    const events = await (await send(alice, conversationId, 'Fallback please')).rest();
    expect(events.at(-1)).toMatchObject({ event: 'reply.completed', data: { status: 'completed', servedBy: { model: 'simulated-chat' } } });
    const reply = await storedReply(String(events.at(-1)!.data['messageId']));
    expect(reply['model']).toBe('simulated-chat');
  });

  it('regenerates a reply, keeping the earlier one as an alternative', async () => {
    const conversationId = await newConversation(alice);
    const sent = await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: 'Again', clientMessageId: 'regen-1' }).expect(200);
    const again = await sut.http().post(`/api/v1/conversations/${conversationId}/messages/${sent.body.reply.id}/regenerate`).set(alice.auth).expect(200);
    expect(again.body.reply.id).not.toBe(sent.body.reply.id);
    expect(again.body.reply.replyToId).toBe(sent.body.message.id);
    const history = await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).expect(200);
    expect(history.body.items.filter((message: { replyToId: string }) => message.replyToId === sent.body.message.id)).toHaveLength(2);
  });

  it('pages through history in both directions, lists conversations by activity and counts unread replies', async () => {
    const conversationId = await newConversation(alice);
    for (let i = 0; i < 3; i++) {
      await sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: `message ${i}`, clientMessageId: `page-${i}` }).expect(200);
    }
    const newest = await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).query({ limit: 4 }).set(alice.auth).expect(200);
    expect(newest.body.items.map((message: { content: string }) => message.content.slice(0, 9))).toEqual(['message 1', expect.any(String), 'message 2', expect.any(String)]);
    const older = await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).query({ limit: 4, before: newest.body.olderCursor }).set(alice.auth).expect(200);
    expect(older.body.items).toHaveLength(3);
    expect(older.body.olderCursor).toBeNull();
    const forward = await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).query({ limit: 10, after: older.body.newerCursor }).set(alice.auth).expect(200);
    expect(forward.body.items.map((message: { id: string }) => message.id)).toEqual(newest.body.items.map((message: { id: string }) => message.id));

    const list = await sut.http().get('/api/v1/conversations').set(alice.auth).expect(200);
    expect(list.body.items[0]).toMatchObject({ id: conversationId, unreadCount: 4, lastMessage: { role: 'assistant' } });
    const read = await sut.http().post(`/api/v1/conversations/${conversationId}/read`).set(alice.auth).expect(200);
    expect(read.body.unreadCount).toBe(0);
  });
});
