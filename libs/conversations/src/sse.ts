import type { Request } from 'express';

export function wantsEventStream(request: Request): boolean {
  return (request.get('accept') ?? '').includes('text/event-stream');
}

/** The id of the last event the client saw (Last-Event-ID header, or `lastEventId` for clients that cannot set headers). */
export function lastEventIdOf(request: Request): number {
  const raw = request.get('last-event-id') ?? (typeof request.query['lastEventId'] === 'string' ? request.query['lastEventId'] : '0');
  // Decimal digits only: Number() would also read "0x10" or "1e3".
  return /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
}
