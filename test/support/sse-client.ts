/** One parsed server-sent event. */
export interface SseEvent {
  readonly id: number;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/**
 * Reads a text/event-stream response with the platform's fetch, the way a browser client
 * would: events as they arrive, comment lines skipped. `abort()` drops the connection.
 */
export class EventStreamReader {
  private buffer = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    this.reader = response.body!.getReader();
  }

  static async open(url: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<EventStreamReader> {
    const controller = new AbortController();
    const response = await fetch(url, { ...init, signal: controller.signal, headers: { Accept: 'text/event-stream', ...init.headers } });
    return new EventStreamReader(response, controller);
  }

  /** The next event, or undefined when the stream has ended. */
  async next(): Promise<SseEvent | undefined> {
    for (;;) {
      const boundary = this.buffer.indexOf('\n\n');
      if (boundary >= 0) {
        const block = this.buffer.slice(0, boundary);
        this.buffer = this.buffer.slice(boundary + 2);
        const event = parseBlock(block);
        if (event) return event;
        continue;
      }
      const { value, done } = await this.reader.read();
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Every remaining event, until the server ends the stream. */
  async rest(): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    for (let event = await this.next(); event; event = await this.next()) events.push(event);
    return events;
  }

  abort(): void {
    this.controller.abort();
  }
}

function parseBlock(block: string): SseEvent | undefined {
  let id = 0;
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    if (line.startsWith('id: ')) id = Number(line.slice(4));
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  return data ? { id, event, data: JSON.parse(data) as Record<string, unknown> } : undefined;
}
