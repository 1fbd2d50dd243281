import { Logger } from '@nestjs/common';
import type { Request } from 'express';
import { CoreProblems, type ProblemOptions, type ProblemType } from './problem.js';

/** How long a client is asked to wait: long enough for a restart or failover to get going, short enough to notice recovery. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * PostgreSQL error codes that say the database, not the request, failed: connection exceptions
 * (class 08), too many connections, a statement cancelled (statement_timeout), and the server
 * shutting down, crashed, still starting, or ending an idle session.
 */
const UNAVAILABLE_CODES = new Set(['53300', '57014', '57P01', '57P02', '57P03', '57P05']);

/** Errors pg and pg-pool raise without a code when the connection is refused, lost or timed out. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated\b/,
  /^timeout exceeded when trying to connect$/,
  /^Query read timeout$/,
  /^Client (has encountered a connection error|was closed) and is not queryable$/,
];

/** Node's socket errors when the database host cannot be reached. */
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

const logger = new Logger('Database');

/**
 * Whether `error` means the database cannot be used right now. TypeORM wraps a failed statement
 * in a QueryFailedError whose `driverError` is pg's; pool and connection errors come unwrapped.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const driverError = (error as { driverError?: unknown } | null | undefined)?.driverError;
  return [error, driverError].some((candidate) => {
    // Duck-typed: socket errors come from Node's own realm, where `instanceof Error` can fail (Jest's VM).
    const { code, message } = (candidate ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_CODES.has(code) || NETWORK_ERRORS.has(code))) return true;
    return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
  });
}

/**
 * A database outage answers 503 with Retry-After instead of a 500: the request was fine and can
 * be repeated. Logged as one warning, without a stack or the statement: an outage is not a bug.
 */
export function renderDatabaseUnavailable(
  exception: unknown,
  request: Request,
): { problem: ProblemType; detail: string; options: ProblemOptions } | undefined {
  if (!isDatabaseUnavailable(exception)) return undefined;
  const { name, message } = exception as Error;
  // The request's logger adds its id.
  logger.warn({ error: { type: name, message } }, `Database unavailable on ${request.method} ${request.path}`);
  return {
    problem: CoreProblems.serviceUnavailable,
    detail: 'The database is unavailable. Try again shortly.',
    options: { extensions: { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS } },
  };
}
