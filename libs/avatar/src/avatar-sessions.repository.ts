import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, type EntityManager, type Repository } from 'typeorm';
import { AvatarSessionEntity, OPEN_SESSION_STATUSES, type AvatarSessionStatus, type AvatarStopReason } from './avatar-session.entity.js';

/** How a session ends, as its row records it. */
export interface SessionEnding {
  readonly status: Extract<AvatarSessionStatus, 'stopped' | 'expired' | 'failed'>;
  readonly reason: AvatarStopReason;
  readonly stoppedAt: Date;
  readonly billedSeconds: number;
}

/** The queries of avatar sessions; every read by a user names the user in its query. */
@Injectable()
export class AvatarSessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private table(manager: EntityManager = this.dataSource.manager): Repository<AvatarSessionEntity> {
    return manager.getRepository(AvatarSessionEntity);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Locks the user's row for the transaction: a user's session starts are counted and reserved one at a time. */
  async lockUser(userId: string, manager: EntityManager): Promise<void> {
    await manager.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
  }

  countOpen(userId: string, manager: EntityManager): Promise<number> {
    return this.table(manager).count({ where: { userId, status: In([...OPEN_SESSION_STATUSES]) } });
  }

  async insert(
    session: Pick<AvatarSessionEntity, 'id' | 'userId' | 'influencerId' | 'conversationId' | 'provider' | 'avatarId' | 'reservedSeconds' | 'limitedByQuota' | 'createdAt'>,
    manager: EntityManager,
  ): Promise<void> {
    await this.table(manager).insert({ ...session, status: 'starting' });
  }

  /** The session, when `userId` owns it (any user's for null: admins). */
  find(id: string, userId: string | null): Promise<AvatarSessionEntity | null> {
    return this.table().findOne({ where: userId === null ? { id } : { id, userId } });
  }

  /** Locks the session for the transaction that ends it; null when it is no longer open. Read fresh: it decides how the session ends. */
  lockOpen(id: string, manager: EntityManager): Promise<AvatarSessionEntity | null> {
    return this.table(manager).findOne({ where: { id, status: In([...OPEN_SESSION_STATUSES]) }, lock: { mode: 'pessimistic_write' } });
  }

  /** Newest first; `userId` null: everyone's (admins). */
  listPage(userId: string | null, after: { createdAt: string; id: string } | undefined, take: number): Promise<AvatarSessionEntity[]> {
    const builder = this.table().createQueryBuilder('s').orderBy('s.created_at', 'DESC').addOrderBy('s.id', 'DESC').limit(take);
    if (userId !== null) builder.andWhere('s.user_id = :userId', { userId });
    if (after) builder.andWhere('(s.created_at, s.id) < (:createdAt::timestamptz, :id::uuid)', after);
    return builder.getMany();
  }

  /**
   * Records the provider's id of the session, whatever its status (one given up meanwhile must
   * still be stopped there); false when it is no longer starting.
   */
  async recordProviderSession(id: string, providerSessionId: string): Promise<boolean> {
    await this.table().update({ id, providerSessionId: IsNull() }, { providerSessionId });
    return (await this.table().countBy({ id, status: 'starting' })) > 0;
  }

  /** The provider's confirmation of a stop is forgotten: the session started after it, so the sweeper must stop it again. */
  async stopUnconfirmed(id: string): Promise<void> {
    await this.table().update({ id }, { providerStoppedAt: null });
  }

  /** A starting session becomes active; false when it is no longer starting. */
  async markActive(id: string, startedAt: Date, reservedSeconds: number): Promise<boolean> {
    const result = await this.table().update({ id, status: 'starting' }, { status: 'active', startedAt, lastKeepAliveAt: startedAt, reservedSeconds });
    return (result.affected ?? 0) > 0;
  }

  /** Records a keep-alive of an active session; false when it is no longer active. */
  async touch(id: string, at: Date): Promise<boolean> {
    const result = await this.table().update({ id, status: 'active' }, { lastKeepAliveAt: at });
    return (result.affected ?? 0) > 0;
  }

  async end(id: string, ending: SessionEnding, manager: EntityManager): Promise<void> {
    await this.table(manager).update(id, { status: ending.status, stopReason: ending.reason, stoppedAt: ending.stoppedAt, billedSeconds: ending.billedSeconds });
  }

  async markProviderStopped(id: string, at: Date): Promise<void> {
    await this.table().update(id, { providerStoppedAt: at });
  }

  /**
   * Open sessions the sweeper must end at `now`: those of deleted accounts, active ones past
   * their reserved seconds or not kept alive since `idleCutoff`, and ones still starting since
   * before `startCutoff` (their process died mid-start). With `all`, every open one.
   */
  dueToEnd(now: Date, idleCutoff: Date, startCutoff: Date, all = false): Promise<AvatarSessionEntity[]> {
    const builder = this.table().createQueryBuilder('s').where(`s.status IN ('starting', 'active')`).orderBy('s.created_at', 'ASC').limit(500);
    if (!all) {
      builder.andWhere(
        `(s.user_id IS NULL
          OR (s.status = 'active' AND (s.started_at + make_interval(secs => s.reserved_seconds) <= :now OR s.last_keep_alive_at <= :idleCutoff))
          OR (s.status = 'starting' AND s.created_at <= :startCutoff))`,
        { now, idleCutoff, startCutoff },
      );
    }
    return builder.getMany();
  }

  /** Open sessions whose user is banned or whose persona was deleted or is no longer active, with that reason. */
  closedByAccountOrPersona(): Promise<Array<{ id: string; reason: Extract<AvatarStopReason, 'user_banned' | 'persona_gone'> }>> {
    return this.dataSource.query(
      `SELECT s.id, CASE WHEN u.status = 'banned' THEN 'user_banned' ELSE 'persona_gone' END AS reason
         FROM avatar_sessions s
         LEFT JOIN users u ON u.id = s.user_id
         LEFT JOIN influencers i ON i.id = s.influencer_id
        WHERE s.status IN ('starting', 'active')
          AND (u.status = 'banned' OR i.id IS NULL OR i.deleted_at IS NOT NULL OR i.status <> 'active')
        LIMIT 500`,
    );
  }

  /** Ended sessions the provider has not confirmed stopping: the sweeper asks again. */
  stopsPending(): Promise<AvatarSessionEntity[]> {
    return this.table()
      .createQueryBuilder('s')
      .where('s.provider_session_id IS NOT NULL AND s.provider_stopped_at IS NULL AND s.stopped_at IS NOT NULL')
      .orderBy('s.stopped_at', 'ASC')
      .limit(500)
      .getMany();
  }
}
