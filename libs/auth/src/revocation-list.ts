import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { InjectConfig, PubSub, REDIS_CLIENT, type AppConfig } from '#chorus/core';
import type { AccessTokenClaims } from './access-tokens.js';
import type { UserRole } from './entities/index.js';
import type { Principal } from './principal.js';
import { RevocationsRepository } from './revocations.repository.js';

/**
 * The pub/sub channel on which every revocation is announced, as `session:<id>` or `user:<id>`,
 * for what stays open past a request (an event stream) and must end with the credential.
 */
export const REVOCATIONS_CHANNEL = 'auth:revoked';

/** A user's role and plan as they are now, for tokens issued before they changed. */
export interface CurrentAccess {
  readonly role: UserRole;
  readonly plan: string;
}

/** What the list says about one access token. */
export type TokenStanding = { readonly revoked: true } | { readonly revoked: false; readonly access: CurrentAccess };

/**
 * Access tokens are checked without the database, so what changes after a token is issued has
 * to reach the guard through a list it can read fast: sessions revoked (logout, password
 * change, refresh-token reuse), users cut off (ban, account deletion), and users whose role or
 * plan changed (a demoted admin's token must lose admin power on its next request, not at its
 * expiry). An entry only has to outlive the tokens it corrects, so each expires after
 * ACCESS_TOKEN_TTL_SECONDS. The list lives in Redis when configured (shared by all processes),
 * in process memory otherwise, where it is rebuilt from the database at start.
 */
@Injectable()
export class RevocationList implements OnModuleInit {
  private readonly logger = new Logger('RevocationList');
  private readonly memory = new Map<string, { value: string; expiresAt: number }>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
    @InjectConfig() private readonly config: AppConfig,
    private readonly changes: RevocationsRepository,
    /** Where revocations are announced; the application always has one, unit tests of the list need none. */
    @Inject(PubSub) private readonly pubsub?: PubSub,
  ) {}

  /** In memory, changes made before a restart would be forgotten: reload the ones still in force. */
  async onModuleInit(): Promise<void> {
    if (this.redis) return;
    const ttl = this.config.auth.accessTokenTtlSeconds;
    for (const id of await this.changes.findSessionsRevokedWithin(ttl)) this.remember(`session:${id}`, '1');
    // Any user changed within a token's lifetime: their row holds the role and plan now in force.
    for (const user of await this.changes.findUsersChangedWithin(ttl)) {
      if (user.status === 'banned') this.remember(`user:${user.id}`, String(user.since));
      this.remember(`access:${user.id}`, encodeAccess({ role: user.role, plan: user.plan }, user.since));
    }
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.put(`session:${sessionId}`, '1');
    await this.announce(`session:${sessionId}`);
  }

  /** Every access token of the user issued up to now stops working. */
  async revokeUser(userId: string): Promise<void> {
    await this.put(`user:${userId}`, String(nowSeconds()));
    await this.announce(`user:${userId}`);
  }

  /**
   * Calls `onRevoked` when the caller's session or the caller as a whole is revoked from now on,
   * in any process. Resolves once listening, with the way to stop. Announcements are at most
   * once: whoever relies on this also re-checks the credential now and then.
   */
  async watch(caller: Pick<Principal, 'userId' | 'sessionId'>, onRevoked: () => void): Promise<() => void> {
    if (!this.pubsub) return () => undefined;
    const names = new Set([`user:${caller.userId}`, ...(caller.sessionId ? [`session:${caller.sessionId}`] : [])]);
    return this.pubsub.subscribe(REVOCATIONS_CHANNEL, (name) => {
      if (names.has(name)) onRevoked();
    });
  }

  /**
   * A banned user let back in: their old sessions stay revoked one by one, so only the
   * user-wide entry goes, letting the tokens of their new sign-ins through.
   */
  async reinstateUser(userId: string): Promise<void> {
    if (this.redis) await this.redis.del(`revoked:user:${userId}`);
    else this.memory.delete(`user:${userId}`);
  }

  /**
   * The user's role or plan changed: tokens issued until now carry the old ones, and are read
   * with these instead. One second of margin covers a token signed in the same second from a
   * read made just before the change.
   */
  async recordAccessChange(userId: string, access: CurrentAccess): Promise<void> {
    await this.put(`access:${userId}`, encodeAccess(access, nowSeconds() + 1));
  }

  /** Whether the token still stands and, if so, the role and plan it speaks for. One read, whatever the store. */
  async standing(claims: AccessTokenClaims): Promise<TokenStanding> {
    const keys = [`session:${claims.sid}`, `user:${claims.sub}`, `access:${claims.sub}`];
    const [session, revokedSince, changed] = this.redis
      ? await this.redis.mget(...keys.map((key) => `revoked:${key}`))
      : keys.map((key) => this.recall(key));
    if (session != null) return { revoked: true };
    if (revokedSince != null && claims.iat <= Number(revokedSince)) return { revoked: true };
    const change = changed == null ? undefined : decodeAccess(changed);
    if (change && claims.iat <= change.since) return { revoked: false, access: change.access };
    return { revoked: false, access: { role: claims.role, plan: claims.plan } };
  }

  /** Recorded already, so the revocation holds whether or not anyone hears of it. */
  private async announce(name: string): Promise<void> {
    try {
      await this.pubsub?.publish(REVOCATIONS_CHANNEL, name);
    } catch (error) {
      this.logger.warn(`Revocation of ${name} recorded but not announced: ${(error as Error).message}`);
    }
  }

  private async put(key: string, value: string): Promise<void> {
    if (this.redis) {
      await this.redis.set(`revoked:${key}`, value, 'EX', this.config.auth.accessTokenTtlSeconds);
    } else {
      this.remember(key, value);
    }
  }

  private remember(key: string, value: string): void {
    this.memory.set(key, { value, expiresAt: Date.now() + this.config.auth.accessTokenTtlSeconds * 1000 });
  }

  private recall(key: string): string | undefined {
    const entry = this.memory.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.memory.delete(key);
      return undefined;
    }
    return entry.value;
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function encodeAccess(access: CurrentAccess, since: number): string {
  return JSON.stringify({ role: access.role, plan: access.plan, since });
}

function decodeAccess(value: string): { access: CurrentAccess; since: number } {
  const { role, plan, since } = JSON.parse(value) as CurrentAccess & { since: number };
  return { access: { role, plan }, since };
}
