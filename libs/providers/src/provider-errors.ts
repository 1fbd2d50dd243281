import { ProviderError } from './chat-provider.js';

/**
 * The ProviderError for an HTTP status answered by a provider: overload and server faults may
 * be retried (or fall back), faults of the request or of the credentials may not.
 */
export function providerErrorForStatus(status: number, message: string, retryAfterMs?: number): ProviderError {
  if (status === 429) return new ProviderError('rate_limited', message, true, status, retryAfterMs);
  if (status === 408) return new ProviderError('timeout', message, true, status, retryAfterMs);
  if (status === 401 || status === 403) return new ProviderError('authentication', message, false, status);
  // 409 is how OpenAI reports a transient lock conflict; its SDK retries it too.
  if (status >= 500 || status === 409) return new ProviderError('unavailable', message, true, status, retryAfterMs);
  if (status >= 400) return new ProviderError('bad_request', message, false, status);
  return new ProviderError('unknown', message, false, status);
}

/** A failure without an HTTP status: before any output the connection failed, after some it broke. */
export function providerErrorForTransport(error: unknown, midStream: boolean): ProviderError {
  const message = describe(error);
  return midStream
    ? new ProviderError('interrupted', `The stream broke off: ${message}`, false)
    : new ProviderError('unavailable', `The provider could not be reached: ${message}`, true);
}

/** Reads `Retry-After` (seconds or an HTTP date) and OpenAI's `retry-after-ms`. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  const milliseconds = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'name' in error && (error.name === 'AbortError' || error.name === 'APIUserAbortError');
}

/** The error's message and, for fetch failures, the reason underneath ("fetch failed: other side closed"). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
}
