import { createHmac, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { ChorusApiError, createChorusClient, type ChorusClient, type ReplyEvent, type TokensDto } from '#chorus/sdk';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestApp } from './support/test-app.js';

const JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** The same access token, re-signed with an expiry in the past: what a client holds after 15 idle minutes. */
function expired(accessToken: string): string {
  const [header, payload] = accessToken.split('.') as [string, string];
  const now = Math.floor(Date.now() / 1000);
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), iat: now - 1000, exp: now - 100 };
  const unsigned = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
}

async function collect(stream: AsyncIterable<ReplyEvent>): Promise<ReplyEvent[]> {
  const events: ReplyEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** The reply.completed event a stream ended with (failing with what it ended with instead). */
function completedOf(events: ReplyEvent[]): Extract<ReplyEvent, { type: 'reply.completed' }> {
  const last = events.at(-1);
  if (last?.type !== 'reply.completed') throw new Error(`the stream ended with ${JSON.stringify(last)}`);
  return last;
}

const textOf = (events: ReplyEvent[]) => events.map((event) => (event.type === 'reply.delta' ? event.data.text : '')).join('');

describe('the SDK against the real server: the main user journey', () => {
  let sut: TestApp;
  let baseUrl: string;
  let dataSource: DataSource;
  let chorus: ChorusClient;
  let conversationId: string;
  const rotated: TokensDto[] = [];

  beforeAll(async () => {
    sut = await TestApp.start();
    baseUrl = await sut.listen();
    dataSource = sut.app.get(DataSource);
    chorus = createChorusClient({ baseUrl, onTokens: (tokens) => void rotated.push(tokens) });
  });

  afterAll(async () => {
    await sut.close();
  });

  it('registers, and the client is signed in', async () => {
    const email = `sdk-${randomUUID().slice(0, 8)}@example.com`;
    const result = await chorus.register({ email, password: 'correct horse battery' });
    expect(result.user).toMatchObject({ email, role: 'user' });
    expect(chorus.credentials).toEqual({ accessToken: result.tokens.accessToken, refreshToken: result.tokens.refreshToken });
    expect(rotated).toEqual([result.tokens]);
    expect(await chorus.api.getMe()).toMatchObject({ id: result.user.id, email });
  });

  it('lists personas and starts a conversation with nova, greeted', async () => {
    const personas = await chorus.api.listInfluencers({ query: { limit: 50 } });
    const nova = personas.items.find((persona) => persona.handle === 'nova');
    expect(nova).toBeDefined();

    const conversation = await chorus.api.createConversation({ body: { influencerId: nova!.id } });
    expect(conversation.influencer).toMatchObject({ handle: 'nova' });
    expect(conversation.greeting).toMatchObject({ role: 'assistant', status: 'completed' });
    conversationId = conversation.id;
  });

  it('streams a reply as typed events in order, and stores exactly what was streamed', async () => {
    const stream = chorus.sendMessageStream(conversationId, { content: 'What can I see tonight?', clientMessageId: 'sdk-1' });
    const events = await collect(stream);

    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]).toMatchObject({ type: 'message', data: { message: { role: 'user', content: 'What can I see tonight?', clientMessageId: 'sdk-1' } } });
    expect(events[1]!.type).toBe('reply.started');
    expect(events.slice(2, -1).every((event) => event.type === 'reply.delta')).toBe(true);
    const completed = completedOf(events);
    expect(completed.data).toMatchObject({ status: 'completed', content: textOf(events), length: textOf(events).length });
    expect(stream.replyId).toBe(completed.data.messageId);
    expect(stream.reconnects).toBe(0);

    const [stored] = await dataSource.query('SELECT content, status FROM messages WHERE id = $1', [completed.data.messageId]);
    expect(stored).toEqual({ content: completed.data.content, status: 'completed' });
  });

  it('reads the history: greeting, message, reply, oldest first', async () => {
    const history = await chorus.api.listMessages({ path: { id: conversationId } });
    expect(history.items.map((message) => `${message.role}:${message.status}`)).toEqual(['assistant:completed', 'user:completed', 'assistant:completed']);
    expect(history.items[1]!.content).toBe('What can I see tonight?');
    expect(history.items[2]!.replyToId).toBe(history.items[1]!.id);
  });

  it('shows the usage of that reply: the meter and the ledger event', async () => {
    const usage = await chorus.api.getMyUsage();
    expect(usage.plan).toBe('free');
    expect(usage.meters.chat[0]).toMatchObject({ metric: 'messagesPerDay', used: 1, reserved: 0 });
    expect(usage.events.items).toHaveLength(1);
    expect(usage.events.items[0]).toMatchObject({ modality: 'chat', quantity: 1, conversationId });
  });

  it('resumes a stream whose connection dropped mid-reply, without repeating an event', async () => {
    const slow = await TestApp.start({ database: sut.database, env: { SIMULATED_TOKENS_PER_SECOND: '40', SEED_EXAMPLE_PERSONAS: 'false' } });
    const slowUrl = await slow.listen();
    // Between the client and the server, a relay that can cut every connection, as a network would.
    const proxy = await TcpProxy.start(slowUrl);
    try {
      const viaProxy = createChorusClient({ baseUrl: proxy.urlFor(slowUrl), credentials: chorus.credentials, reconnect: { reconnectDelayMs: 50 } });
      const stream = viaProxy.sendMessageStream(conversationId, { content: 'Tell me about Saturn' });
      const events: ReplyEvent[] = [];
      let deltas = 0;
      for await (const event of stream) {
        events.push(event);
        if (event.type === 'reply.delta' && ++deltas === 3) {
          // The network drops every connection; the next attempt gets through.
          proxy.cut();
          proxy.restore();
        }
      }

      expect(stream.reconnects).toBeGreaterThanOrEqual(1);
      expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
      const completed = completedOf(events);
      expect(textOf(events)).toBe(completed.data.content);
      const [stored] = await dataSource.query('SELECT content FROM messages WHERE id = $1', [stream.replyId]);
      expect(stored.content).toBe(completed.data.content);

      // resumeReply follows a reply by id from any point: here, the final event only.
      const tail = await collect(viaProxy.resumeReply(conversationId, stream.replyId!, { lastEventId: completed.id - 1 }));
      expect(tail).toEqual([completed]);
    } finally {
      await proxy.close();
      await slow.close();
    }
  });

  it('refreshes an expired access token once, rotating the refresh token, whatever the number of requests', async () => {
    const before = chorus.credentials as { accessToken: string; refreshToken: string };
    const refreshes = rotated.length;
    chorus.setCredentials({ accessToken: expired(before.accessToken), refreshToken: before.refreshToken });

    // Three requests hit the expiry together: a second refresh with the same token would end the session.
    const [me, conversations, keys] = await Promise.all([chorus.api.getMe(), chorus.api.listConversations(), chorus.api.listApiKeys()]);
    expect(me.email).toMatch(/^sdk-/);
    expect(conversations.items.map((conversation) => conversation.id)).toContain(conversationId);
    expect(keys).toEqual([]);

    expect(rotated).toHaveLength(refreshes + 1);
    const after = chorus.credentials as { accessToken: string; refreshToken: string };
    expect(after).toEqual({ accessToken: rotated.at(-1)!.accessToken, refreshToken: rotated.at(-1)!.refreshToken });
    expect(after.refreshToken).not.toBe(before.refreshToken);

    // A stream started with an expired token refreshes the same way.
    chorus.setCredentials({ accessToken: expired(after.accessToken), refreshToken: after.refreshToken });
    const events = await collect(chorus.sendMessageStream(conversationId, { content: 'Still there?' }));
    expect(completedOf(events).data.status).toBe('completed');
    expect(rotated).toHaveLength(refreshes + 2);
  });

  it('creates an API key and works with it alone', async () => {
    const key = await chorus.api.createApiKey({ body: { name: 'sdk journey' } });
    expect(key.secret).toMatch(/^chorus_sk_/);

    const server = createChorusClient({ baseUrl, credentials: { apiKey: key.secret } });
    expect((await server.api.getMe()).email).toMatch(/^sdk-/);
    const events = await collect(server.sendMessageStream(conversationId, { content: 'From a server' }));
    expect(completedOf(events).data.content).toBe(textOf(events));
    expect((await server.api.listApiKeys()).map((listed) => listed.prefix)).toEqual([key.prefix]);
  });

  it('throws ChorusApiError with the problem document: code, status, request id and rejected fields', async () => {
    const missing = await chorus.api.getConversation({ path: { id: randomUUID() } }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ChorusApiError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found', requestId: expect.any(String) });

    const invalid = await chorus.api.createConversation({ body: { influencerId: 'not-a-uuid' } }).catch((error: unknown) => error);
    expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((invalid as ChorusApiError).errors.map((error) => error.field)).toContain('influencerId');

    // Streams fail the same way, before any event.
    const stream = chorus.sendMessageStream(randomUUID(), { content: 'Anyone?' });
    await expect(collect(stream)).rejects.toMatchObject({ name: 'ChorusApiError', status: 404, code: 'not_found' });

    const anonymous = createChorusClient({ baseUrl });
    await expect(anonymous.api.getMe()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('uploads a photo, waits until it is clean, and sends it to the persona, which sees it', async () => {
    const photo = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#2255aa' } }).png().toBuffer();
    const media = await chorus.uploadMedia(new Blob([new Uint8Array(photo)], { type: 'image/png' }), { filename: 'holiday.png' });
    expect(media).toMatchObject({ status: 'ready', contentType: 'image/png', width: 320, height: 200, filename: 'holiday.png' });

    const events = await collect(chorus.sendMessageStream(conversationId, { content: 'What do you think of this?', attachments: [media.id] }));
    expect(textOf(events)).toMatch(/I can see your image \(image\/png, 320×200, [\d.]+ KB\)/);
    const sent = events.find((event) => event.type === 'message');
    expect(sent?.type === 'message' && sent.data.message.attachments).toEqual([expect.objectContaining({ mediaId: media.id, source: 'user' })]);

    const history = await chorus.api.listMessages({ path: { id: conversationId } });
    const shown = history.items.find((message) => message.attachments.length > 0)!;
    const thumbnail = await fetch(new URL(shown.attachments[0]!.urls.thumbnail!, baseUrl));
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');

    // Not an image: refused with the problem, nothing kept.
    await expect(chorus.uploadMedia(new Blob(['MZ not a picture']), { filename: 'x.png' })).rejects.toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });
});
