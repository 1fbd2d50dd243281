import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, MoreThan, type EntityManager } from 'typeorm';
import { CoreProblems, InjectConfig, ProblemException, type AppConfig } from '#chorus/core';
import { AuthProblems } from './auth.errors.js';
import { RefreshTokenEntity, SessionEntity, type UserRole } from './entities/index.js';
import { RevocationList } from './revocation-list.js';
import { REFRESH_TOKEN_PREFIX, newSecret, sha256Hex } from './secrets.js';

/** Where a login comes from, as shown in the user's session list. */
export interface ClientInfo {
  readonly userAgent?: string;
  readonly ip?: string;
}

export interface IssuedSession {
  readonly sessionId: string;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
}

export interface RotatedSession extends IssuedSession {
  readonly userId: string;
  readonly role: UserRole;
  readonly plan: string;
}

export interface SessionView {
  readonly id: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly expiresAt: Date;
}

export type RevocationReason = 'logout' | 'logout_all' | 'revoked_by_user' | 'password_changed' | 'refresh_token_reuse' | 'banned';

/** The outcome of presenting a refresh token, decided inside the transaction and acted on after it. */
type RotationOutcome =
  | { kind: 'rotated'; session: RotatedSession }
  | { kind: 'reused'; sessionId: string }
  | { kind: 'invalid' };

@Injectable()
export class SessionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: RevocationList,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Opens a session with its first refresh token (inside the caller's transaction when given one). */
  async open(userId: string, client: ClientInfo, manager: EntityManager = this.dataSource.manager): Promise<IssuedSession> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.auth.refreshTokenTtlDays * 86_400_000);
    const session = await manager.getRepository(SessionEntity).save({
      userId,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ip: client.ip ?? null,
      lastUsedAt: now,
      expiresAt,
    });
    const refreshToken = await this.addRefreshToken(manager, session.id);
    return { sessionId: session.id, refreshToken, refreshTokenExpiresAt: expiresAt };
  }

  /**
   * Exchanges a refresh token for the next one. A token that was already exchanged means a copy
   * is in someone else's hands: the whole session is revoked, the newest token included.
   */
  async rotate(refreshToken: string, client: ClientInfo): Promise<RotatedSession> {
    const outcome = await this.dataSource.transaction(async (manager): Promise<RotationOutcome> => {
      const [found]: Array<{
        token_id: string;
        rotated_at: Date | null;
        session_id: string;
        expires_at: Date;
        revoked_at: Date | null;
        user_id: string;
        role: UserRole;
        plan: string;
        status: string;
      }> = await manager.query(
        `SELECT t.id AS token_id, t.rotated_at, s.id AS session_id, s.expires_at, s.revoked_at,
                u.id AS user_id, u.role, u.plan, u.status
           FROM refresh_tokens t
           JOIN sessions s ON s.id = t.session_id
           JOIN users u ON u.id = s.user_id
          WHERE t.token_hash = $1
          FOR UPDATE OF t, s`,
        [sha256Hex(refreshToken)],
      );
      if (!found || found.revoked_at || found.expires_at <= new Date() || found.status !== 'active') {
        return { kind: 'invalid' };
      }
      if (found.rotated_at) return { kind: 'reused', sessionId: found.session_id };

      await manager.update(RefreshTokenEntity, { id: found.token_id }, { rotatedAt: new Date() });
      await manager.update(
        SessionEntity,
        { id: found.session_id },
        { lastUsedAt: new Date(), ip: client.ip ?? null, userAgent: client.userAgent?.slice(0, 512) ?? null },
      );
      return {
        kind: 'rotated',
        session: {
          sessionId: found.session_id,
          refreshToken: await this.addRefreshToken(manager, found.session_id),
          refreshTokenExpiresAt: found.expires_at,
          userId: found.user_id,
          role: found.role,
          plan: found.plan,
        },
      };
    });

    if (outcome.kind === 'rotated') return outcome.session;
    if (outcome.kind === 'reused') {
      // Committed before answering: the 401 must not roll the revocation back.
      await this.revokeSession(outcome.sessionId, 'refresh_token_reuse');
      throw new ProblemException(
        AuthProblems.refreshTokenReused,
        'This refresh token was already used. The session has been ended for safety: sign in again.',
      );
    }
    throw new ProblemException(AuthProblems.invalidRefreshToken, 'The refresh token is not valid: sign in again.');
  }

  /** The user's sessions still in force, most recently used first. */
  async listActive(userId: string): Promise<SessionView[]> {
    return this.dataSource.getRepository(SessionEntity).find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      order: { lastUsedAt: 'DESC', id: 'ASC' },
    });
  }

  /** Ends one of the user's sessions; another user's session id is answered as not found. */
  async revokeOwn(userId: string, sessionId: string, reason: RevocationReason): Promise<void> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('id = :sessionId AND user_id = :userId AND revoked_at IS NULL', { sessionId, userId })
      .execute();
    if (!result.affected) throw new ProblemException(CoreProblems.notFound, 'No such session.');
    await this.revocations.revokeSession(sessionId);
  }

  /** Ends every session of the user, except `keepSessionId` when given. */
  async revokeAll(userId: string, reason: RevocationReason, keepSessionId?: string): Promise<void> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId })
      .andWhere(keepSessionId ? 'id <> :keepSessionId' : 'TRUE', { keepSessionId })
      .returning(['id'])
      .execute();
    const ids = (result.raw as Array<{ id: string }>).map((row) => row.id);
    for (const id of ids) await this.revocations.revokeSession(id);
  }

  private async revokeSession(sessionId: string, reason: RevocationReason): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where('id = :sessionId AND revoked_at IS NULL', { sessionId })
      .execute();
    await this.revocations.revokeSession(sessionId);
  }

  private async addRefreshToken(manager: EntityManager, sessionId: string): Promise<string> {
    const token = newSecret(REFRESH_TOKEN_PREFIX);
    await manager.getRepository(RefreshTokenEntity).insert({ sessionId, tokenHash: sha256Hex(token) });
    return token;
  }
}
