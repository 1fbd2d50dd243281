import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CoreProblems, InjectConfig, ProblemException, type AppConfig } from '#chorus/core';
import { AuthProblems } from './auth.errors.js';
import type { SessionEntity, UserRole } from './entities/index.js';
import { RevocationList } from './revocation-list.js';
import { REFRESH_TOKEN_PREFIX, newSecret, sha256Hex } from './secrets.js';
import { SessionsRepository } from './sessions.repository.js';

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
    private readonly sessions: SessionsRepository,
    private readonly revocations: RevocationList,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Opens a session with its first refresh token (inside the caller's transaction when given one). */
  async open(userId: string, client: ClientInfo, manager?: EntityManager): Promise<IssuedSession> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.auth.refreshTokenTtlDays * 86_400_000);
    const session = await this.sessions.insert({ userId, ...whereFrom(client), lastUsedAt: now, expiresAt }, manager);
    const refreshToken = await this.addRefreshToken(session.id, manager);
    return { sessionId: session.id, refreshToken, refreshTokenExpiresAt: expiresAt };
  }

  /**
   * Exchanges a refresh token for the next one. A token that was already exchanged means a copy
   * is in someone else's hands: the whole session is revoked, the newest token included.
   */
  async rotate(refreshToken: string, client: ClientInfo): Promise<RotatedSession> {
    const outcome = await this.dataSource.transaction(async (manager): Promise<RotationOutcome> => {
      const found = await this.sessions.findRefreshTokenForUpdate(sha256Hex(refreshToken), manager);
      if (!found || found.revokedAt || found.expiresAt <= new Date() || found.status !== 'active') {
        return { kind: 'invalid' };
      }
      if (found.rotatedAt) return { kind: 'reused', sessionId: found.sessionId };

      await this.sessions.markRefreshTokenRotated(found.tokenId, new Date(), manager);
      await this.sessions.recordUse(found.sessionId, { at: new Date(), ...whereFrom(client) }, manager);
      return {
        kind: 'rotated',
        session: {
          sessionId: found.sessionId,
          refreshToken: await this.addRefreshToken(found.sessionId, manager),
          refreshTokenExpiresAt: found.expiresAt,
          userId: found.userId,
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
    const sessions = await this.sessions.findActiveByUser(userId, new Date());
    return sessions.map(toView);
  }

  /** Ends one of the user's sessions; another user's session id is answered as not found. */
  async revokeOwn(userId: string, sessionId: string, reason: RevocationReason): Promise<void> {
    if (!(await this.sessions.revokeOwn(userId, sessionId, reason))) throw new ProblemException(CoreProblems.notFound, 'No such session.');
    await this.revocations.revokeSession(sessionId);
  }

  /** Ends every session of the user, except `keepSessionId` when given. */
  async revokeAll(userId: string, reason: RevocationReason, keepSessionId?: string): Promise<void> {
    const ids = await this.sessions.revokeAllOf(userId, reason, keepSessionId);
    for (const id of ids) await this.revocations.revokeSession(id);
  }

  private async revokeSession(sessionId: string, reason: RevocationReason): Promise<void> {
    await this.sessions.revoke(sessionId, reason);
    await this.revocations.revokeSession(sessionId);
  }

  private async addRefreshToken(sessionId: string, manager?: EntityManager): Promise<string> {
    const token = newSecret(REFRESH_TOKEN_PREFIX);
    await this.sessions.insertRefreshToken(sessionId, sha256Hex(token), manager);
    return token;
  }
}

/** The client as recorded on its session, the user agent cut to the column's length. */
function whereFrom(client: ClientInfo): { ip: string | null; userAgent: string | null } {
  return { ip: client.ip ?? null, userAgent: client.userAgent?.slice(0, 512) ?? null };
}

function toView(session: SessionEntity): SessionView {
  return {
    id: session.id,
    userAgent: session.userAgent,
    ip: session.ip,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    expiresAt: session.expiresAt,
  };
}
