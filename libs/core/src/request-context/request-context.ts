import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What is known about the request being served, wherever the code runs during it. */
export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** A client's own request id is kept when it is short and plain; anything else is replaced. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type RequestWithId = IncomingMessage & { id?: string };

/**
 * Express middleware, first in the chain: gives every request an id (the client's
 * `X-Request-Id` or a new UUID), echoes it on the response, and opens the request context.
 */
export function requestContextMiddleware(request: RequestWithId, response: ServerResponse, next: () => void): void {
  const offered = request.headers['x-request-id'];
  const requestId = typeof offered === 'string' && ACCEPTED_REQUEST_ID.test(offered) ? offered : randomUUID();
  request.id = requestId;
  response.setHeader(REQUEST_ID_HEADER, requestId);
  storage.run({ requestId }, next);
}

/** The current request's context, or undefined outside a request (start-up, background work). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function requestIdOf(request: IncomingMessage): string {
  return (request as RequestWithId).id ?? 'none';
}
