import { randomUUID } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Cluster } from './support/cluster.js';
import { FAKE_MODEL, FakeOpenAIServer, fakeOpenAIProviders, within, type RecordedRequest } from './support/fake-openai.js';
import { UPSTREAM_HEADER } from './support/round-robin-proxy.js';
import { ServerProcess } from './support/server-process.js';
import { EventStreamReader, type SseFrame } from './support/sse-client.js';
import { onDatabase } from './support/test-database.js';
import { BOOKS_COLUMNS, type Books } from './support/usage-books.js';
import { eventually } from './support/waiting.js';

/**
 * Chorus scaled out: three API processes on one PostgreSQL database and one Redis, behind a
 * plain round-robin load balancer. What one process guarantees (quotas, the ledger, replies)
 * must hold whichever process each request lands on. The processes start once and serve every
 * test of this file; each test uses users of its own.
 *
 * Replies that must last long enough to act on mid-stream come from a fake OpenAI server in this
 * process (a persona on provider `fake`), which each test scripts: its timing, where it stalls,
 * and how each request's connection ended (so a cancel's closing of it can be seen).
 */
const describeScaledOut = process.env['DATABASE_URL'] && process.env['REDIS_URL'] ? describe : describe.skip;

const ADMIN = { email: 'scale-out-admin@example.com', password: 'admin password 123' };
const MESSAGES_PER_DAY = 7;
/** A small daily limit to run out of; everything else out of the way. */
const PLANS = JSON.stringify({
  free: { chat: { messagesPerDay: MESSAGES_PER_DAY, tokensPerMonth: null, costMicrosPerMonth: null } },
});
/** Processes A, B and C: indexes into the cluster's processes. */
const A = 0;
const B = 1;
const C = 2;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  /** The index of the process that served it, when it went through the proxy. */
  readonly upstream: number | undefined;
}

interface Account {
  readonly id: string;
  readonly token: string;
}

/** A reply's or an inbox's event stream, its ids as sent (a reply's are "1", "2"...; an inbox's are Redis ids). */
type Stream = EventStreamReader<SseFrame>;

/**
 * An event stream read as a browser would, event by event: each read fails after 10 s (20 s in
 * `rest`) instead of hanging the test, and a connection broken off (a process killed) reads as the end.
 */
const openStream = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Stream> =>
  EventStreamReader.openWithStringIds(url, init, { timeoutMs: 10_000, restTimeoutMs: 20_000, brokenIsEnd: true });

const isFinal = (frame: SseFrame): boolean => frame.event === 'reply.completed' || frame.event === 'error';
const isDelta = (frame: SseFrame): boolean => frame.event === 'reply.delta';
const textOf = (frames: readonly SseFrame[]): string => frames.filter(isDelta).map((frame) => String(frame.data['text'])).join('');
const idsOf = (frames: readonly SseFrame[]): number[] => frames.map((frame) => Number(frame.id));
const consecutive = (from: number, count: number): number[] => Array.from({ length: count }, (_, index) => from + index);
/** The events of `stream` up to and including its `count`th delta. */
function throughDelta(stream: Stream, count: number, timeoutMs?: number): Promise<SseFrame[]> {
  let deltas = 0;
  return stream.until((frame) => isDelta(frame) && ++deltas === count, timeoutMs);
}
/** `count` tokens of a scripted reply, each told apart. */
const tokens = (count: number, word = 'word'): string[] => Array.from({ length: count }, (_, index) => ` ${word}${index}`);

/**
 * A TCP relay to Redis that holds what its clients send for `delayMs` (in order) before passing
 * it on: a Redis far away, or slow, for the one process configured to use it, when a test wants.
 */
class SlowRelay {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {}

  /** How long what the clients send is held, from now on (0: passed on at the next turn of the event loop). */
  delayMs = 0;

  static async start(targetUrl: string): Promise<SlowRelay> {
    const target = new URL(targetUrl);
    const relay = new SlowRelay(createServer((client) => relay.relay(client)), target);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The target's URL (its database number kept) with the relay's address. */
  get url(): string {
    const url = new URL(this.target);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    // Held until every chunk before it is passed on, so that the bytes stay in order whatever the delay was when each came.
    let previous = Promise.resolve();
    client.on('data', (chunk) => {
      const due = sleep(this.delayMs);
      previous = previous.then(() => due).then(() => void upstream.write(chunk));
    });
    upstream.pipe(client);
  }
}

/** How often what a test waits for is looked at. */
const POLL_MS = 100;

describeScaledOut('scaled out: three processes behind a load balancer', () => {
  let cluster: Cluster;
  let upstream: FakeOpenAIServer;
  let redis: Redis;
  /** A persona whose replies come from the fake OpenAI server. */
  let fakePersonaId: string;
  /** The reply the kill -9 test saw recovered, and the id of the last event its follower saw before the end. */
  let interrupted: { user: Account; conversationId: string; replyId: string; lastSeen: number } | undefined;

  /** The base URL of one process, bypassing the load balancer. */
  const processUrl = (index: number): string => cluster.processes[index]!.baseUrl;

  /** A JSON request to `base` (the proxy unless told otherwise). */
  async function call(method: string, path: string, options: { token?: string; body?: unknown; base?: string } = {}): Promise<Answer> {
    const response = await fetch(`${options.base ?? cluster.proxyUrl}/api/v1${path}`, {
      method,
      headers: {
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    const upstream = response.headers.get(UPSTREAM_HEADER);
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      upstream: upstream === null ? undefined : Number(upstream),
    };
  }

  async function newAccount(): Promise<Account> {
    const registered = await call('POST', '/auth/register', { body: { email: `scale-${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery' } });
    expect(registered.status).toBe(201);
    const { user, tokens } = registered.body as { user: { id: string }; tokens: { accessToken: string } };
    return { id: user.id, token: tokens.accessToken };
  }

  async function newConversation(account: Account, influencerId?: string): Promise<string> {
    const persona = influencerId ?? String((await call('GET', '/influencers/nova')).body['id']);
    const created = await call('POST', '/conversations', { token: account.token, body: { influencerId: persona } });
    expect(created.status).toBe(201);
    return String(created.body['id']);
  }

  const send = (account: Account, conversationId: string, content = 'hello'): Promise<Answer> =>
    call('POST', `/conversations/${conversationId}/messages`, { token: account.token, body: { content, clientMessageId: randomUUID() } });

  /** Sends a message to the process at `baseUrl` asking for the reply as an event stream. */
  async function postStreaming(baseUrl: string, account: Account, conversationId: string, content: string): Promise<Stream> {
    const stream = await openStream(`${baseUrl}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${account.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content, clientMessageId: randomUUID() }),
    });
    expect(stream.response.status).toBe(200);
    return stream;
  }

  /** Sends a message to process `index` asking for the reply as an event stream. */
  const sendStreaming = (index: number, account: Account, conversationId: string, content: string): Promise<Stream> =>
    postStreaming(processUrl(index), account, conversationId, content);

  /**
   * Sends `content` to A, asking for the reply as an event stream, and follows the reply on B
   * from its first event: A's first event, the rest of A's stream (read meanwhile), and B's follower.
   */
  async function generateOnAFollowOnB(account: Account, conversationId: string, content: string): Promise<{ firstOnA: SseFrame; replyId: string; restOnA: Promise<SseFrame[]>; follower: Stream }> {
    const onA = await sendStreaming(A, account, conversationId, content);
    const firstOnA = (await onA.next())!;
    const replyId = String(firstOnA.data['replyId']);
    const restOnA = onA.rest();
    const follower = await resume(B, account, conversationId, replyId);
    return { firstOnA, replyId, restOnA, follower };
  }

  /** Resumes (or follows) a reply's stream on process `index` after `lastEventId`. */
  async function resume(index: number, account: Account, conversationId: string, replyId: string, lastEventId?: number): Promise<Stream> {
    const stream = await openStream(`${processUrl(index)}/api/v1/conversations/${conversationId}/messages/${replyId}/stream`, {
      headers: { Authorization: `Bearer ${account.token}`, ...(lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) }) },
    });
    if (stream.response.status !== 200) {
      throw new Error(`Resuming reply ${replyId} on process ${index} after ${lastEventId ?? 'nothing'}: ${stream.response.status} ${await stream.response.text()}`);
    }
    return stream;
  }

  /** The user's inbox (GET /me/events) on process `index`, from now on. */
  async function openInbox(index: number, account: Account): Promise<Stream> {
    const inbox = await openStream(`${processUrl(index)}/api/v1/me/events`, { headers: { Authorization: `Bearer ${account.token}` } });
    expect(inbox.response.status).toBe(200);
    return inbox;
  }

  /** A message of a conversation as the API lists it, read on process `index`. */
  async function messageVia(index: number, account: Account, conversationId: string, messageId: string): Promise<Record<string, unknown> | undefined> {
    const page = await call('GET', `/conversations/${conversationId}/messages`, { token: account.token, base: processUrl(index) });
    expect(page.status).toBe(200);
    return (page.body['items'] as Array<Record<string, unknown>>).find((message) => message['id'] === messageId);
  }

  /** The request the fake upstream received for the reply to `content` (the user's message, last of its prompt). */
  function upstreamRequestFor(content: string): RecordedRequest {
    const found = upstream.requests.filter((request) => {
      const messages = (request.body as { messages?: Array<{ content?: unknown }> } | undefined)?.messages;
      return messages?.at(-1)?.content === content;
    });
    expect(found).toHaveLength(1);
    return found[0]!;
  }

  /** Reads the database directly, as no single process sees it. */
  const onClusterDatabase = <T>(read: (client: pg.Client) => Promise<T>): Promise<T> => onDatabase(cluster.database.url, read);

  /** A user's counters and ledger for chat, what is still held, and their messages by role (greetings apart) and status. */
  const books = (userId: string) =>
    onClusterDatabase(async (client) => {
      const { rows } = await client.query(
        `SELECT ${BOOKS_COLUMNS},
                (SELECT coalesce(json_object_agg(kind, n), '{}') FROM (
                   SELECT CASE WHEN m.role = 'assistant' AND m.reply_to_id IS NULL THEN 'greeting' ELSE m.role END || '/' || m.status AS kind, count(*)::int AS n
                   FROM messages m JOIN conversations c ON c.id = m.conversation_id
                   WHERE c.user_id = $1 GROUP BY 1) AS counted) AS "messagesByKind"`,
        [userId],
      );
      return rows[0] as Books & { messagesByKind: Record<string, number> };
    });

  /** Nothing held for the user, and every counter equal to the ledger. */
  async function expectBooksBalanced(userId: string, messages: number): Promise<void> {
    const ledger = await books(userId);
    expect(ledger).toMatchObject({ reserved: 0, reservations: 0, messages, ledgerMessages: messages });
    expect(ledger.tokens).toBe(ledger.ledgerTokens);
    expect(ledger.cost).toBe(ledger.ledgerCost);
  }

  /** A stored reply's row, read in the database. */
  const storedReply = (replyId: string) =>
    onClusterDatabase(async (client) => (await client.query('SELECT status, content, error_code, finish_reason FROM messages WHERE id = $1', [replyId])).rows[0] as {
      status: string;
      content: string;
      error_code: string | null;
      finish_reason: string | null;
    });

  /** A Redis key of the cluster, as the processes' ioredis names it (their key prefix, then the key). */
  const redisKey = (key: string): string => `${cluster.redisKeyPrefix}${key}`;

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start({ apiKey: 'sk-test' });
    cluster = await Cluster.start({
      env: {
        PLANS,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        PROVIDERS: fakeOpenAIProviders(upstream.baseUrl, { apiKey: 'sk-test' }),
        // The seeded personas stay on the (quick) simulator; the fake upstream serves the persona made below.
        DEFAULT_MODEL: 'simulated/simulated-chat',
        // Conversations keep their first words as title: no background naming (which would hold quota and call the upstream).
        CONVERSATION_TITLES: 'first-message',
      },
    });
    redis = new Redis(process.env['REDIS_URL']!);
    const admin = await call('POST', '/auth/login', { body: ADMIN });
    expect(admin.status).toBe(200);
    const persona = await call('POST', '/influencers', {
      token: (admin.body['tokens'] as { accessToken: string }).accessToken,
      body: {
        handle: 'scaled',
        displayName: 'Scaled',
        category: 'test',
        systemPrompt: 'You are Scaled.',
        greeting: 'Hello from the fake upstream',
        modelPolicy: { primary: FAKE_MODEL, fallbacks: [] },
      },
    });
    expect(persona.status).toBe(201);
    fakePersonaId = String(persona.body['id']);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
    await upstream?.close();
  }, 60_000);

  /** Waits until what a user's sends started in the background is over: nothing held on their counters. */
  async function backgroundSettled(userId: string): Promise<void> {
    const pending = () =>
      onClusterDatabase(async (client) => (await client.query(`SELECT count(*)::int AS pending FROM usage_reservations WHERE user_id = $1`, [userId])).rows[0].pending as number);
    await eventually(`user ${userId} holds no reservation`, pending, (count) => count === 0, { timeoutMs: 20_000, everyMs: POLL_MS });
  }

  it('a 30-request burst for one user spread over the three processes accepts exactly the remaining quota', async () => {
    const user = await newAccount();
    const conversations = [await newConversation(user), await newConversation(user), await newConversation(user)];
    // One message in each conversation first, one at a time, so that what remains is not the whole limit, and so
    // that the burst starts none of the work a first exchange starts (a conversation's naming).
    for (const conversationId of conversations) expect((await send(user, conversationId)).status).toBe(200);
    await backgroundSettled(user.id);
    const remaining = MESSAGES_PER_DAY - conversations.length;

    // Ten to each conversation, consecutive, so that each conversation's sends land on every process too.
    const burst = await Promise.all(Array.from({ length: 30 }, (_, index) => send(user, conversations[Math.floor(index / 10)]!)));

    // Round robin per request: every process took its share of the burst.
    const served = [0, 1, 2].map((process) => burst.filter((answer) => answer.upstream === process).length);
    expect(served.every((count) => count > 0)).toBe(true);
    expect(served.reduce((sum, count) => sum + count, 0)).toBe(30);

    const accepted = burst.filter((answer) => answer.status === 200);
    const refused = burst.filter((answer) => answer.status === 429);
    expect(accepted).toHaveLength(remaining);
    expect(refused).toHaveLength(30 - remaining);
    for (const answer of refused) {
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ code: 'quota_exceeded', limit: 'chat.messagesPerDay', max: MESSAGES_PER_DAY });
    }
    // Every accepted reply finished, whichever process generated it.
    for (const answer of accepted) expect(answer.body['reply']).toMatchObject({ status: 'completed' });
    await backgroundSettled(user.id);

    // The meter and the ledger, read through the load balancer, show exactly the limit used.
    const usage = await call('GET', '/me/usage?limit=50', { token: user.token });
    expect(usage.status).toBe(200);
    const meters = usage.body['meters'] as { chat: Array<Record<string, unknown>> };
    expect(meters.chat.find((meter) => meter['metric'] === 'messagesPerDay')).toMatchObject({ used: MESSAGES_PER_DAY, reserved: 0, limit: MESSAGES_PER_DAY, remaining: 0 });
    // One event of one message per reply; other events (a conversation's naming) count no message.
    const events = (usage.body['events'] as { items: Array<{ quantity: number; messageId: string | null }> }).items;
    const replyEvents = events.filter((event) => event.messageId !== null);
    expect(replyEvents).toHaveLength(MESSAGES_PER_DAY);
    expect(replyEvents.every((event) => event.quantity === 1)).toBe(true);
    expect(events.reduce((sum, event) => sum + event.quantity, 0)).toBe(MESSAGES_PER_DAY);
    const acceptedReplies = accepted.map((answer) => (answer.body['reply'] as { id: string }).id);
    expect(replyEvents.map((event) => event.messageId)).toEqual(expect.arrayContaining(acceptedReplies));

    // In the database: nothing held, counters equal to the ledger, no reply left streaming, and a refusal stored nothing.
    const { tokens, ledgerTokens, cost, ledgerCost, ...rest } = await books(user.id);
    expect(rest).toEqual({
      messages: MESSAGES_PER_DAY,
      ledgerMessages: MESSAGES_PER_DAY,
      reserved: 0,
      reservations: 0,
      messagesByKind: { 'greeting/completed': conversations.length, 'user/completed': MESSAGES_PER_DAY, 'assistant/completed': MESSAGES_PER_DAY },
    });
    expect(tokens).toBe(ledgerTokens);
    expect(cost).toBe(ledgerCost);
  });

  it('a reply generating on A, left mid-stream, resumes on B with exactly the missing events: live, and again once finished', async () => {
    const user = await newAccount();
    const conversationId = await newConversation(user, fakePersonaId);
    const script = tokens(40, 'resume');
    upstream.reset({ tokens: script, firstTokenDelayMs: 0, tokenDelayMs: 50 });
    const content = `Resume me ${randomUUID()}`;

    // On A: the first ten events (message, reply.started, eight deltas), then the client goes.
    const onA = await sendStreaming(A, user, conversationId, content);
    const seenOnA = await onA.until((frame) => frame.id === '10');
    onA.abort();
    expect(idsOf(seenOnA)).toEqual(consecutive(1, 10));
    const replyId = String(seenOnA[0]!.data['replyId']);
    const middle = 7;

    // On B, from the middle: what A had sent after it, then the rest as A generates it.
    const onB = await resume(B, user, conversationId, replyId, middle);
    const first = (await onB.next())!;
    // A is still generating: B follows the reply live, not a log that is complete already.
    expect(upstreamRequestFor(content).outcome).toBe('open');
    const resumed = [first, ...(await onB.rest())];
    expect(idsOf(resumed)).toEqual(consecutive(middle + 1, resumed.length));
    expect(resumed.slice(0, -1).every(isDelta)).toBe(true);
    expect(resumed.at(-1)!.event).toBe('reply.completed');
    expect(resumed.slice(0, seenOnA.length - middle)).toEqual(seenOnA.slice(middle));

    // Together, the whole reply once each: its text is the stored reply's, and the scripted one.
    const whole = [...seenOnA.slice(0, middle), ...resumed];
    expect(idsOf(whole)).toEqual(consecutive(1, 2 + script.length + 1));
    const stored = await storedReply(replyId);
    expect(stored).toMatchObject({ status: 'completed', content: script.join('') });
    expect(textOf(whole)).toBe(stored.content);
    expect(resumed.at(-1)!.data).toMatchObject({ messageId: replyId, status: 'completed', content: stored.content, length: stored.content.length });
    // Exactly what A itself (from its memory) sends after the same id.
    const fromA = await (await resume(A, user, conversationId, replyId, middle)).rest();
    expect(resumed).toEqual(fromA);

    // Finished: from another middle id, B answers from the shared log (the database alone could rebuild only the final events).
    const later = 25;
    const afterEnd = await (await resume(B, user, conversationId, replyId, later)).rest();
    expect(idsOf(afterEnd)).toEqual(consecutive(later + 1, whole.length - later));
    expect(afterEnd).toEqual(whole.slice(later));
    // A client that saw the end already gets the final event again, numbered after its last, and the stream ends.
    const pastEnd = await (await resume(B, user, conversationId, replyId, whole.length)).rest(5_000);
    expect(pastEnd).toEqual([{ ...whole.at(-1)!, id: String(whole.length + 1) }]);
  }, 60_000);

  it('a cancel through C stops a long reply generating on A: its provider connection closes, the partial text is saved and billed once, and a follower on B sees the end', async () => {
    const user = await newAccount();
    const conversationId = await newConversation(user, fakePersonaId);
    const script = tokens(200, 'cancel');
    upstream.reset({ tokens: script, firstTokenDelayMs: 0, tokenDelayMs: 100, usage: { prompt_tokens: 40, completion_tokens: 200 } });
    const content = `Cancel me ${randomUUID()}`;
    const inbox = await openInbox(B, user);

    const { firstOnA, replyId, restOnA, follower } = await generateOnAFollowOnB(user, conversationId, content);
    // Seven and a half seconds of it: past the 5 s after which the recovery job (every 2 s) looks at a streaming
    // reply, so that the job has passed over this one at least once while A, alive, holds its lease.
    const beforeCancel = await throughDelta(follower, 75, 15_000);
    expect(await storedReply(replyId)).toMatchObject({ status: 'streaming' });

    const asked = Date.now();
    const cancelled = await call('POST', `/conversations/${conversationId}/messages/${replyId}/cancel`, { token: user.token, base: processUrl(C) });
    const cancelMs = Date.now() - asked;
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: replyId, status: 'cancelled', finishReason: 'cancelled' });

    // A closed its connection to the provider, well before the end of the reply.
    const request = upstreamRequestFor(content);
    expect(await within(request.ended, 5_000, "A's provider connection to close")).toBe('client_closed');
    expect(request.tokensSent).toBeLessThan(script.length);

    // The follower on B: every event once, ending with the cancelled reply; its text is what was saved.
    const followed = [...beforeCancel, ...(await follower.rest())];
    expect(idsOf(followed)).toEqual(consecutive(1, followed.length));
    expect(followed.at(-1)).toMatchObject({ event: 'reply.completed', data: { messageId: replyId, status: 'cancelled' } });
    const stored = await storedReply(replyId);
    expect(stored).toMatchObject({ status: 'cancelled', finish_reason: 'cancelled' });
    expect(stored.content.length).toBeGreaterThan(0);
    expect(textOf(followed)).toBe(stored.content);
    expect(cancelled.body['content']).toBe(stored.content);
    expect(followed.at(-1)!.data['content']).toBe(stored.content);
    // The client on A saw the same stream.
    expect([firstOnA, ...(await restOnA)]).toEqual(followed);

    // Billed once, nothing held: the counters equal the ledger, in the database and on /me/usage.
    await expectBooksBalanced(user.id, 1);
    const usage = await call('GET', '/me/usage', { token: user.token });
    const meters = usage.body['meters'] as { chat: Array<Record<string, unknown>> };
    expect(meters.chat.find((meter) => meter['metric'] === 'messagesPerDay')).toMatchObject({ used: 1, reserved: 0 });
    const events = (usage.body['events'] as { items: Array<Record<string, unknown>> }).items;
    expect(events.filter((event) => event['messageId'] === replyId)).toHaveLength(1);
    // The user's devices are told on B: the reply started, then its cancelled text.
    const told = await inbox.until((frame) => frame.event === 'conversation.unread');
    inbox.abort();
    expect(told.map((frame) => frame.event)).toEqual(['message.created', 'reply.status', 'message.created', 'reply.status', 'conversation.unread']);
    expect(told[1]!.data).toEqual({ conversationId, messageId: replyId, status: 'started' });
    expect(told[2]!.data).toMatchObject({ conversationId, message: { id: replyId, status: 'cancelled', content: stored.content } });
    expect(told[3]!.data).toMatchObject({ conversationId, messageId: replyId, status: 'cancelled' });
    console.log(`[scale-out] cancel through C of a reply generating on A answered in ${cancelMs} ms (${beforeCancel.filter(isDelta).length} deltas seen on B before it, ${request.tokensSent} tokens sent upstream)`);
  }, 60_000);

  it("a user's inbox on B shows in order what a reply generated on A did, and a logout on C closes it with session.revoked", async () => {
    const user = await newAccount();
    const conversationId = await newConversation(user);
    const inbox = await openInbox(B, user);

    const sent = await call('POST', `/conversations/${conversationId}/messages`, { token: user.token, base: processUrl(A), body: { content: 'Across processes', clientMessageId: randomUUID() } });
    expect(sent.status).toBe(200);
    const message = sent.body['message'] as { id: string };
    const reply = sent.body['reply'] as { id: string; content: string };
    const events = await inbox.take(5, 5_000);
    expect(events.map((event) => event.event)).toEqual(['message.created', 'reply.status', 'message.created', 'reply.status', 'conversation.unread']);
    expect(events[0]!.data).toMatchObject({ conversationId, message: { id: message.id, role: 'user', content: 'Across processes' } });
    expect(events[1]!.data).toEqual({ conversationId, messageId: reply.id, status: 'started' });
    expect(events[2]!.data).toMatchObject({ conversationId, message: { id: reply.id, role: 'assistant', status: 'completed', content: reply.content } });
    expect(events[3]!.data).toMatchObject({ conversationId, messageId: reply.id, status: 'completed' });
    expect(events[4]!.data).toMatchObject({ conversationId, unreadCount: expect.any(Number) });
    expect(events.every((event) => event.id !== undefined)).toBe(true);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);

    const loggedOut = Date.now();
    expect((await call('POST', '/auth/logout', { token: user.token, base: processUrl(C) })).status).toBe(204);
    expect(await inbox.next(5_000)).toEqual({ id: undefined, event: 'session.revoked', data: { code: 'token_revoked', detail: expect.any(String) } });
    expect(await inbox.next(5_000)).toBeUndefined();
    console.log(`[scale-out] a logout on C closed the inbox stream on B in ${Date.now() - loggedOut} ms`);
  }, 30_000);

  it('measures what a reply keeps in Redis (logged, not asserted)', async () => {
    const user = await newAccount();
    const conversationId = await newConversation(user, fakePersonaId);
    const memoryUsage = async (key: string): Promise<number | null> => (await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number | null;

    async function measure(deltas: number) {
      upstream.reset({ tokens: tokens(deltas, 'memo'), firstTokenDelayMs: 0, tokenDelayMs: 10 });
      const stream = await sendStreaming(A, user, conversationId, `Measure ${deltas} ${randomUUID()}`);
      const first = (await stream.next())!;
      const replyId = String(first.data['replyId']);
      const leaseKey = redisKey(`lease:reply:${replyId}`);
      const logKey = redisKey(`log:reply:${replyId}`);
      // While it generates: its lease, and its log so far.
      const lease = await eventually('the lease is held', () => memoryUsage(leaseKey), (bytes) => bytes !== null, { timeoutMs: 5_000, everyMs: POLL_MS });
      const leaseTtlMs = await redis.pttl(leaseKey);
      // The log trails what A's own clients get by an append or so: it exists once the first one landed.
      const liveLogTtlMs = await eventually('the log is written', () => redis.pttl(logKey), (ttl) => ttl > 0, { timeoutMs: 5_000, everyMs: POLL_MS });
      const frames = [first, ...(await stream.rest())];
      expect(frames).toHaveLength(deltas + 3);
      // Right after it completed: its whole log (kept a while for resumes), and no lease.
      const log = (await memoryUsage(logKey)) ?? 0;
      const entries = await redis.xrange(logKey, '-', '+');
      const payload = entries.reduce((sum, [, fields]) => sum + fields.reduce((bytes, field) => bytes + Buffer.byteLength(field), 0), 0);
      const deltaPayload = entries.filter(([, fields]) => fields[1] === 'reply.delta').reduce((sum, [, fields]) => sum + Buffer.byteLength(fields[3]!), 0);
      return {
        deltas,
        events: entries.length,
        logBytes: log,
        payloadBytes: payload,
        deltaDataBytesEach: Math.round(deltaPayload / deltas),
        logTtlMsAfterEnd: await redis.pttl(logKey),
        liveLogTtlMs,
        leaseBytes: lease,
        leaseTtlMs,
        leaseAfterEnd: await redis.exists(leaseKey),
      };
    }

    const small = await measure(10);
    const large = await measure(210);
    const perEvent = (large.logBytes - small.logBytes) / (large.events - small.events);
    const inboxKey = redisKey(`log:inbox:${user.id}`);
    const inbox = { bytes: await memoryUsage(inboxKey), events: await redis.xlen(inboxKey), ttlMs: await redis.pttl(inboxKey) };
    console.log(
      `[scale-out] Redis memory per reply: ${JSON.stringify({ small, large })}; ` +
        `about ${perEvent.toFixed(1)} bytes per event, ${Math.round(small.logBytes - perEvent * small.events)} bytes per reply besides its events, ` +
        `a lease ${large.leaseBytes} bytes while it generates; the user's inbox log after these two replies: ${JSON.stringify(inbox)}`,
    );
    expect(small.logBytes).toBeGreaterThan(0);
  }, 60_000);

  it('a kill -9 of A mid-reply: within seconds the reply is failed/interrupted and billed once, nothing is held, and a follower on B is told', async () => {
    const user = await newAccount();
    const conversationId = await newConversation(user, fakePersonaId);
    const streamed = 12;
    // The provider sends twelve tokens, then nothing: the reply is generating when A dies.
    upstream.reset({ tokens: tokens(50, 'killed'), firstTokenDelayMs: 0, tokenDelayMs: 30, stallAfter: streamed });
    const content = `Kill me ${randomUUID()}`;
    const inbox = await openInbox(B, user);

    const { replyId, restOnA, follower } = await generateOnAFollowOnB(user, conversationId, content);
    const followed = await throughDelta(follower, streamed);
    // The text is checkpointed about once a second: once all that was streamed is saved, the recovery's text is known.
    const atKill = await eventually('the streamed text is checkpointed', () => storedReply(replyId), (reply) => reply.content === textOf(followed), { timeoutMs: 5_000, everyMs: POLL_MS });
    expect(atKill.status).toBe('streaming');
    expect((await books(user.id)).reservations).toBe(1);

    const killedAt = Date.now();
    expect(await cluster.kill(A)).toEqual({ code: null, signal: 'SIGKILL' });
    // What A's clients had break off, and A's provider connection with it.
    await restOnA;
    expect(await within(upstreamRequestFor(content).ended, 5_000, "A's provider connection to close")).toBe('client_closed');

    // B tells the reply failed once the lease lapsed and a recovery ran (every 2 s, on any process).
    const followerEnd = follower.until(isFinal, 25_000).then((frames) => ({ frames, atMs: Date.now() - killedAt }));
    const recovered = await eventually('the reply is recovered', () => messageVia(B, user, conversationId, replyId), (message) => message?.['status'] !== 'streaming', { timeoutMs: 20_000, everyMs: POLL_MS });
    const detectedMs = Date.now() - killedAt;
    expect(recovered).toMatchObject({ id: replyId, status: 'failed', errorCode: 'interrupted', content: atKill.content });
    expect(await storedReply(replyId)).toMatchObject({ status: 'failed', error_code: 'interrupted', content: atKill.content });

    // The follower on B gets the terminal error, numbered after the last event it saw.
    const { frames: tail, atMs: toldMs } = await followerEnd;
    expect(tail).toHaveLength(1);
    expect(tail[0]).toMatchObject({ id: String(followed.length + 1), event: 'error', data: { code: 'interrupted', messageId: replyId, partialLength: atKill.content.length } });
    expect(await follower.next(5_000)).toBeUndefined();
    // A client resuming on C later is told too, from the shared log. (Whether B's follower was told from the log or, its
    // status checked while the log was quiet, from the database, shows only in the event's `detail`: see the next test.)
    const late = await (await resume(C, user, conversationId, replyId, followed.length)).rest();
    expect(late).toEqual([{ ...tail[0]!, data: { ...tail[0]!.data, detail: expect.any(String) } }]);
    interrupted = { user, conversationId, replyId, lastSeen: followed.length };

    // The user's devices are told on B that it started, then that it failed.
    const told = await inbox.until((frame) => frame.event === 'reply.status' && frame.data['status'] !== 'started');
    inbox.abort();
    expect(told.filter((frame) => frame.event === 'reply.status').map((frame) => frame.data)).toEqual([
      { conversationId, messageId: replyId, status: 'started' },
      { conversationId, messageId: replyId, status: 'failed', errorCode: 'interrupted' },
    ]);

    // Billed once for the saved text, nothing held: the counters equal the ledger.
    await expectBooksBalanced(user.id, 1);
    console.log(`[scale-out] kill -9 of A: the reply was failed/interrupted (seen via B) ${detectedMs} ms after the kill; B's follower got the error event at ${toldMs} ms`);

    // A new process in A's place serves the reply's end too, from the shared log, and takes requests from the load balancer again.
    await cluster.restart(A);
    expect(await (await resume(A, user, conversationId, replyId, followed.length)).rest()).toEqual(late);
    cluster.proxy.resetCounts();
    for (let index = 0; index < 3; index++) expect((await call('GET', '/influencers/nova')).status).toBe(200);
    expect(cluster.proxy.served).toEqual([1, 1, 1]);
  }, 90_000);

  /**
   * The final event of a reply recovered as interrupted is the same wherever it is read: from
   * its shared log (appended by the recovery), or rebuilt from the database (a client past the
   * log's end, a log expired, or a follower whose log stayed quiet while the reply ended).
   */
  it("an interrupted reply's final event reads the same from its shared log and from the database", async () => {
    if (!interrupted) throw new Error('Runs on the reply the kill -9 test recovered: run that test first');
    const { user, conversationId, replyId, lastSeen } = interrupted;
    const fromLog = await (await resume(B, user, conversationId, replyId, lastSeen)).rest();
    // A client that saw the final event already: answered from the database, numbered after its last.
    const fromDatabase = await (await resume(B, user, conversationId, replyId, lastSeen + 1)).rest();
    expect(fromLog).toHaveLength(1);
    expect(fromDatabase).toHaveLength(1);
    expect({ ...fromDatabase[0]!, id: fromLog[0]!.id }).toEqual(fromLog[0]);
  });

  /**
   * A fourth process of the deployment, outside the load balancer, whose Redis a test can move
   * far away (SlowRelay): what the generating process writes to Redis then lands late, which
   * widens, to be hit every time, windows that a local Redis makes a few milliseconds wide.
   * Last in this file: killing a process may take the recovery job's scheduled run with it
   * (BullMQ then runs it again once its lock expires, some 30 s later).
   */
  describe('with a process whose Redis is far away', () => {
    let relay: SlowRelay;
    let far: ServerProcess;

    beforeAll(async () => {
      relay = await SlowRelay.start(process.env['REDIS_URL']!);
      far = await ServerProcess.start(cluster.database, { ...cluster.env, REDIS_URL: relay.url });
    }, 60_000);

    afterAll(async () => {
      relay.delayMs = 0;
      await far?.stop('SIGTERM');
      await relay?.close();
    }, 30_000);

    /** Sends a message to the far process, asking for the reply as an event stream. */
    const sendFar = (account: Account, conversationId: string, content: string): Promise<Stream> => postStreaming(far.baseUrl, account, conversationId, content);

    /**
     * The generating process sends a reply's events to its own clients at once, but to the shared
     * log only after its lease is written (ReplyStreamHub.share chains the first append after
     * Leases.hold). With a local Redis, a client that moved to B right after the first event was
     * once answered 409 reply_in_progress (against the lib as it first was: RepliesService.events
     * found no log yet); a streaming reply's log must be followed before it exists.
     */
    it('a client that got the first event of a reply from one process follows it on another at once, though nothing of it reached Redis yet', async () => {
      const user = await newAccount();
      const conversationId = await newConversation(user, fakePersonaId);
      upstream.reset({ tokens: tokens(10, 'far'), firstTokenDelayMs: 0, tokenDelayMs: 100 });
      relay.delayMs = 150;
      let onFar: SseFrame[];
      let onB: SseFrame[];
      try {
        const stream = await sendFar(user, conversationId, `Far ${randomUUID()}`);
        const first = (await stream.next())!;
        const replyId = String(first.data['replyId']);
        const restOnFar = stream.rest();
        // The client moves to B right after its first event (a phone changing networks, a load balancer's new pick).
        const follower = await resume(B, user, conversationId, replyId, 1);
        onB = await follower.rest();
        onFar = [first, ...(await restOnFar)];
      } finally {
        relay.delayMs = 0;
      }
      expect(onFar.at(-1)).toMatchObject({ event: 'reply.completed', data: { status: 'completed' } });
      expect(onB).toEqual(onFar.slice(1));
    }, 60_000);

    /**
     * When the generating process dies before anything of a reply reached its shared log, there
     * is no log for the recovery to end, and a client that follows the reply elsewhere, after the
     * events the dead process sent it (Last-Event-ID 2 here), must still be told. (Against the lib
     * as it first was, the recovery appended its error as event 1 of an empty log, which such a
     * follower skipped, staying open and silent.)
     */
    it('a process killed before it shared anything of its reply: the reply is recovered, and a follower on B is told it was interrupted', async () => {
      const user = await newAccount();
      const conversationId = await newConversation(user, fakePersonaId);
      // No token for a while: the reply is streaming, with only its first two events (message, reply.started).
      upstream.reset({ tokens: tokens(5, 'lost'), firstTokenDelayMs: 30_000, tokenDelayMs: 0 });
      relay.delayMs = 1_000;
      const stream = await sendFar(user, conversationId, `Lost ${randomUUID()}`);
      const seen = [(await stream.next())!, (await stream.next())!];
      expect(seen.map((frame) => frame.event)).toEqual(['message', 'reply.started']);
      const replyId = String(seen[0]!.data['replyId']);
      const follower = await resume(B, user, conversationId, replyId, 2);
      const killedAt = Date.now();
      expect(await far.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      relay.delayMs = 0;
      await stream.rest();
      // It died with nothing of the reply in Redis: no lease, no log.
      expect(await redis.exists(redisKey(`lease:reply:${replyId}`), redisKey(`log:reply:${replyId}`))).toBe(0);

      // Recovered (up to a minute: the kill may have taken the recovery job's run with it).
      const recovered = await eventually('the reply is recovered', () => storedReply(replyId), (reply) => reply.status !== 'streaming', { timeoutMs: 60_000, everyMs: POLL_MS });
      expect(recovered).toMatchObject({ status: 'failed', error_code: 'interrupted', content: '' });
      await expectBooksBalanced(user.id, 0);
      const recoveredMs = Date.now() - killedAt;
      // A client resuming on C now is told: its final event, from the database, numbered after what it saw.
      const late = await (await resume(C, user, conversationId, replyId, 2)).rest();
      expect(late).toEqual([{ id: '3', event: 'error', data: expect.objectContaining({ code: 'interrupted', messageId: replyId, partialLength: 0 }) }]);
      const logged = (await redis.xrange(redisKey(`log:reply:${replyId}`), '-', '+')).map(([id, fields]) => `${id} ${fields[1]}`);
      console.log(`[scale-out] a process killed before it shared anything of its reply: recovered ${recoveredMs} ms after the kill; its shared log now: ${logged.join(', ')}`);
      // The client that was following it on B all along is told too.
      const told = await follower.until(isFinal, 10_000);
      expect(told).toEqual([{ id: expect.any(String), event: 'error', data: expect.objectContaining({ code: 'interrupted', messageId: replyId }) }]);
      expect(Number(told[0]!.id)).toBeGreaterThan(2);
    }, 90_000);
  });
});
