import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ChorusApiError } from './errors.js';
import type {
  ProblemDocumentDto,
  ReplyCompletedEventDto,
  ReplyDeltaEventDto,
  ReplyMessageEventDto,
  ReplyStartedEventDto,
} from './generated/index.js';

/** The `error` event's payload: a problem document about the reply, with how much of it was streamed. */
export type ReplyErrorEventData = Omit<ProblemDocumentDto, 'requestId' | 'errors'> & {
  readonly messageId: string;
  readonly partialLength: number;
  readonly requestId?: string;
};

/**
 * One event of a streamed reply, in order: `message` (the stored user message and the reply's
 * id), `reply.started`, any number of `reply.delta`, then `reply.completed` (also for a cancelled
 * reply) or `error`. `id` counts from 1 within the reply.
 */
export type ReplyEvent =
  | { readonly id: number; readonly type: 'message'; readonly data: ReplyMessageEventDto }
  | { readonly id: number; readonly type: 'reply.started'; readonly data: ReplyStartedEventDto }
  | { readonly id: number; readonly type: 'reply.delta'; readonly data: ReplyDeltaEventDto }
  | { readonly id: number; readonly type: 'reply.completed'; readonly data: ReplyCompletedEventDto }
  | { readonly id: number; readonly type: 'error'; readonly data: ReplyErrorEventData };

export type ReplyEventType = ReplyEvent['type'];

const EVENT_TYPES: ReadonlySet<string> = new Set<ReplyEventType>(['message', 'reply.started', 'reply.delta', 'reply.completed', 'error']);

export interface ReconnectOptions {
  /** Reconnections in a row without a new event before giving up (default 5). */
  readonly maxReconnects?: number;
  /** Wait before the first reconnection, doubled after each further failure (default 250 ms). */
  readonly reconnectDelayMs?: number;
}

/** Where a (re)connection starts: the reply (once known) and the last event already delivered. */
export interface StreamPosition {
  readonly replyId: string | undefined;
  readonly lastEventId: number;
}

/** Opens the event stream from a position: the response of POST .../messages or GET .../stream. */
export type StreamConnector = (position: StreamPosition, signal: AbortSignal) => Promise<Response>;

/**
 * A reply's events as an async iterator. A dropped connection is resumed from the last event
 * received (GET .../messages/{replyId}/stream with `Last-Event-ID`; before the reply's id is
 * known, by sending the message again with the same `clientMessageId`, which the server never
 * answers twice), and no event is delivered twice. Iterate it once; `close()` or leaving the loop
 * stops listening, while the reply goes on and is saved on the server.
 */
export class ReplyStream implements AsyncIterable<ReplyEvent> {
  private position: StreamPosition;
  private reconnectCount = 0;
  private iterated = false;
  private closed = false;
  private readonly controller = new AbortController();
  private readonly maxReconnects: number;
  private reconnectDelayMs: number;

  constructor(
    private readonly connect: StreamConnector,
    options: ReconnectOptions & { readonly signal?: AbortSignal; readonly replyId?: string; readonly lastEventId?: number } = {},
  ) {
    this.position = { replyId: options.replyId, lastEventId: options.lastEventId ?? 0 };
    this.maxReconnects = options.maxReconnects ?? 5;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 250;
    if (options.signal?.aborted) this.controller.abort(options.signal.reason);
    options.signal?.addEventListener('abort', () => this.controller.abort(options.signal?.reason), { once: true });
  }

  /** The reply's id, once the `message` event has arrived (for cancel, resume, history). */
  get replyId(): string | undefined {
    return this.position.replyId;
  }

  /** The id of the last event delivered. */
  get lastEventId(): number {
    return this.position.lastEventId;
  }

  /** How many times the stream was reconnected after a dropped connection. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /** Stops listening. The reply itself goes on: cancel it with `api.cancelReply` to stop it. */
  close(): void {
    this.closed = true;
    this.controller.abort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReplyEvent> {
    if (this.iterated) throw new Error('A ReplyStream can be iterated once.');
    this.iterated = true;
    const signal = this.controller.signal;
    let failures = 0;
    let ended = false;
    try {
      for (;;) {
        let lastError: unknown;
        try {
          const response = await this.connect(this.position, signal);
          for await (const event of readEvents(response, signal, (ms) => (this.reconnectDelayMs = ms))) {
            // A replay repeats what was delivered, except the one terminal event of a reply, which
            // may come renumbered when the server rebuilt the finished reply from its database.
            const terminal = event.type === 'reply.completed' || event.type === 'error';
            if (event.id <= this.position.lastEventId && !terminal) continue;
            failures = 0;
            this.position = {
              replyId: event.type === 'message' ? event.data.replyId : this.position.replyId,
              lastEventId: Math.max(event.id, this.position.lastEventId),
            };
            yield event;
            if (terminal) {
              ended = true;
              return;
            }
          }
          lastError = new Error('The reply stream ended before the reply did.');
        } catch (error) {
          if (signal.aborted || !retryable(error)) throw error;
          lastError = error;
        }
        failures += 1;
        if (failures > this.maxReconnects) throw lastError;
        this.reconnectCount += 1;
        await sleep(this.reconnectDelayMs * 2 ** (failures - 1), signal, lastError);
      }
    } catch (error) {
      if (this.closed) return;
      throw error;
    } finally {
      // Leaving the loop early releases the connection; the server keeps generating the reply.
      if (!ended) this.controller.abort();
    }
  }
}

/** Errors worth reconnecting for: dropped connections, and answers that say "later". */
function retryable(error: unknown): boolean {
  if (!(error instanceof ChorusApiError)) return true;
  // reply_in_progress: the reply is being generated by another server process (for now).
  return error.status === 409 || error.status === 429 || error.status >= 502;
}

async function* readEvents(response: Response, signal: AbortSignal, onRetry: (ms: number) => void): AsyncGenerator<ReplyEvent> {
  if (!response.body) return;
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message), onRetry });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { value, done } = await reader.read();
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      for (let message = queue.shift(); message; message = queue.shift()) {
        const event = toReplyEvent(message);
        if (event) yield event;
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function toReplyEvent(message: EventSourceMessage): ReplyEvent | undefined {
  const type = message.event ?? 'message';
  const id = Number(message.id);
  // Event types this version does not know are skipped, so a newer server does not break it.
  if (!EVENT_TYPES.has(type) || !Number.isInteger(id)) return undefined;
  return { id, type, data: JSON.parse(message.data) } as ReplyEvent;
}

function sleep(ms: number, signal: AbortSignal, cause: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? cause);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? cause);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
