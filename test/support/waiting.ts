import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waiting in tests for what happens in the background, failing with a message that names what
 * was awaited instead of hanging until the test's own timeout.
 */

export interface Polling {
  /** How long to wait before failing. */
  readonly timeoutMs: number;
  /** How long to wait between two checks. */
  readonly everyMs: number;
}

/** Resolves once `condition` holds; fails naming `what` after `timeoutMs`. */
export type Until = (what: string, condition: () => boolean | Promise<boolean>, timeoutMs?: number) => Promise<void>;

/** An `until` checking every `everyMs`, and waiting `timeoutMs` unless a call says otherwise. */
export function untilWith(defaults: Polling): Until {
  return async (what, condition, timeoutMs = defaults.timeoutMs) => {
    await eventually(what, condition, (holds) => holds, { timeoutMs, everyMs: defaults.everyMs });
  };
}

/** Resolves once `condition` holds, checking every 20 ms; fails naming `what` after `timeoutMs` (5 s unless told). */
export const until: Until = untilWith({ timeoutMs: 5_000, everyMs: 20 });

/**
 * Calls `read` every `everyMs` until `done` accepts what it answered, and returns that; fails
 * after `timeoutMs`, naming `what` and what it last read.
 */
export async function eventually<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, polling: Polling): Promise<T> {
  const deadline = Date.now() + polling.timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${polling.timeoutMs} ms waiting until ${what}; last read: ${JSON.stringify(value)}`);
    await sleep(polling.everyMs);
  }
}

/** A promise and the function that resolves it: work a test holds until it lets it go on. */
export function latch(): { released: Promise<void>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return { released, release };
}

/** Waits for `promise`, failing after `ms` instead of hanging until the test's own timeout (`what` says what it awaited: by default, a fake upstream's exchange). */
export async function within<T>(promise: Promise<T>, ms = 3000, what = 'the upstream exchange to end'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
