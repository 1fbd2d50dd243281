import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What the fake AI servers share: a local HTTP server on 127.0.0.1 (port 0), scripted replies
 * streamed as server-sent events with chosen timing and failures, and a record of every request
 * and of how its connection ended (so a test can see that a cancel closed the upstream stream).
 */

/** How a reply is streamed. Counts are of token chunks: `stallAfter: 0` stalls before the first token. */
export interface StreamScript {
  /** The reply, one chunk per token. */
  readonly tokens: readonly string[];
  readonly firstTokenDelayMs: number;
  readonly tokenDelayMs: number;
  /** After this many tokens, send nothing more and keep the connection open. */
  readonly stallAfter?: number;
  /** After this many tokens, destroy the socket (a connection that breaks mid-stream). */
  readonly destroyAfter?: number;
}

/** An error response for the next requests: a status, and optionally a body and Retry-After. */
export interface FailureScript {
  readonly status: number;
  readonly body?: unknown;
  readonly retryAfterSeconds?: number;
}

/**
 * How the requests one route selects are answered instead of by the common script (see
 * `FakeUpstream.route`): its failures first, one per request, then its reply.
 */
export interface RouteScript<Reply extends StreamScript> {
  /** The requests it answers (the first route that matches a request answers it). */
  readonly match: (request: RecordedRequest) => boolean;
  /** Error responses for its first requests, one each, in order. */
  readonly failures?: readonly FailureScript[];
  /** Merged over the common script for its requests once its failures are used up. */
  readonly reply?: Partial<Reply>;
  /** Each of its requests waits for this before it is answered (a request held open, with no response yet). */
  readonly hold?: Promise<unknown>;
}

/** How the exchange of a request ended. */
export type ExchangeOutcome =
  /** Still streaming (or stalled). */
  | 'open'
  /** The server sent the whole response. */
  | 'completed'
  /** The client closed the connection before the end of the response. */
  | 'client_closed'
  /** The server broke the connection on purpose (`destroyAfter`). */
  | 'server_destroyed';

export interface RecordedRequest {
  readonly method: string;
  /** The path and query, e.g. `/v1/chat/completions`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The JSON body, parsed (undefined when there was none). */
  readonly body: unknown;
  readonly outcome: ExchangeOutcome;
  /** Token chunks written before the exchange ended. */
  readonly tokensSent: number;
  /** Resolves once the exchange has ended, however it ended. */
  readonly ended: Promise<ExchangeOutcome>;
}

interface MutableRecord {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  outcome: ExchangeOutcome;
  tokensSent: number;
  ended: Promise<ExchangeOutcome>;
}

export interface SseFrames {
  /** Sent with the response headers, before any delay (e.g. OpenAI's role-only first chunk). */
  readonly opening?: readonly string[];
  /** One per token of the script. */
  readonly tokens: readonly string[];
  /** Sent after the last token (finish reason, usage, terminator). */
  readonly closing: readonly string[];
}

const DEFAULT_STREAM: StreamScript = { tokens: ['Hello', ' there', ', friend', '!'], firstTokenDelayMs: 0, tokenDelayMs: 0 };

export abstract class FakeUpstream<Reply extends StreamScript> {
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly failures: FailureScript[] = [];
  private reply: Reply;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private readonly routes: Array<{ script: RouteScript<Reply>; failures: FailureScript[] }> = [];

  protected constructor(defaults: Omit<Reply, keyof StreamScript> & Partial<StreamScript>) {
    this.reply = { ...DEFAULT_STREAM, ...defaults } as Reply;
    this.server = createServer((request, response) => void this.receive(request, response));
  }

  /** http://127.0.0.1:port */
  get origin(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  protected async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  /** Changes how the following requests are answered (merged into the current script). */
  script(reply: Partial<Reply>): this {
    this.reply = { ...this.reply, ...reply };
    return this;
  }

  /** The next `count` requests get this status instead of a reply. */
  failNext(count: number, status: number, options: Omit<FailureScript, 'status'> = {}): this {
    for (let index = 0; index < count; index += 1) this.failures.push({ status, ...options });
    return this;
  }

  /**
   * Answers the requests `script.match` selects its own way (failures, then a reply of its own,
   * optionally held until a promise settles), before `failNext`'s failures and the common
   * script, which answer the others. Routes are kept until `reset`.
   */
  route(script: RouteScript<Reply>): this {
    this.routes.push({ script, failures: [...(script.failures ?? [])] });
    return this;
  }

  /** Resolves once at least `count` requests have arrived in total. */
  async waitForRequests(count: number): Promise<RecordedRequest[]> {
    if (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
    return this.requests;
  }

  /** Back to the default reply, no pending failures and no recorded requests. */
  reset(defaults: Partial<Reply> = {}): void {
    this.failures.length = 0;
    this.requests.length = 0;
    this.routes.length = 0;
    this.reply = { ...this.reply, ...DEFAULT_STREAM, stallAfter: undefined, destroyAfter: undefined, ...defaults };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers one request: `respond` the reply, or the protocol's error document for a failure. */
  protected abstract handle(request: RecordedRequest, reply: Reply, exchange: Exchange): Promise<void>;

  /** The protocol's error body for a status. */
  protected abstract errorBody(status: number): unknown;

  private async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let resolveEnded!: (outcome: ExchangeOutcome) => void;
    const record: MutableRecord = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body: text ? safeJson(text) : undefined,
      outcome: 'open',
      tokensSent: 0,
      ended: new Promise((resolve) => (resolveEnded = resolve)),
    };
    const exchange = new Exchange(response, record, resolveEnded);
    this.requests.push(record);
    for (const waiter of this.waiters.filter((candidate) => this.requests.length >= candidate.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const route = this.routes.find((candidate) => candidate.script.match(record));
    if (route?.script.hold) await route.script.hold.catch(() => undefined);
    const failure = route ? route.failures.shift() : this.failures.shift();
    if (failure) {
      exchange.json(failure.status, failure.body ?? this.errorBody(failure.status), {
        ...(failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) }),
      });
      return;
    }
    try {
      await this.handle(record, route?.script.reply ? { ...this.reply, ...route.script.reply } : this.reply, exchange);
    } catch (error) {
      if (!response.headersSent) exchange.json(500, this.errorBody(500));
      else response.destroy(error as Error);
    }
  }
}

/** One request's response, with the bookkeeping of how it ended. */
export class Exchange {
  private readonly closed = new AbortController();

  constructor(
    private readonly response: ServerResponse,
    private readonly record: MutableRecord,
    resolveEnded: (outcome: ExchangeOutcome) => void,
  ) {
    response.on('close', () => {
      if (record.outcome === 'open') record.outcome = response.writableFinished ? 'completed' : 'client_closed';
      this.closed.abort();
      resolveEnded(record.outcome);
    });
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.response.writeHead(status, { 'content-type': 'application/json', ...headers });
    this.response.end(JSON.stringify(body));
  }

  /** Streams the frames as `data: ...` events, following the script's timing and failures. */
  async sse(frames: SseFrames, script: StreamScript, delimiter = '\n\n'): Promise<void> {
    const response = this.response;
    const signal = this.closed.signal;
    // Resolves once the frame has left for the client (a destroyed socket would drop it otherwise).
    const write = (data: string) => new Promise<void>((resolve) => response.write(`data: ${data}${delimiter}`, () => resolve()));
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.flushHeaders();
    for (const frame of frames.opening ?? []) await write(frame);
    for (let index = 0; index <= frames.tokens.length; index += 1) {
      if (signal.aborted) return;
      if (script.stallAfter === index) return; // Nothing more: the connection stays open until someone closes it.
      if (script.destroyAfter === index) {
        this.record.outcome = 'server_destroyed';
        response.socket?.destroy();
        return;
      }
      if (index === frames.tokens.length) break;
      const delay = index === 0 ? script.firstTokenDelayMs : script.tokenDelayMs;
      if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await write(frames.tokens[index]!);
      this.record.tokensSent += 1;
    }
    for (const frame of frames.closing) await write(frame);
    response.end();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
