/**
 * The small resilience pieces the registry puts around each provider. They are written here
 * rather than taken from a policy library because our unit of work is a stream: its timeout
 * is per chunk, and whether it succeeded is only known when it ends (or is cancelled), which
 * the breaker must be told by hand.
 */

export type BreakerState = 'closed' | 'open' | 'half_open';

export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit; 0 disables the breaker. */
  readonly threshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  readonly cooldownMs: number;
  readonly now?: () => number;
  readonly onStateChange?: (state: BreakerState, previous: BreakerState) => void;
}

/**
 * Opens after `threshold` consecutive failures; after `cooldownMs` it half-opens and lets one
 * trial call through: its success closes the circuit, its failure opens it again. A call that
 * was neither (cancelled by the caller) gives its trial slot back.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state as a caller would meet it now (an open circuit past its cooldown reads half-open). */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) return 'half_open';
    return this.current;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Whether a call may go through now; a true answer must be followed by success(), failure() or release(). */
  tryAcquire(): boolean {
    if (this.options.threshold === 0) return true;
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.options.cooldownMs) return false;
      this.transition('half_open');
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.trialInFlight = false;
    this.failures = 0;
    if (this.current !== 'closed') this.transition('closed');
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.options.threshold === 0) return;
    if (this.current === 'half_open' || (this.current === 'closed' && this.failures >= this.options.threshold)) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  /** The call ended without telling anything about the provider's health (e.g. the caller cancelled). */
  release(): void {
    this.trialInFlight = false;
  }

  private transition(next: BreakerState): void {
    const previous = this.current;
    this.current = next;
    if (previous !== next) this.options.onStateChange?.(next, previous);
  }
}

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half of the exponential step is fixed, half is random,
 * so retries from many callers spread out but never come back immediately.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** retry);
  return Math.round(step / 2 + random() * (step / 2));
}

/** Waits `ms`; resolves false at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A stream produced nothing for longer than its idle timeout. */
export class StallError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly itemsBefore: number,
  ) {
    super(itemsBefore === 0 ? `No response within ${timeoutMs} ms` : `The stream stalled for ${timeoutMs} ms`);
    this.name = 'StallError';
  }
}

export interface IdleTimeoutOptions {
  /** Longest wait for each item (the first one included); 0 waits forever. */
  readonly timeoutMs: number;
  /** When it aborts, iteration ends quietly at once, whatever the source is doing. */
  readonly signal: AbortSignal;
  /** Called when the source stalls, before StallError is thrown: abort its connection here. */
  readonly onStall?: () => void;
}

/**
 * Re-yields `source`, throwing StallError when an item takes longer than `timeoutMs`. The source
 * is always closed (its `return()` called) when iteration stops early, however it stops.
 */
export async function* withIdleTimeout<T>(source: AsyncIterable<T>, options: IdleTimeoutOptions): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  let items = 0;
  try {
    while (!options.signal.aborted) {
      const next = iterator.next();
      const outcome = await race(next, options);
      if (outcome === 'aborted') return;
      if (outcome === 'stalled') {
        options.onStall?.();
        throw new StallError(options.timeoutMs, items);
      }
      if (outcome.done) {
        finished = true;
        return;
      }
      items += 1;
      yield outcome.value;
    }
  } finally {
    if (!finished) {
      // Do not wait: a source stuck on a dead connection may take long to acknowledge.
      Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => undefined);
    }
  }
}

function race<T>(next: Promise<IteratorResult<T>>, options: IdleTimeoutOptions): Promise<IteratorResult<T> | 'stalled' | 'aborted'> {
  return new Promise((resolve, reject) => {
    const timer = options.timeoutMs > 0 ? setTimeout(() => settle(() => resolve('stalled')), options.timeoutMs) : undefined;
    const onAbort = () => settle(() => resolve('aborted'));
    options.signal.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    function settle(action: () => void) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      action();
    }
    next.then(
      (result) => settle(() => resolve(result)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
