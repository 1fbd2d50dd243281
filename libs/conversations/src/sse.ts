import type { Request, Response } from 'express';
import type { ReplyEvent } from './reply-stream-hub.js';

/** Proxies close connections that stay silent; a comment line every so often keeps them open. */
const HEARTBEAT_MS = 15_000;

export function wantsEventStream(request: Request): boolean {
  return (request.get('accept') ?? '').includes('text/event-stream');
}

/** The id of the last event the client saw (Last-Event-ID header, or `lastEventId` for clients that cannot set headers). */
export function lastEventIdOf(request: Request): number {
  const raw = request.get('last-event-id') ?? (typeof request.query['lastEventId'] === 'string' ? request.query['lastEventId'] : '0');
  // Decimal digits only: Number() would also read "0x10" or "1e3".
  return /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
}

/**
 * Streams a reply's events as server-sent events (`events` ends with the reply's final event)
 * and ends the response with them. A client that goes away only stops listening (`stop` is
 * aborted): the reply goes on and is saved.
 */
export async function writeEventStream(response: Response, events: (stop: AbortSignal) => AsyncIterable<ReplyEvent>): Promise<void> {
  response.status(200);
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache, no-transform');
  response.setHeader('Connection', 'keep-alive');
  response.setHeader('X-Accel-Buffering', 'no');
  response.flushHeaders();

  const clientGone = new AbortController();
  response.on('close', () => clientGone.abort());
  // Gone already, while the reply was being looked up.
  if (!response.socket || response.socket.destroyed) clientGone.abort();
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
  try {
    for await (const event of events(clientGone.signal)) {
      response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
    }
  } finally {
    clearInterval(heartbeat);
    if (!response.writableEnded) response.end();
  }
}
