import { ChorusApiError } from './errors.js';
import { ReplyStream, type ReplyEvent, type StreamPosition } from './reply-stream.js';

const encoder = new TextEncoder();

/** A text/event-stream response that sends `chunks`, then ends, or fails when `thenFail` is set. */
function eventStream(chunks: string[], thenFail = false): Response {
  const pending = [...chunks];
  const body = new ReadableStream<Uint8Array>({
    // One chunk per read, as a socket delivers them; a failure comes after what was delivered.
    pull(controller) {
      const chunk = pending.shift();
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
      else if (thenFail) controller.error(new TypeError('terminated'));
      else controller.close();
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
}

const frame = (id: number, event: string, data: object) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const message = (id = 1) => frame(id, 'message', { message: { id: 'm1' }, replyId: 'r1' });
const delta = (id: number, text: string) => frame(id, 'reply.delta', { messageId: 'r1', text });
const completed = (id: number, content: string) => frame(id, 'reply.completed', { messageId: 'r1', status: 'completed', content });

async function collect(stream: ReplyStream): Promise<ReplyEvent[]> {
  const events: ReplyEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** A connector answering each (re)connection with the next of `answers`, recording where it started from. */
function connector(...answers: Array<() => Response | Promise<Response>>) {
  const positions: StreamPosition[] = [];
  const connect = async (position: StreamPosition) => {
    positions.push(position);
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    return answer();
  };
  return { connect, positions };
}

describe('ReplyStream', () => {
  it('parses events split anywhere across chunks, skipping heartbeats and unknown event types', async () => {
    const wire = message() + ': keep-alive\n\n' + frame(2, 'reply.started', { messageId: 'r1' }) + frame(3, 'reply.future', {}) + delta(4, 'Hi ') + completed(5, 'Hi ');
    const chunks = wire.match(/[\s\S]{1,7}/g)!;
    const { connect } = connector(() => eventStream(chunks));
    const stream = new ReplyStream(connect);

    const events = await collect(stream);
    expect(events.map((event) => `${event.id}:${event.type}`)).toEqual(['1:message', '2:reply.started', '4:reply.delta', '5:reply.completed']);
    expect(stream.replyId).toBe('r1');
    expect(stream.reconnects).toBe(0);
  });

  it('reconnects from the last event after a dropped connection and never repeats one', async () => {
    const { connect, positions } = connector(
      () => eventStream([message(), delta(2, 'a'), delta(3, 'b')], true),
      // The server replays from Last-Event-ID; an overlap must not reach the caller twice.
      () => eventStream([delta(3, 'b'), delta(4, 'c'), completed(5, 'abc')]),
    );
    const stream = new ReplyStream(connect, { reconnectDelayMs: 1 });

    const events = await collect(stream);
    expect(events.map((event) => event.id)).toEqual([1, 2, 3, 4, 5]);
    expect(positions).toEqual([
      { replyId: undefined, lastEventId: 0 },
      { replyId: 'r1', lastEventId: 3 },
    ]);
    expect(stream.reconnects).toBe(1);
  });

  it("delivers a finished reply's terminal event even when the server renumbered it", async () => {
    const { connect } = connector(
      () => eventStream([message(), delta(2, 'a'), delta(3, 'b'), delta(4, 'c')], true),
      // Rebuilt from the database: message, reply.started, reply.completed as 1, 2, 3.
      () => eventStream([message(), frame(2, 'reply.started', { messageId: 'r1' }), completed(3, 'abc')]),
    );
    const events = await collect(new ReplyStream(connect, { reconnectDelayMs: 1 }));
    expect(events.map((event) => `${event.id}:${event.type}`)).toEqual(['1:message', '2:reply.delta', '3:reply.delta', '4:reply.delta', '3:reply.completed']);
  });

  it('retries a reply being generated elsewhere (409), but not a missing one (404)', async () => {
    const problem = (status: number, code: string) => new ChorusApiError({ type: 'urn:x', title: code, status, detail: '', code, requestId: 'q' });
    const busy = connector(
      () => Promise.reject(problem(409, 'reply_in_progress')),
      () => eventStream([completed(5, 'done')]),
    );
    expect((await collect(new ReplyStream(busy.connect, { reconnectDelayMs: 1, replyId: 'r1', lastEventId: 4 }))).map((event) => event.id)).toEqual([5]);

    const missing = connector(() => Promise.reject(problem(404, 'not_found')));
    await expect(collect(new ReplyStream(missing.connect, { reconnectDelayMs: 1 }))).rejects.toMatchObject({ code: 'not_found' });
    expect(missing.positions).toHaveLength(1);
  });

  it('gives up after maxReconnects attempts in a row without progress', async () => {
    const { connect, positions } = connector(...Array.from({ length: 5 }, () => () => eventStream([], true)));
    await expect(collect(new ReplyStream(connect, { reconnectDelayMs: 1, maxReconnects: 2 }))).rejects.toThrow('terminated');
    expect(positions).toHaveLength(3);
  });

  it('stops quietly when closed, and can be iterated only once', async () => {
    const { connect } = connector(() => eventStream([message(), delta(2, 'a')]), () => new Promise<Response>(() => undefined));
    const stream = new ReplyStream(connect, { reconnectDelayMs: 1 });
    const events: ReplyEvent[] = [];
    for await (const event of stream) {
      events.push(event);
      if (event.type === 'reply.delta') stream.close();
    }
    expect(events).toHaveLength(2);
    await expect(collect(stream)).rejects.toThrow('once');
  });
});
