import type { Request, Response } from 'express';
import type { LiveReply, ReplyEvent } from './reply-stream-hub.js';

/** Proxies close connections that stay silent; a comment line every so often keeps them open. */
const HEARTBEAT_MS = 15_000;

export function wantsEventStream(request: Request): boolean {
  return (request.get('accept') ?? '').includes('text/event-stream');
}

/** The id of the last event the client saw (Last-Event-ID header, or `lastEventId` for clients that cannot set headers). */
export function lastEventIdOf(request: Request): number {
  const raw = request.get('last-event-id') ?? (typeof request.query['lastEventId'] === 'string' ? request.query['lastEventId'] : '0');
  const value = Number(raw);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/**
 * Streams a reply's events as server-sent events from after `afterId`, and ends the response
 * with the reply. A client that goes away only stops listening: the reply goes on and is saved.
 */
export function writeEventStream(request: Request, response: Response, source: LiveReply | ReplyEvent[], afterId: number): void {
  response.status(200);
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache, no-transform');
  response.setHeader('Connection', 'keep-alive');
  response.setHeader('X-Accel-Buffering', 'no');
  response.flushHeaders();

  const write = (event: ReplyEvent) => {
    response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
    if (event.type === 'reply.completed' || event.type === 'error') finish();
  };
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
  let unsubscribe = () => undefined as unknown;
  const finish = () => {
    clearInterval(heartbeat);
    unsubscribe();
    if (!response.writableEnded) response.end();
  };
  request.on('close', finish);

  if (Array.isArray(source)) {
    // A finished reply rebuilt from the database has fewer events than its live stream had:
    // a client that saw more than these still gets the final event, numbered after its last.
    const unseen = source.filter((event) => event.id > afterId);
    const final = source.at(-1);
    for (const event of unseen.length > 0 || !final ? unseen : [{ ...final, id: afterId + 1 }]) write(event);
    finish();
    return;
  }
  unsubscribe = source.subscribe(afterId, write);
  if (source.done) finish();
}
