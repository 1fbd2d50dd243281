import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, MoreThan, type EntityManager } from 'typeorm';
import { RefreshTokenEntity, SessionEntity, type UserRole, type UserStatus } from './entities/index.js';

export interface SessionInsert {
  readonly userId: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly lastUsedAt: Date;
  readonly expiresAt: Date;
}

/** A refresh token with its session and the session's user, as found by the token's hash. */
export interface RefreshTokenRow {
  readonly tokenId: string;
  readonly rotatedAt: Date | null;
  readonly sessionId: string;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly userId: string;
  readonly role: UserRole;
  readonly plan: string;
  readonly status: UserStatus;
}

/** Queries of the sessions and refresh_tokens tables. Each method is one statement. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  insert(session: SessionInsert, manager: EntityManager = this.dataSource.manager): Promise<SessionEntity> {
    return manager.getRepository(SessionEntity).save({ ...session });
  }

  async insertRefreshToken(sessionId: string, tokenHash: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.getRepository(RefreshTokenEntity).insert({ sessionId, tokenHash });
  }

  /** The refresh token with this hash, its row and its session's row locked until the transaction ends. */
  async findRefreshTokenForUpdate(tokenHash: string, manager: EntityManager): Promise<RefreshTokenRow | undefined> {
    const [found]: Array<{
      token_id: string;
      rotated_at: Date | null;
      session_id: string;
      expires_at: Date;
      revoked_at: Date | null;
      user_id: string;
      role: UserRole;
      plan: string;
      status: UserStatus;
    }> = await manager.query(
      `SELECT t.id AS token_id, t.rotated_at, s.id AS session_id, s.expires_at, s.revoked_at,
              u.id AS user_id, u.role, u.plan, u.status
         FROM refresh_tokens t
         JOIN sessions s ON s.id = t.session_id
         JOIN users u ON u.id = s.user_id
        WHERE t.token_hash = $1
        FOR UPDATE OF t, s`,
      [tokenHash],
    );
    if (!found) return undefined;
    return {
      tokenId: found.token_id,
      rotatedAt: found.rotated_at,
      sessionId: found.session_id,
      expiresAt: found.expires_at,
      revokedAt: found.revoked_at,
      userId: found.user_id,
      role: found.role,
      plan: found.plan,
      status: found.status,
    };
  }

  async markRefreshTokenRotated(tokenId: string, at: Date, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.update(RefreshTokenEntity, { id: tokenId }, { rotatedAt: at });
  }

  /** Records a use of the session, from where it came. */
  async recordUse(
    sessionId: string,
    use: { at: Date; ip: string | null; userAgent: string | null },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.update(SessionEntity, { id: sessionId }, { lastUsedAt: use.at, ip: use.ip, userAgent: use.userAgent });
  }

  /** The user's sessions neither revoked nor expired at `now`, most recently used first. */
  findActiveByUser(userId: string, now: Date): Promise<SessionEntity[]> {
    return this.dataSource.getRepository(SessionEntity).find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(now) },
      order: { lastUsedAt: 'DESC', id: 'ASC' },
    });
  }

  /** Revokes the session if it is the user's and still in force; answers whether it was. */
  async revokeOwn(userId: string, sessionId: string, reason: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('id = :sessionId AND user_id = :userId AND revoked_at IS NULL', { sessionId, userId })
      .execute();
    return Boolean(result.affected);
  }

  /** Revokes every session of the user still in force, except `keepSessionId`; answers the ids revoked. */
  async revokeAllOf(userId: string, reason: string, keepSessionId?: string): Promise<string[]> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId })
      .andWhere(keepSessionId ? 'id <> :keepSessionId' : 'TRUE', { keepSessionId })
      .returning(['id'])
      .execute();
    return (result.raw as Array<{ id: string }>).map((row) => row.id);
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('id = :sessionId AND revoked_at IS NULL', { sessionId })
      .execute();
  }
}
