import type { FieldErrorDto, ProblemDocumentDto } from './generated/index.js';

/** An RFC 9457 problem document as Chorus sends it, with any extension members it carries. */
export type ProblemDocument = ProblemDocumentDto & Readonly<Record<string, unknown>>;

/**
 * Every answer of the API that is not a success: its status, the stable `code` to branch on,
 * the request id to quote, and the rejected fields of a validation problem.
 */
export class ChorusApiError extends Error {
  override readonly name = 'ChorusApiError';
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly errors: readonly FieldErrorDto[];
  /** Seconds to wait before trying again, from `Retry-After` (rate limits, quotas). */
  readonly retryAfterSeconds: number | undefined;

  constructor(readonly problem: ProblemDocument, response?: Response) {
    super(`${problem.code} (${problem.status}): ${problem.detail || problem.title}`);
    this.status = problem.status;
    this.code = problem.code;
    this.requestId = problem.requestId || response?.headers.get('x-request-id') || undefined;
    this.errors = problem.errors ?? [];
    const retryAfter = Number(response?.headers.get('retry-after') ?? Number.NaN);
    this.retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  }

  /** The error for a response whose body was already read (parsed as JSON when it was JSON). */
  static fromBody(body: unknown, response: Response): ChorusApiError {
    if (isProblem(body)) return new ChorusApiError(body, response);
    // Not from Chorus itself (a proxy, a load balancer): keep what there is.
    const requestId = response.headers.get('x-request-id') ?? '';
    return new ChorusApiError(
      {
        type: 'about:blank',
        title: response.statusText || `HTTP ${response.status}`,
        status: response.status,
        detail: typeof body === 'string' ? body.slice(0, 500) : '',
        code: `http_${response.status}`,
        requestId,
      },
      response,
    );
  }

  /** Reads a failed response's body into an error. */
  static async fromResponse(response: Response): Promise<ChorusApiError> {
    const text = await response.text().catch(() => '');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return ChorusApiError.fromBody(body, response);
  }
}

/** `true` when `error` is a ChorusApiError (with that `code`, when one is given). */
export function isChorusApiError(error: unknown, code?: string): error is ChorusApiError {
  return error instanceof ChorusApiError && (code === undefined || error.code === code);
}

function isProblem(body: unknown): body is ProblemDocument {
  if (typeof body !== 'object' || body === null) return false;
  const { code, status } = body as Record<string, unknown>;
  return typeof code === 'string' && typeof status === 'number';
}
