import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

export const AVATAR_SESSION_STATUSES = ['starting', 'active', 'stopped', 'expired', 'failed'] as const;
export type AvatarSessionStatus = (typeof AVATAR_SESSION_STATUSES)[number];

/** Statuses of a session that may still be running at the provider, and holds minutes. */
export const OPEN_SESSION_STATUSES: readonly AvatarSessionStatus[] = ['starting', 'active'];

/**
 * Why a session ended: `user` (stopped by its user), `admin` (stopped by an admin), `max_duration`
 * (its longest passed), `quota` (the user's minutes ran out), `idle` (keep-alives stopped),
 * `provider` (the provider ended it), `start_failed` (it never started), `abandoned` (left by a
 * process that died), `account_deleted` or `user_banned` (its user's account), `persona_gone`
 * (its persona was deleted or is no longer active).
 */
export const AVATAR_STOP_REASONS = [
  'user',
  'admin',
  'max_duration',
  'quota',
  'idle',
  'provider',
  'start_failed',
  'abandoned',
  'account_deleted',
  'user_banned',
  'persona_gone',
] as const;
export type AvatarStopReason = (typeof AVATAR_STOP_REASONS)[number];

/**
 * A streaming-avatar session: started, metered and stopped by the server. Its minutes are held in
 * the usage ledger from the moment it is asked for (`reserved_seconds`, keyed by its id) until it
 * ends, when the seconds it lasted are billed and the rest released, in the statement that ends it.
 */
@Entity({ name: 'avatar_sessions' })
@Check('avatar_sessions_status_check', `"status" IN ('starting', 'active', 'stopped', 'expired', 'failed')`)
@Index('avatar_sessions_user_idx', ['userId', 'createdAt'])
@Index('avatar_sessions_open_idx', ['status'], { where: `"status" IN ('starting', 'active')` })
@Index('avatar_sessions_provider_stop_idx', ['stoppedAt'], { where: `"provider_session_id" IS NOT NULL AND "provider_stopped_at" IS NULL AND "stopped_at" IS NOT NULL` })
export class AvatarSessionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /**
   * Whose minutes it spends; null once the account is deleted: the sweeper then ends the session
   * at once, unbilled (the ledger went with the account), and stops it at the provider.
   */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne('UserEntity', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ name: 'influencer_id', type: 'uuid' })
  influencerId!: string;

  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId!: string | null;

  /** The provider instance (by name) and its avatar. */
  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  @Column({ name: 'avatar_id', type: 'varchar', length: 100 })
  avatarId!: string;

  /** The provider's id of the session, once it has given one: what the server stops it by. */
  @Column({ name: 'provider_session_id', type: 'varchar', length: 200, nullable: true })
  providerSessionId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: AvatarSessionStatus;

  /** The longest the session may last: the deployment's maximum, or the user's minutes left when fewer. */
  @Column({ name: 'reserved_seconds', type: 'int' })
  reservedSeconds!: number;

  /** Whether `reserved_seconds` is what the user's minutes allowed (the session ends with reason `quota` rather than `max_duration`). */
  @Column({ name: 'limited_by_quota', type: 'boolean', default: false })
  limitedByQuota!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'last_keep_alive_at', type: 'timestamptz', nullable: true })
  lastKeepAliveAt!: Date | null;

  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true })
  stoppedAt!: Date | null;

  @Column({ name: 'stop_reason', type: 'varchar', length: 16, nullable: true })
  stopReason!: AvatarStopReason | null;

  /** Seconds billed when it ended (null while open). */
  @Column({ name: 'billed_seconds', type: 'int', nullable: true })
  billedSeconds!: number | null;

  /** When the provider confirmed the stop; null on an ended session: the sweeper asks again. */
  @Column({ name: 'provider_stopped_at', type: 'timestamptz', nullable: true })
  providerStoppedAt!: Date | null;
}

export const AVATAR_ENTITIES = [AvatarSessionEntity];
