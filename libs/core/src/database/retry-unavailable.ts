import { setTimeout as sleep } from 'node:timers/promises';
import { isDatabaseUnavailable } from '../errors/database-unavailable.js';

/** Waits between attempts: about 16 s in all, long enough to ride out a failover or a saturated pool. */
const RETRY_DELAYS_MS = [200, 500, 1_000, 2_000, 4_000, 8_000];

/**
 * Runs `work` again while the database is out of reach (refused, cut, timed out, pool full),
 * for writes that must not be lost to a moment's outage, such as a finished reply and its bill.
 * `work` must be safe to repeat: a transaction, guarded so that a commit whose answer was lost
 * is not applied twice. Any other error, or the last attempt's, is thrown.
 */
export async function retryWhileUnavailable<T>(work: () => Promise<T>, onRetry?: (error: unknown, delayMs: number) => void): Promise<T> {
  for (const delayMs of RETRY_DELAYS_MS) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      onRetry?.(error, delayMs);
      await sleep(delayMs);
    }
  }
  return work();
}
