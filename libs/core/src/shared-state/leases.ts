import type { Redis } from 'ioredis';

/**
 * Short leases that a process holds on what it is doing (a reply it generates) and renews
 * while it does: when the process dies, its leases lapse within their time to live, and
 * another process can tell the work was abandoned. In Redis when shared; in memory
 * otherwise, where only this process holds them.
 */
export abstract class Leases {
  /** Takes (or renews) the leases on `keys` for `ttlMs`. */
  abstract hold(keys: readonly string[], ttlMs: number): Promise<void>;

  abstract release(key: string): Promise<void>;

  /** Which of `keys` are held by some process now. */
  abstract held(keys: readonly string[]): Promise<boolean[]>;
}

export class MemoryLeases extends Leases {
  private readonly expiries = new Map<string, number>();

  async hold(keys: readonly string[], ttlMs: number): Promise<void> {
    for (const key of keys) this.expiries.set(key, Date.now() + ttlMs);
  }

  async release(key: string): Promise<void> {
    this.expiries.delete(key);
  }

  async held(keys: readonly string[]): Promise<boolean[]> {
    return keys.map((key) => (this.expiries.get(key) ?? 0) > Date.now());
  }
}

/** Leases as keys `lease:<key>` that expire, renewed in one round trip however many there are. */
export class RedisLeases extends Leases {
  constructor(private readonly redis: Redis) {
    super();
  }

  async hold(keys: readonly string[], ttlMs: number): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.set(`lease:${key}`, '1', 'PX', ttlMs);
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  async release(key: string): Promise<void> {
    await this.redis.del(`lease:${key}`);
  }

  async held(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    return (await this.redis.mget(...keys.map((key) => `lease:${key}`))).map((value) => value !== null);
  }
}
