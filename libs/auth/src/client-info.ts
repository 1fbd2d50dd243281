import type { Request } from 'express';
import type { ClientInfo } from './sessions.service.js';

/** The device and address a request comes from, as recorded on sessions and used for throttling. */
export function clientInfoOf(request: Request): ClientInfo {
  return { userAgent: request.get('user-agent') ?? undefined, ip: request.ip };
}
