import { once } from 'node:events';
import type { Response } from 'express';

/** Proxies close connections that stay silent; a comment line this often keeps them open. */
export const SSE_HEARTBEAT_MS = 15_000;

/** One server-sent event. One without `id` leaves the client's Last-Event-ID at the last event that had one. */
export interface ServerSentEvent {
  readonly id?: string | number;
  readonly type: string;
  readonly data: unknown;
}

export interface ServerSentEventsOptions {
  /** How often a comment line is written (SSE_HEARTBEAT_MS by default). */
  readonly heartbeatMs?: number;
  /**
   * Called after each heartbeat: a stream that stays open for hours re-checks there what it
   * depends on (the caller's credential), and ends its events when that is gone.
   */
  readonly onHeartbeat?: () => void;
}

/**
 * Writes `events` to `response` as server-sent events (`id:`, `event:`, `data:` as JSON) and
 * ends the response when they end. The client going away aborts `stop`: the events must end
 * then, and free what they hold. A slow client is waited for rather than buffered without bound.
 */
export async function writeServerSentEvents(
  response: Response,
  events: (stop: AbortSignal) => AsyncIterable<ServerSentEvent>,
  { heartbeatMs = SSE_HEARTBEAT_MS, onHeartbeat }: ServerSentEventsOptions = {},
): Promise<void> {
  response.status(200);
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache, no-transform');
  response.setHeader('Connection', 'keep-alive');
  response.setHeader('X-Accel-Buffering', 'no');
  response.flushHeaders();

  const clientGone = new AbortController();
  const onClose = () => clientGone.abort();
  response.on('close', onClose);
  // Gone already, while the stream was being prepared.
  if (!response.socket || response.socket.destroyed) clientGone.abort();
  const heartbeat = setInterval(() => {
    if (clientGone.signal.aborted) return;
    response.write(': keep-alive\n\n');
    onHeartbeat?.();
  }, heartbeatMs);
  try {
    for await (const event of events(clientGone.signal)) {
      if (clientGone.signal.aborted) break;
      if (!response.write(formatEvent(event))) await drained(response, clientGone.signal);
    }
  } finally {
    clearInterval(heartbeat);
    response.off('close', onClose);
    if (!response.writableEnded) response.end();
  }
}

function formatEvent({ id, type, data }: ServerSentEvent): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

async function drained(response: Response, clientGone: AbortSignal): Promise<void> {
  try {
    await once(response, 'drain', { signal: clientGone });
  } catch {
    // The client left while its buffer was full: the loop ends on the aborted signal.
  }
}
