import { createHmac, randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { Redis } from 'ioredis';
import { MetricsService, PubSub, compareIds } from '#chorus/core';
import { INBOX_STREAM_OPTIONS, Inbox, type InboxEvent } from '#chorus/realtime';
import { bearer, newAccount, signIn, type TestAccount } from './support/accounts.js';
import { EventStreamReader, type SseFrame } from './support/sse-client.js';
import { TestApp, describeWithRedis } from './support/test-app.js';
import { untilWith } from './support/waiting.js';

/**
 * The realtime inbox, GET /me/events: each user's live events, replayed after Last-Event-ID,
 * ended when the credential behind the stream stops standing. Runs on process memory, and on
 * Redis when REDIS_URL is set (then also across two processes).
 */

const HEARTBEAT_MS = 100;
const JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** Inbox streams with a heartbeat (and its credential re-check) every 100 ms instead of 15 s. */
@Global()
@Module({ providers: [{ provide: INBOX_STREAM_OPTIONS, useValue: { heartbeatMs: HEARTBEAT_MS } }], exports: [INBOX_STREAM_OPTIONS] })
class QuickHeartbeats {}

/**
 * GET /me/events read as a browser would: events as they come, ids kept as strings ("12", or
 * "1733000000000-3" on Redis; absent on a stream's closing event), comment lines counted, each
 * read failing after 3 s unless told.
 */
async function openInbox(base: string, headers: Record<string, string>, query = ''): Promise<EventStreamReader<SseFrame>> {
  const stream = await EventStreamReader.openWithStringIds(`${base}/api/v1/me/events${query}`, { headers }, { timeoutMs: 3_000 });
  expect(stream.response.status).toBe(200);
  return stream;
}

/** An HS256 access token signed with the server's own secret, expiring when the test wants. */
function tokenExpiringIn(seconds: number, account: TestAccount): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { iss: 'chorus', sub: account.id, role: 'user', plan: 'free', sid: randomUUID(), iat: now, exp: now + seconds };
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
}

/**
 * Observes the app's PubSub, delegating every call to it: how many listeners each channel has
 * now, counting the ones the streams add and release.
 */
function observeSubscriptions(pubsub: PubSub): { listeners: Map<string, number>; restore: () => void } {
  const subscribe = pubsub.subscribe;
  const listeners = new Map<string, number>();
  pubsub.subscribe = async (channel, listener) => {
    const unsubscribe = await subscribe.call(pubsub, channel, listener);
    listeners.set(channel, (listeners.get(channel) ?? 0) + 1);
    let released = false;
    return () => {
      if (!released) listeners.set(channel, listeners.get(channel)! - 1);
      released = true;
      unsubscribe();
    };
  };
  return { listeners, restore: () => void (pubsub.subscribe = subscribe) };
}

/** Resolves when `condition` holds (checked every 20 ms); fails naming `what` after 2 s. */
const until = untilWith({ timeoutMs: 2_000, everyMs: 20 });

const unread = (conversationId: string, unreadCount: number): InboxEvent => ({ type: 'conversation.unread', conversationId, unreadCount });

describe('the realtime inbox, GET /me/events', () => {
  let sut: TestApp;
  let base: string;
  let inbox: Inbox;
  let alice: TestAccount;
  let bob: TestAccount;

  async function openStreams(): Promise<number> {
    const exposition = await sut.app.get(MetricsService).exposition();
    return Number(/^chorus_inbox_streams_open (\d+)$/m.exec(exposition)?.[1]);
  }

  beforeAll(async () => {
    sut = await TestApp.start({ env: { SEED_EXAMPLE_PERSONAS: 'false' } });
    base = await sut.listen();
    inbox = sut.app.get(Inbox);
    alice = await newAccount(sut);
    bob = await newAccount(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('answers 401 without a credential, or with one that is not valid, before any stream opens', async () => {
    const none = await sut.http().get('/api/v1/me/events').set('Accept', 'text/event-stream').expect(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body.code).toBe('unauthorized');
    const forged = await sut.http().get('/api/v1/me/events').set(bearer('not-a-token')).expect(401);
    expect(forged.body.code).toBe('invalid_token');
    // Credentials travel in the Authorization header only, never in a URL that access logs keep.
    await sut.http().get(`/api/v1/me/events?access_token=${alice.accessToken}`).expect(401);
  });

  it("delivers a user's events to their open stream in order, each with an increasing id, as typed SSE events", async () => {
    const conversationId = randomUUID();
    const messageId = randomUUID();
    const stream = await openInbox(base, alice.auth);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    try {
      const message = { id: messageId, conversationId, role: 'assistant', content: 'Hello', createdAt: new Date('2026-12-01T10:00:00Z') };
      await inbox.publish(alice.id, { type: 'message.created', conversationId, message });
      await inbox.publish(alice.id, { type: 'reply.status', conversationId, messageId, status: 'failed', errorCode: 'providers_unavailable' });
      await inbox.publish(alice.id, unread(conversationId, 3));

      const events = await stream.take(3);
      expect(events).toEqual([
        { id: expect.any(String), event: 'message.created', data: { conversationId, message: { ...message, createdAt: '2026-12-01T10:00:00.000Z' } } },
        { id: expect.any(String), event: 'reply.status', data: { conversationId, messageId, status: 'failed', errorCode: 'providers_unavailable' } },
        { id: expect.any(String), event: 'conversation.unread', data: { conversationId, unreadCount: 3 } },
      ]);
      const ids = events.map((event) => event.id!);
      expect(compareIds(ids[0]!, ids[1]!)).toBeLessThan(0);
      expect(compareIds(ids[1]!, ids[2]!)).toBeLessThan(0);
    } finally {
      stream.abort();
    }
  });

  it("never shows a user another user's events", async () => {
    const aliceStream = await openInbox(base, alice.auth);
    const bobStream = await openInbox(base, bob.auth);
    try {
      const alicesConversation = randomUUID();
      const bobsConversation = randomUUID();
      await inbox.publish(alice.id, unread(alicesConversation, 1));
      await inbox.publish(alice.id, unread(alicesConversation, 2));
      await inbox.publish(bob.id, unread(bobsConversation, 7));

      // Bob's first event is his own, though Alice's were published before it.
      expect(await bobStream.next()).toMatchObject({ event: 'conversation.unread', data: { conversationId: bobsConversation, unreadCount: 7 } });
      expect((await aliceStream.take(2)).map((event) => event.data['conversationId'])).toEqual([alicesConversation, alicesConversation]);
      await inbox.publish(alice.id, unread(alicesConversation, 3));
      await inbox.publish(bob.id, unread(bobsConversation, 8));
      expect(await bobStream.next()).toMatchObject({ data: { conversationId: bobsConversation, unreadCount: 8 } });
    } finally {
      aliceStream.abort();
      bobStream.abort();
    }
  });

  it('replays exactly the events missed since Last-Event-ID, then follows live ones', async () => {
    const carol = await newAccount(sut);
    const conversationId = randomUUID();
    const first = await openInbox(base, carol.auth);
    for (const count of [1, 2, 3]) await inbox.publish(carol.id, unread(conversationId, count));
    const seen = await first.take(3);
    first.abort();

    // Published while Carol is away.
    for (const count of [4, 5]) await inbox.publish(carol.id, unread(conversationId, count));

    const resumed = await openInbox(base, { ...carol.auth, 'Last-Event-ID': seen.at(-1)!.id! });
    try {
      const missed = await resumed.take(2);
      expect(missed.map((event) => event.data['unreadCount'])).toEqual([4, 5]);
      expect(compareIds(missed[0]!.id!, seen.at(-1)!.id!)).toBeGreaterThan(0);
      await inbox.publish(carol.id, unread(conversationId, 6));
      expect(await resumed.next()).toMatchObject({ data: { unreadCount: 6 } });
    } finally {
      resumed.abort();
    }

    // The same with `lastEventId`, for clients that cannot set headers (EventSource's first connection).
    const byQuery = await openInbox(base, carol.auth, `?lastEventId=${encodeURIComponent(seen[0]!.id!)}`);
    try {
      expect((await byQuery.take(5)).map((event) => event.data['unreadCount'])).toEqual([2, 3, 4, 5, 6]);
    } finally {
      byQuery.abort();
    }
  });

  it('sends only new events without a Last-Event-ID, or with one that is not an id', async () => {
    const dave = await newAccount(sut);
    const conversationId = randomUUID();
    for (const count of [1, 2]) await inbox.publish(dave.id, unread(conversationId, count));

    const withoutAnId: Array<Record<string, string>> = [{}, { 'Last-Event-ID': 'not-an-id' }, { 'Last-Event-ID': '-1' }, { 'Last-Event-ID': '0x10' }];
    for (const headers of withoutAnId) {
      const stream = await openInbox(base, { ...dave.auth, ...headers });
      try {
        await inbox.publish(dave.id, unread(conversationId, 99));
        expect(await stream.next()).toMatchObject({ data: { unreadCount: 99 } });
      } finally {
        stream.abort();
      }
    }
  });

  it('ends the stream with session.revoked, at once, when its session logs out', async () => {
    const erin = await newAccount(sut);
    const stream = await openInbox(base, erin.auth);
    const started = Date.now();
    await sut.http().post('/api/v1/auth/logout').set(erin.auth).expect(204);

    expect(await stream.next(2_000)).toEqual({ event: 'session.revoked', data: { code: 'token_revoked', detail: expect.any(String) } });
    expect(await stream.next(2_000)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
    await sut.http().get('/api/v1/me/events').set(erin.auth).expect(401);
  });

  it("a password change ends the streams of the user's other sessions, not the one that changed it", async () => {
    const frank = await newAccount(sut);
    const phone = await signIn(sut, frank.email, frank.password);
    const phoneStream = await openInbox(base, phone.auth);
    const laptopStream = await openInbox(base, frank.auth);
    try {
      await sut.http().post('/api/v1/me/password').set(frank.auth).send({ currentPassword: frank.password, newPassword: 'a brand new passphrase' }).expect(204);
      expect(await phoneStream.next(2_000)).toMatchObject({ event: 'session.revoked' });
      expect(await phoneStream.next(2_000)).toBeUndefined();

      await inbox.publish(frank.id, unread(randomUUID(), 1));
      expect(await laptopStream.next()).toMatchObject({ event: 'conversation.unread' });
    } finally {
      laptopStream.abort();
    }
  });

  it('frees what a stream holds (its subscriptions, its place among open streams) when the client leaves', async () => {
    const henry = await newAccount(sut);
    const observed = observeSubscriptions(sut.app.get(PubSub));
    try {
      const before = await openStreams();
      const stream = await openInbox(base, henry.auth);
      await inbox.publish(henry.id, unread(randomUUID(), 1));
      expect(await stream.next()).toBeDefined();
      expect(observed.listeners.get(`log:inbox:${henry.id}`)).toBe(1);
      expect(observed.listeners.get('auth:revoked')).toBe(1);
      expect(await openStreams()).toBe(before + 1);

      stream.abort();
      await until('the stream has released its subscriptions', () => [...observed.listeners.values()].every((count) => count === 0));
      await until('the stream is no longer counted open', async () => (await openStreams()) === before);
      // Nothing is written for a client that left, and publishing goes on.
      await inbox.publish(henry.id, unread(randomUUID(), 2));
    } finally {
      observed.restore();
    }
  });

  it('publishing never fails its caller: an event that cannot be sent is logged and dropped', async () => {
    const stream = await openInbox(base, bob.auth);
    try {
      const circular: Record<string, unknown> = {};
      circular['self'] = circular;
      await expect(inbox.publish(bob.id, { type: 'message.created', conversationId: randomUUID(), message: circular })).resolves.toBeUndefined();
      expect(sut.logs.lines.some((line) => line['context'] === 'Inbox' && String(line['msg']).includes('not published'))).toBe(true);

      await inbox.publish(bob.id, unread(randomUUID(), 5));
      expect(await stream.next()).toMatchObject({ event: 'conversation.unread', data: { unreadCount: 5 } });
    } finally {
      stream.abort();
    }
  });

  /**
   * The checks made at each heartbeat, with a heartbeat every 100 ms. The app above keeps the
   * 15 s one, so what ends its streams within a second or two is the revocation's announcement.
   */
  describe('with a quick heartbeat', () => {
    let quick: TestApp;
    let quickBase: string;

    beforeAll(async () => {
      quick = await TestApp.start({ database: sut.database, extraModules: [QuickHeartbeats], env: { SEED_EXAMPLE_PERSONAS: 'false' } });
      quickBase = await quick.listen();
    });

    afterAll(async () => {
      await quick.close();
    });

    it('sends a heartbeat comment while idle', async () => {
      const stream = await openInbox(quickBase, alice.auth);
      try {
        await expect(stream.next(HEARTBEAT_MS * 5)).rejects.toThrow('No event');
        expect(stream.comments).toBeGreaterThanOrEqual(2);
      } finally {
        stream.abort();
      }
    });

    it('ends the stream with token.expired when its access token expires, so the client refreshes and reconnects', async () => {
      const grace = await newAccount(quick);
      const stream = await openInbox(quickBase, bearer(tokenExpiringIn(2, grace)));
      expect(await stream.next(4_000)).toEqual({ event: 'token.expired', data: { code: 'token_expired', detail: expect.any(String) } });
      expect(await stream.next(1_000)).toBeUndefined();
    });

    it('ends the stream of an API key when the key is deleted (found at the next heartbeat)', async () => {
      const created = await quick.http().post('/api/v1/me/api-keys').set(alice.auth).send({ name: 'inbox' }).expect(201);
      const stream = await openInbox(quickBase, bearer(created.body.secret));
      await quick.app.get(Inbox).publish(alice.id, unread(randomUUID(), 1));
      expect(await stream.next()).toMatchObject({ event: 'conversation.unread' });

      await quick.http().delete(`/api/v1/me/api-keys/${created.body.id}`).set(alice.auth).expect(204);
      expect(await stream.next(2_000)).toEqual({ event: 'session.revoked', data: { code: 'invalid_api_key', detail: expect.any(String) } });
      expect(await stream.next(1_000)).toBeUndefined();
    });
  });

  it('ends open streams when the server shuts down, instead of holding the shutdown', async () => {
    const other = await TestApp.start({ database: sut.database, env: { SEED_EXAMPLE_PERSONAS: 'false' } });
    const stream = await openInbox(await other.listen(), alice.auth);
    const started = Date.now();
    await other.close();
    expect(await stream.next(1_000)).toBeUndefined();
    // Well within SHUTDOWN_TIMEOUT_MS (10 s), which a stream left open would have waited for.
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describeWithRedis('the realtime inbox across processes (Redis)', () => {
  let first: TestApp;
  let second: TestApp;
  let secondBase: string;
  let redis: Redis;

  beforeAll(async () => {
    // The 15 s heartbeat: what ends a stream on one process at once is the announcement from the other.
    first = await TestApp.start({ env: { SEED_EXAMPLE_PERSONAS: 'false' } });
    second = await TestApp.start({
      database: first.database,
      env: { SEED_EXAMPLE_PERSONAS: 'false', REDIS_KEY_PREFIX: first.config.redis.keyPrefix },
    });
    secondBase = await second.listen();
    redis = new Redis(process.env['REDIS_URL']!);
  });

  afterAll(async () => {
    redis.disconnect();
    await second.close();
    await first.close();
  });

  it('an event published by one process reaches the stream on another, and a replay there sees it too', async () => {
    const ivy = await newAccount(first);
    const stream = await openInbox(secondBase, ivy.auth);
    const conversationId = randomUUID();
    await first.app.get(Inbox).publish(ivy.id, unread(conversationId, 1));
    const [event] = await stream.take(1);
    expect(event!.id).toMatch(/^\d+-\d+$/);
    stream.abort();

    await first.app.get(Inbox).publish(ivy.id, unread(conversationId, 2));
    const resumed = await openInbox(secondBase, { ...ivy.auth, 'Last-Event-ID': event!.id! });
    try {
      expect(await resumed.next()).toMatchObject({ data: { unreadCount: 2 } });
    } finally {
      resumed.abort();
    }
  });

  it('a logout on one process ends the stream on another', async () => {
    const jack = await newAccount(first);
    const stream = await openInbox(secondBase, jack.auth);
    const started = Date.now();
    await first.http().post('/api/v1/auth/logout').set(jack.auth).expect(204);
    expect(await stream.next(2_000)).toMatchObject({ event: 'session.revoked' });
    expect(await stream.next(2_000)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("leaves no Redis subscription to the user's inbox once the client has gone", async () => {
    const kate = await newAccount(first);
    const channel = `${first.config.redis.keyPrefix}log:inbox:${kate.id}`;
    const subscribers = async () => Number((await redis.pubsub('NUMSUB', channel))[1]);
    const stream = await openInbox(secondBase, kate.auth);
    await first.app.get(Inbox).publish(kate.id, unread(randomUUID(), 1));
    await stream.take(1);
    expect(await subscribers()).toBe(1);
    stream.abort();
    await until('no Redis subscriber is left', async () => (await subscribers()) === 0);
  });
});
