import { createChorusClient, type ChorusClientOptions } from './chorus-client.js';
import { isChorusApiError } from './errors.js';
import type { TokensDto } from './generated/index.js';
import type { InboxEvent, InboxStream } from './inbox-stream.js';

const encoder = new TextEncoder();
const conversationId = '6f9619ff-8b86-4d01-b42d-00cf4fc964ff';

const frame = (id: string, event: string, data: object) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const unread = (id: string, unreadCount: number) => frame(id, 'conversation.unread', { conversationId, unreadCount });
/** The last event of a stream whose credential no longer stands: sent without an id. */
const end = (event: 'session.revoked' | 'token.expired', code: string) => `event: ${event}\ndata: ${JSON.stringify({ code, detail: `${code} detail` })}\n\n`;

/**
 * How an answer of GET /me/events goes on after its chunks: the server closes it, the network
 * drops it, or it stays open (heartbeats aside) until the client leaves.
 */
type Ending = 'close' | 'drop' | 'open';

interface Answer {
  readonly chunks: readonly string[];
  readonly then: Ending;
}

/** What the fake server saw of one GET /me/events. */
interface Connection {
  readonly token: string | undefined;
  readonly lastEventId: string | null;
  readonly accept: string | null;
}

/**
 * A fake Chorus behind the client's `fetch`: GET /me/events is answered by the next of `answers`
 * for a valid access token (401 token_expired otherwise), POST /auth/refresh rotates the tokens.
 */
function fakeServer(...answers: Answer[]) {
  const connections: Connection[] = [];
  /** The signal of each GET /me/events: aborted once the client has let go of it. */
  const signals: AbortSignal[] = [];
  const refreshedWith: string[] = [];
  let generation = 0;
  const tokensOf = (n: number): TokensDto => ({ tokenType: 'Bearer', accessToken: `access-${n}`, refreshToken: `refresh-${n}`, accessTokenExpiresAt: '', refreshTokenExpiresAt: '' });

  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (request.url.endsWith('/api/v1/auth/refresh')) {
      refreshedWith.push(((await request.json()) as { refreshToken: string }).refreshToken);
      return Response.json(tokensOf(++generation));
    }
    const token = request.headers.get('authorization')?.replace(/^Bearer /, '');
    connections.push({ token, lastEventId: request.headers.get('last-event-id'), accept: request.headers.get('accept') });
    signals.push(request.signal);
    if (token !== `access-${generation}`) {
      const problem = { type: 'urn:chorus:problem:token_expired', title: 'Access token expired', status: 401, detail: '', code: 'token_expired', requestId: 'q' };
      return Response.json(problem, { status: 401, headers: { 'Content-Type': 'application/problem+json' } });
    }
    const answer = answers.shift() ?? { chunks: [], then: 'open' };
    return new Response(ReadableStream.from(body(answer, request.signal)), { headers: { 'Content-Type': 'text/event-stream' } });
  };

  /** One chunk per read, as a socket delivers them; what comes after them, as `then` says. */
  async function* body({ chunks, then }: Answer, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) yield encoder.encode(chunk);
    if (then === 'drop') throw new TypeError('terminated');
    if (then === 'open') await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
  }

  const client = (options: Partial<ChorusClientOptions> = {}) =>
    createChorusClient({ baseUrl: 'http://chorus.test', fetch, credentials: { accessToken: 'access-0', refreshToken: 'refresh-0' }, ...options });
  return { client, connections, signals, refreshedWith };
}

/** The events of `stream` until `count` of them have come (then it stops listening), or until it ends. */
async function take(stream: InboxStream, count = Infinity): Promise<InboxEvent[]> {
  const events: InboxEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    if (events.length === count) break;
  }
  return events;
}

describe('InboxStream', () => {
  it('parses typed events split anywhere across chunks, skipping heartbeats and kinds it does not know', async () => {
    const message = { id: 'm1', conversationId, role: 'assistant', content: 'Hello' };
    const wire =
      ': keep-alive\n\n' +
      frame('1733000000000-1', 'message.created', { conversationId, message }) +
      frame('1733000000000-2', 'inbox.future', { whatever: true }) +
      frame('1733000000000-3', 'reply.status', { conversationId, messageId: 'm1', status: 'completed' }) +
      unread('1733000000000-4', 2);
    const server = fakeServer({ chunks: wire.match(/[\s\S]{1,7}/g)!, then: 'open' });
    const stream = server.client().inbox();

    const events = await take(stream, 3);
    expect(events).toEqual([
      { id: '1733000000000-1', type: 'message.created', data: { conversationId, message } },
      { id: '1733000000000-3', type: 'reply.status', data: { conversationId, messageId: 'm1', status: 'completed' } },
      { id: '1733000000000-4', type: 'conversation.unread', data: { conversationId, unreadCount: 2 } },
    ]);
    expect(stream.lastEventId).toBe('1733000000000-4');
    // Authenticated, asking for an event stream, and for new events only.
    expect(server.connections).toEqual([{ token: 'access-0', lastEventId: null, accept: 'text/event-stream' }]);
  });

  it('resumes after a dropped connection from the last event received, delivering none twice', async () => {
    const server = fakeServer(
      { chunks: [unread('7', 1), unread('8', 2)], then: 'drop' },
      // A replay that overlaps what was delivered: the overlap does not reach the caller again.
      { chunks: [unread('8', 2), unread('9', 3)], then: 'open' },
    );
    const stream = server.client({ reconnect: { reconnectDelayMs: 1 } }).inbox();

    expect((await take(stream, 3)).map((event) => event.id)).toEqual(['7', '8', '9']);
    expect(server.connections.map((connection) => connection.lastEventId)).toEqual([null, '8']);
    expect(stream.reconnects).toBe(1);
  });

  it('starts after a given lastEventId, and reconnects when the server closes the stream (shutting down)', async () => {
    const server = fakeServer({ chunks: [unread('3', 1)], then: 'close' }, { chunks: [unread('4', 2)], then: 'open' });
    const stream = server.client({ reconnect: { reconnectDelayMs: 1 } }).inbox({ lastEventId: '2' });

    expect((await take(stream, 2)).map((event) => event.id)).toEqual(['3', '4']);
    expect(server.connections.map((connection) => connection.lastEventId)).toEqual(['2', '3']);
  });

  it('refreshes the access token on token.expired and reconnects with it from the last event', async () => {
    const rotated: TokensDto[] = [];
    const server = fakeServer({ chunks: [unread('1', 1), end('token.expired', 'token_expired')], then: 'close' }, { chunks: [unread('2', 2)], then: 'open' });
    const chorus = server.client({ onTokens: (tokens) => void rotated.push(tokens) });
    const stream = chorus.inbox();

    expect((await take(stream, 2)).map((event) => event.id)).toEqual(['1', '2']);
    expect(server.refreshedWith).toEqual(['refresh-0']);
    expect(rotated.map((tokens) => tokens.accessToken)).toEqual(['access-1']);
    expect(chorus.credentials).toEqual({ accessToken: 'access-1', refreshToken: 'refresh-1' });
    expect(server.connections).toEqual([
      { token: 'access-0', lastEventId: null, accept: 'text/event-stream' },
      { token: 'access-1', lastEventId: '1', accept: 'text/event-stream' },
    ]);
    // Reconnecting for a refreshed token is no failure: no wait, nothing counted against maxReconnects.
    expect(stream.reconnects).toBe(1);
  });

  it('ends with a token_expired error on token.expired when there is no refresh token', async () => {
    const server = fakeServer({ chunks: [unread('1', 1), end('token.expired', 'token_expired')], then: 'close' });
    const events: InboxEvent[] = [];
    const failure = await (async () => {
      for await (const event of server.client({ credentials: { accessToken: 'access-0' } }).inbox()) events.push(event);
    })().catch((error: unknown) => error);

    expect(events.map((event) => event.id)).toEqual(['1']);
    expect(isChorusApiError(failure, 'token_expired')).toBe(true);
    expect(server.refreshedWith).toEqual([]);
    expect(server.connections).toHaveLength(1);
  });

  it('ends by throwing ChorusApiError token_revoked on session.revoked, without reconnecting', async () => {
    const server = fakeServer({ chunks: [unread('1', 1), end('session.revoked', 'token_revoked')], then: 'close' });
    const stream = server.client({ reconnect: { reconnectDelayMs: 1 } }).inbox();
    const events: InboxEvent[] = [];
    const failure = await (async () => {
      for await (const event of stream) events.push(event);
    })().catch((error: unknown) => error);

    expect(events.map((event) => event.id)).toEqual(['1']);
    expect(failure).toMatchObject({ name: 'ChorusApiError', status: 401, code: 'token_revoked', problem: { detail: 'token_revoked detail' } });
    expect(isChorusApiError(failure, 'token_revoked')).toBe(true);
    expect(server.connections).toHaveLength(1);
    expect(stream.reconnects).toBe(0);
  });

  it('stops listening when the signal aborts, releasing the connection', async () => {
    const server = fakeServer({ chunks: [unread('1', 1)], then: 'open' });
    const controller = new AbortController();
    const stream = server.client().inbox({ signal: controller.signal });
    const events: InboxEvent[] = [];
    const failure = await (async () => {
      for await (const event of stream) {
        events.push(event);
        controller.abort();
      }
    })().catch((error: unknown) => error);

    expect(events).toHaveLength(1);
    expect(failure).toMatchObject({ name: 'AbortError' });
    expect(server.signals.map((signal) => signal.aborted)).toEqual([true]);
  });

  it('stops quietly when closed, even while waiting for the next event', async () => {
    const server = fakeServer({ chunks: [], then: 'open' });
    const stream = server.client().inbox();
    const listening = take(stream);
    await new Promise((resolve) => setTimeout(resolve, 10));
    stream.close();
    await expect(listening).resolves.toEqual([]);
    expect(server.signals.map((signal) => signal.aborted)).toEqual([true]);
  });
});
