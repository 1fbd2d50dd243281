import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { InjectConfig, REDIS_CLIENT, type AppConfig } from '#chorus/core';
import type { AccessTokenClaims } from './access-tokens.js';

/**
 * Access tokens are checked without the database, so revoking one needs a list the guard can
 * read fast: sessions revoked (logout, password change, refresh-token reuse) and users cut
 * off (ban, account deletion). An entry only has to outlive the tokens it stops, so each
 * expires after ACCESS_TOKEN_TTL_SECONDS. The list lives in Redis when configured (shared by
 * all processes), in process memory otherwise, where it is rebuilt from the database at start.
 */
@Injectable()
export class RevocationList implements OnModuleInit {
  private readonly memory = new Map<string, { value: number; expiresAt: number }>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
    @InjectConfig() private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  /** In memory, revocations made before a restart would be forgotten: reload the ones still in force. */
  async onModuleInit(): Promise<void> {
    if (this.redis) return;
    const ttl = this.config.auth.accessTokenTtlSeconds;
    const sessions: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM sessions WHERE revoked_at > now() - make_interval(secs => $1)`,
      [ttl],
    );
    for (const { id } of sessions) await this.revokeSession(id);
    const users: Array<{ id: string; since: number }> = await this.dataSource.query(
      `SELECT id, extract(epoch FROM updated_at)::int AS since FROM users
        WHERE status = 'banned' AND updated_at > now() - make_interval(secs => $1)`,
      [ttl],
    );
    for (const { id, since } of users) this.remember(`user:${id}`, since);
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.put(`session:${sessionId}`, 1);
  }

  /** Every access token of the user issued up to now stops working. */
  async revokeUser(userId: string): Promise<void> {
    await this.put(`user:${userId}`, Math.floor(Date.now() / 1000));
  }

  async isRevoked(claims: AccessTokenClaims): Promise<boolean> {
    const [session, userSince] = this.redis
      ? (await this.redis.mget(`revoked:session:${claims.sid}`, `revoked:user:${claims.sub}`)).map((value) =>
          value === null ? undefined : Number(value),
        )
      : [this.recall(`session:${claims.sid}`), this.recall(`user:${claims.sub}`)];
    return session !== undefined || (userSince !== undefined && claims.iat <= userSince);
  }

  private async put(key: string, value: number): Promise<void> {
    if (this.redis) {
      await this.redis.set(`revoked:${key}`, String(value), 'EX', this.config.auth.accessTokenTtlSeconds);
    } else {
      this.remember(key, value);
    }
  }

  private remember(key: string, value: number): void {
    this.memory.set(key, { value, expiresAt: Date.now() + this.config.auth.accessTokenTtlSeconds * 1000 });
  }

  private recall(key: string): number | undefined {
    const entry = this.memory.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.memory.delete(key);
      return undefined;
    }
    return entry.value;
  }
}
