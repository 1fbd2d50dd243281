import { setTimeout as sleep } from 'node:timers/promises';

/** One server-sent event of a reply stream, whose ids number its events: `id` 0 when the event had none. */
export interface SseEvent {
  readonly id: number;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/**
 * One server-sent event with its id as sent, a string ("12", or "1733000000000-3" from a Redis
 * stream); absent when the event had none (a stream's closing event).
 */
export interface SseFrame {
  readonly id?: string;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export interface ReadOptions {
  /** How long each read of `next`, `take` and `until` waits for an event before it fails (default: as long as it takes). */
  readonly timeoutMs?: number;
  /** How long each read of `rest` waits for an event before it fails (default: `timeoutMs`). */
  readonly restTimeoutMs?: number;
  /** A connection broken off (a server killed) reads as the end of the stream, instead of failing the read. */
  readonly brokenIsEnd?: boolean;
}

type FetchInit = RequestInit & { headers?: Record<string, string> };
type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

const END: ReadResult = { done: true, value: undefined };

/**
 * Reads a text/event-stream response with the platform's fetch, the way a browser client
 * would: events as they arrive, comment lines counted and skipped. A read that times out keeps
 * its pending chunk for the next one, so no event is lost to it. `abort()` drops the connection.
 *
 * `open` numbers the events (a reply stream's ids); `openWithStringIds` keeps ids as sent (an
 * inbox's ids, which are a log's).
 */
export class EventStreamReader<Event = SseEvent> {
  /** How many comment lines (heartbeats) have been read. */
  comments = 0;
  private buffer = '';
  private pending: Promise<ReadResult> | undefined;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readonly decoder = new TextDecoder();

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
    private readonly toEvent: (frame: SseFrame) => Event,
    private readonly options: ReadOptions,
  ) {
    this.reader = response.body?.getReader();
  }

  static open(url: string, init: FetchInit = {}, options: ReadOptions = {}): Promise<EventStreamReader<SseEvent>> {
    return EventStreamReader.connect(url, init, options, ({ id, ...frame }) => ({ id: Number(id ?? 0), ...frame }));
  }

  static openWithStringIds(url: string, init: FetchInit = {}, options: ReadOptions = {}): Promise<EventStreamReader<SseFrame>> {
    return EventStreamReader.connect(url, init, options, (frame) => frame);
  }

  private static async connect<Event>(url: string, init: FetchInit, options: ReadOptions, toEvent: (frame: SseFrame) => Event): Promise<EventStreamReader<Event>> {
    const controller = new AbortController();
    const response = await fetch(url, { ...init, signal: controller.signal, headers: { Accept: 'text/event-stream', ...init.headers } });
    return new EventStreamReader(response, controller, toEvent, options);
  }

  /** The next event, or undefined once the server has ended the stream; fails after `timeoutMs` without either. */
  async next(timeoutMs = this.options.timeoutMs ?? Infinity): Promise<Event | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const boundary = this.buffer.indexOf('\n\n');
      if (boundary >= 0) {
        const block = this.buffer.slice(0, boundary);
        this.buffer = this.buffer.slice(boundary + 2);
        const frame = this.parse(block);
        if (frame) return this.toEvent(frame);
        continue;
      }
      const { value, done } = await this.read(deadline - Date.now(), timeoutMs);
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The next `count` events; fails if the stream ends before them. */
  async take(count: number, timeoutMs?: number): Promise<Event[]> {
    const events: Event[] = [];
    while (events.length < count) {
      const event = await this.next(timeoutMs);
      if (!event) throw new Error(`The stream ended after ${events.length} of ${count} events`);
      events.push(event);
    }
    return events;
  }

  /** Events up to and including the first that `last` picks; fails if the stream ends before it. */
  async until(last: (event: Event) => boolean, timeoutMs?: number): Promise<Event[]> {
    const events: Event[] = [];
    for (;;) {
      const event = await this.next(timeoutMs);
      if (!event) throw new Error(`The stream ended after ${events.length} events without the one awaited: ${JSON.stringify(events.at(-1))}`);
      events.push(event);
      if (last(event)) return events;
    }
  }

  /** Every remaining event, until the server ends the stream. */
  async rest(timeoutMs = this.options.restTimeoutMs ?? this.options.timeoutMs): Promise<Event[]> {
    const events: Event[] = [];
    for (let event = await this.next(timeoutMs); event; event = await this.next(timeoutMs)) events.push(event);
    return events;
  }

  /** Drops the connection. */
  abort(): void {
    this.controller.abort();
    this.pending?.catch(() => undefined);
  }

  /** One read, kept across a timeout so that no chunk is lost to it. */
  private async read(remainingMs: number, timeoutMs: number): Promise<ReadResult> {
    if (!this.reader) return END;
    this.pending ??= this.options.brokenIsEnd ? this.reader.read().catch(() => END) : this.reader.read();
    if (timeoutMs === Infinity) {
      try {
        return await this.pending;
      } finally {
        this.pending = undefined;
      }
    }
    const timer = new AbortController();
    const timedOut = sleep(Math.max(remainingMs, 0), 'timeout' as const, { signal: timer.signal }).catch(() => undefined);
    const result = await Promise.race([this.pending, timedOut]).finally(() => timer.abort());
    if (result === 'timeout' || result === undefined) throw new Error(`No event within ${timeoutMs} ms`);
    this.pending = undefined;
    return result;
  }

  private parse(block: string): SseFrame | undefined {
    let id: string | undefined;
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments += 1;
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    return data ? { ...(id === undefined ? {} : { id }), event, data: JSON.parse(data) as Record<string, unknown> } : undefined;
  }
}
