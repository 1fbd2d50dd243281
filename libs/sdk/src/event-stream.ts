import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ChorusApiError } from './errors.js';

export interface ReconnectOptions {
  /** Reconnections in a row without a new event before giving up (default 5). */
  readonly maxReconnects?: number;
  /** Wait before the first reconnection, doubled after each further failure (default 250 ms). */
  readonly reconnectDelayMs?: number;
}

/** How a resumable stream reconnects, and a signal that stops listening when aborted. */
export interface EventStreamOptions extends ReconnectOptions {
  readonly signal?: AbortSignal;
}

/** One server-sent event as received: `id` and `event` as sent (absent when not), `data` as text. */
export type ServerSentEvent = EventSourceMessage;

/**
 * What a stream makes of one received event: an event for the caller (the last one when `last`),
 * `skip` (a kind this version does not know, or one already delivered), or `reconnect` (at once,
 * which is no failure: the server ended the connection for a reason the stream has dealt with).
 */
export type Reception<E> = { readonly event: E; readonly last?: boolean } | 'skip' | 'reconnect';

/**
 * A server-sent event stream that resumes by itself: a dropped connection is opened again (with
 * backoff, and the server's `retry` hint) from where the stream is, which the subclass tracks in
 * `receive` and uses in `open`. Iterate it once; `close()`, the signal or leaving the loop stops
 * listening.
 */
export abstract class ResumableEventStream<E> implements AsyncIterable<E> {
  private reconnectCount = 0;
  private iterated = false;
  private closed = false;
  private readonly controller = new AbortController();
  private readonly maxReconnects: number;
  private reconnectDelayMs: number;

  protected constructor(options: EventStreamOptions) {
    this.maxReconnects = options.maxReconnects ?? 5;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 250;
    if (options.signal?.aborted) this.controller.abort(options.signal.reason);
    options.signal?.addEventListener('abort', () => this.controller.abort(options.signal?.reason), { once: true });
  }

  /** How many times the stream was reconnected after a dropped connection. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /** Stops listening. */
  close(): void {
    this.closed = true;
    this.controller.abort();
  }

  /** Opens a connection from where the stream is now: a `text/event-stream` response. */
  protected abstract open(signal: AbortSignal): Promise<Response>;

  /** What a received event means for the caller; an error thrown here ends the stream unless `retryable`. */
  protected abstract receive(message: ServerSentEvent): Reception<E> | Promise<Reception<E>>;

  /** What the stream fails with when its connections keep closing before its last event, once reconnecting gives up. */
  protected abstract endedEarly(): Error;

  /** Errors worth reconnecting for: dropped connections, and answers that say "later". */
  protected retryable(error: unknown): boolean {
    return !(error instanceof ChorusApiError) || error.status === 429 || error.status >= 502;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<E> {
    if (this.iterated) throw new Error(`A ${this.constructor.name} can be iterated once.`);
    this.iterated = true;
    const signal = this.controller.signal;
    let failures = 0;
    let ended = false;
    try {
      for (;;) {
        let lastError: unknown;
        let again = false;
        try {
          const response = await this.open(signal);
          for await (const message of readEvents(response, signal, (ms) => (this.reconnectDelayMs = ms))) {
            const reception = await this.receive(message);
            if (reception === 'skip') continue;
            failures = 0;
            if (reception === 'reconnect') {
              again = true;
              break;
            }
            yield reception.event;
            if (reception.last) {
              ended = true;
              return;
            }
          }
          lastError = this.endedEarly();
        } catch (error) {
          if (signal.aborted || !this.retryable(error)) throw error;
          lastError = error;
        }
        if (!again && ++failures > this.maxReconnects) throw lastError;
        this.reconnectCount += 1;
        if (!again) await sleep(this.reconnectDelayMs * 2 ** (failures - 1), signal, lastError);
      }
    } catch (error) {
      if (this.closed) return;
      throw error;
    } finally {
      // Leaving the loop early releases the connection.
      if (!ended) this.controller.abort();
    }
  }
}

/** The events of one response, as they arrive; comment lines (heartbeats) are left out. */
async function* readEvents(response: Response, signal: AbortSignal, onRetry: (ms: number) => void): AsyncGenerator<ServerSentEvent> {
  if (!response.body) return;
  const queue: ServerSentEvent[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message), onRetry });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { value, done } = await reader.read();
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      for (let message = queue.shift(); message; message = queue.shift()) yield message;
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
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
