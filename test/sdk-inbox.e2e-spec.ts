import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { MetricsService } from '#chorus/core';
import { INBOX_STREAM_OPTIONS } from '#chorus/realtime';
import { createChorusClient, isChorusApiError, type ChorusClient, type InboxEvent, type InboxStream, type ReplyEvent, type TokensDto } from '#chorus/sdk';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestApp } from './support/test-app.js';
import { until, within } from './support/waiting.js';

/** Inbox streams re-check their credential every 100 ms instead of 15 s, so an expiry is found at once. */
class QuickHeartbeats {}
const quickHeartbeats = { module: QuickHeartbeats, global: true, providers: [{ provide: INBOX_STREAM_OPTIONS, useValue: { heartbeatMs: 100 } }], exports: [INBOX_STREAM_OPTIONS] };

/** Reads an inbox one event at a time, failing after a timeout rather than waiting forever. */
class Follower {
  private pending?: Promise<IteratorResult<InboxEvent>>;
  private readonly iterator: AsyncIterator<InboxEvent>;

  constructor(readonly stream: InboxStream) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /** Asks for the next event (the first ask connects); kept for `next` or `failure`. */
  ask(): Promise<IteratorResult<InboxEvent>> {
    if (!this.pending) {
      this.pending = this.iterator.next();
      this.pending.catch(() => undefined);
    }
    return this.pending;
  }

  async next(timeoutMs = 5_000): Promise<InboxEvent> {
    const result = await within(this.ask(), timeoutMs, 'the next event of the inbox');
    this.pending = undefined;
    if (result.done) throw new Error('The inbox ended');
    return result.value;
  }

  async take(count: number): Promise<InboxEvent[]> {
    const events: InboxEvent[] = [];
    while (events.length < count) events.push(await this.next());
    return events;
  }

  /** What the stream ends with, when it fails. */
  failure(timeoutMs = 5_000): Promise<unknown> {
    return within(this.ask(), timeoutMs, 'the inbox to fail').then(
      (result) => Promise.reject(new Error(`Expected the inbox to fail, got ${JSON.stringify(result)}`)),
      (error: unknown) => error,
    );
  }
}

describe('the SDK against the real server: the inbox', () => {
  let sut: TestApp;
  let baseUrl: string;
  let chorus: ChorusClient;
  let conversationId: string;
  const email = `sdk-inbox-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse battery';

  async function openStreams(): Promise<number> {
    return Number(/^chorus_inbox_streams_open (\d+)$/m.exec(await sut.app.get(MetricsService).exposition())?.[1]);
  }

  /**
   * Starts following `stream`, once the server holds it open: without a Last-Event-ID, only later
   * events come. The only one open: those of the tests before have been closed (and the server
   * sees that soon).
   */
  async function follow(stream: InboxStream): Promise<Follower> {
    await until('the streams of the tests before are closed', async () => (await openStreams()) === 0);
    const follower = new Follower(stream);
    void follower.ask();
    await until('the inbox stream is open', async () => (await openStreams()) === 1);
    return follower;
  }

  /** Marks the conversation read: the user's inbox is told its unread count (one event). */
  const markRead = () => chorus.api.markConversationRead({ path: { id: conversationId } });

  beforeAll(async () => {
    sut = await TestApp.start({ extraModules: [quickHeartbeats] });
    baseUrl = await sut.listen();
    chorus = createChorusClient({ baseUrl });
    await chorus.register({ email, password });
    const nova = await chorus.api.getInfluencer({ path: { id: 'nova' } });
    conversationId = (await chorus.api.createConversation({ body: { influencerId: nova.id } })).id;
  });

  afterAll(async () => {
    await sut.close();
  });

  let told: InboxEvent[] = [];

  it('tells a message and its reply as typed events, in order: created, started, the reply created, completed, unread', async () => {
    const stream = chorus.inbox();
    const follower = await follow(stream);
    const reply = chorus.sendMessageStream(conversationId, { content: 'Is Jupiter up tonight?' });
    const replyEvents: ReplyEvent[] = [];
    for await (const event of reply) replyEvents.push(event);
    const sent = replyEvents[0]!.type === 'message' ? replyEvents[0].data.message : undefined;
    const completed = replyEvents.at(-1)!;
    if (completed.type !== 'reply.completed') throw new Error(`The reply ended with ${JSON.stringify(completed)}`);

    told = await follower.take(5);
    stream.close();
    const { unreadCount } = await chorus.api.getConversation({ path: { id: conversationId } });
    expect(told.map((event) => [event.type, event.data])).toEqual([
      ['message.created', { conversationId, message: expect.objectContaining({ id: sent!.id, role: 'user', content: 'Is Jupiter up tonight?' }) }],
      ['reply.status', { conversationId, messageId: reply.replyId, status: 'started' }],
      ['message.created', { conversationId, message: expect.objectContaining({ id: reply.replyId, role: 'assistant', status: 'completed', content: completed.data.content }) }],
      ['reply.status', { conversationId, messageId: reply.replyId, status: 'completed' }],
      ['conversation.unread', { conversationId, unreadCount }],
    ]);
    expect(new Set(told.map((event) => event.id)).size).toBe(5);
    expect(stream.lastEventId).toBe(told.at(-1)!.id);
  });

  it('lets another device resume from an event it saw: exactly the events after it', async () => {
    const phone = createChorusClient({ baseUrl });
    await phone.login({ email, password });
    const stream = phone.inbox({ lastEventId: told[1]!.id });
    const follower = new Follower(stream);
    expect(await follower.take(3)).toEqual(told.slice(2));
    stream.close();
  });

  it('resumes after the connection drops, with the events published meanwhile and none twice', async () => {
    const proxy = await TcpProxy.start(baseUrl);
    try {
      const viaProxy = createChorusClient({ baseUrl: proxy.urlFor(baseUrl), credentials: chorus.credentials, reconnect: { reconnectDelayMs: 50 } });
      const stream = viaProxy.inbox();
      const follower = await follow(stream);
      await markRead();
      const before = await follower.next();

      // The network drops every connection; one event is published before it comes back.
      proxy.cut();
      await markRead();
      proxy.restore();
      const meanwhile = await follower.next();
      await markRead();
      const after = await follower.next();

      expect([before, meanwhile, after].map((event) => event.type)).toEqual(['conversation.unread', 'conversation.unread', 'conversation.unread']);
      expect(new Set([before.id, meanwhile.id, after.id]).size).toBe(3);
      expect(stream.reconnects).toBeGreaterThanOrEqual(1);
      stream.close();
    } finally {
      await proxy.close();
    }
  });

  it('refreshes an access token that expires while following, and goes on from the last event', async () => {
    const rotated: TokensDto[] = [];
    const laptop = createChorusClient({ baseUrl, onTokens: (tokens) => void rotated.push(tokens) });
    const { tokens } = await laptop.login({ email, password });
    // The laptop's own token, signed again by the server's key to expire in two seconds.
    const jwt = sut.app.get(JwtService);
    const claims = jwt.decode<Record<string, unknown>>(tokens.accessToken);
    const shortLived = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) + 2 });
    laptop.setCredentials({ accessToken: shortLived, refreshToken: tokens.refreshToken });

    const stream = laptop.inbox();
    const follower = await follow(stream);
    await markRead();
    const first = await follower.next();

    // While the laptop listens, the server ends the stream with token.expired; the SDK refreshes and reconnects from `first`.
    void follower.ask();
    await until('the laptop has refreshed its token', () => rotated.length === 2, 10_000);
    await markRead();
    const next = await follower.next();
    expect(next).toMatchObject({ type: 'conversation.unread', data: { conversationId } });
    expect(next.id).not.toBe(first.id);
    expect(laptop.credentials).toEqual({ accessToken: rotated[1]!.accessToken, refreshToken: rotated[1]!.refreshToken });
    expect(stream.reconnects).toBe(1);
    stream.close();
  });

  it('ends with ChorusApiError token_revoked when the session logs out', async () => {
    const follower = await follow(chorus.inbox());
    const ended = follower.failure();
    await chorus.api.logout();
    const error = await ended;
    expect(isChorusApiError(error, 'token_revoked')).toBe(true);
    expect(error).toMatchObject({ status: 401 });
  });
});
