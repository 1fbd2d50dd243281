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

  /**
   * Which of `keys` have been seen free (not held) for at least `graceMs`: a key seen free for
   * the first time starts its grace, and counts only if still free when asked again after it.
   * A lapse that comes from Redis itself (restarted without its data, or unreachable for a
   * while) leaves the living holders time to take their leases again.
   */
  async lapsed(keys: readonly string[], graceMs: number): Promise<boolean[]> {
    const held = await this.held(keys);
    const free = keys.filter((_key, index) => !held[index]);
    const since = await this.freeSince(free, graceMs);
    const now = Date.now();
    return keys.map((key) => {
      const at = since.get(key);
      return at !== undefined && now - at >= graceMs;
    });
  }

  /** When each of `keys` was first seen free (recorded now for those seen free for the first time); forgotten after a while. */
  protected abstract freeSince(keys: readonly string[], graceMs: number): Promise<Map<string, number>>;
}

/** A free key's first sighting is forgotten after this many graces: a later lapse starts a new grace. */
const SIGHTING_LIFETIME_GRACES = 2;

export class MemoryLeases extends Leases {
  private readonly expiries = new Map<string, number>();
  private readonly sightings = new Map<string, number>();

  async hold(keys: readonly string[], ttlMs: number): Promise<void> {
    for (const key of keys) this.expiries.set(key, Date.now() + ttlMs);
  }

  async release(key: string): Promise<void> {
    this.expiries.delete(key);
  }

  async held(keys: readonly string[]): Promise<boolean[]> {
    return keys.map((key) => (this.expiries.get(key) ?? 0) > Date.now());
  }

  protected async freeSince(keys: readonly string[], graceMs: number): Promise<Map<string, number>> {
    const now = Date.now();
    for (const [key, at] of this.sightings) if (now - at > graceMs * SIGHTING_LIFETIME_GRACES) this.sightings.delete(key);
    for (const key of keys) if (!this.sightings.has(key)) this.sightings.set(key, now);
    return new Map(keys.map((key) => [key, this.sightings.get(key)!]));
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

  /** Sightings as keys `lapsed:<key>` holding the time of the first, shared by every process that asks. */
  protected async freeSince(keys: readonly string[], graceMs: number): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const pipeline = this.redis.pipeline();
    const now = String(Date.now());
    for (const key of keys) pipeline.set(`lapsed:${key}`, now, 'PX', graceMs * SIGHTING_LIFETIME_GRACES, 'NX').get(`lapsed:${key}`);
    const results = (await pipeline.exec()) ?? [];
    return new Map(
      keys.map((key, index) => {
        const [error, value] = results[index * 2 + 1] ?? [];
        if (error) throw error;
        return [key, Number(value ?? now)];
      }),
    );
  }
}
