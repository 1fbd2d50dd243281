import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const MODALITIES = ['chat', 'media', 'voice', 'avatar'] as const;
export type Modality = (typeof MODALITIES)[number];

/**
 * The ledger: one row per billable thing that happened, never updated. It is the truth the
 * counters are rebuilt from, and what admins aggregate.
 */
@Entity({ name: 'usage_events' })
@Index('usage_events_user_created_idx', ['userId', 'createdAt'])
@Index('usage_events_created_idx', ['createdAt'])
@Check('usage_events_modality_check', `"modality" IN ('chat', 'media', 'voice', 'avatar')`)
export class UsageEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ type: 'varchar', length: 16 })
  modality!: Modality;

  /** Units of the modality: messages for chat, bytes for media (one event per upload), seconds or characters for the others. */
  @Column({ type: 'bigint' })
  quantity!: string;

  @Column({ name: 'input_tokens', type: 'int', default: 0 })
  inputTokens!: number;

  @Column({ name: 'output_tokens', type: 'int', default: 0 })
  outputTokens!: number;

  @Column({ name: 'cached_input_tokens', type: 'int', default: 0 })
  cachedInputTokens!: number;

  @Column({ name: 'reasoning_tokens', type: 'int', default: 0 })
  reasoningTokens!: number;

  @Column({ name: 'cost_micros', type: 'bigint', default: 0 })
  costMicros!: string;

  @Column({ type: 'varchar', length: 32, nullable: true })
  provider!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  model!: string | null;

  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId!: string | null;

  @Column({ name: 'message_id', type: 'uuid', nullable: true })
  messageId!: string | null;

  /** A media event's upload (no foreign key: the ledger outlives what it counts). */
  @Column({ name: 'media_id', type: 'uuid', nullable: true })
  mediaId!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  /** Millisecond precision: the clock of the period it counts in, and list cursors, are JavaScript dates. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

/** Fast running totals per user, metric and period: what is used and what is reserved by replies in progress. */
@Entity({ name: 'usage_counters' })
export class UsageCounterEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  /** e.g. `chat.messages`, `media.uploads` (per day), `chat.tokens`, `chat.cost_micros`, `media.bytes` (per month). */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  metric!: string;

  @PrimaryColumn({ name: 'period_start', type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'bigint', default: 0 })
  used!: string;

  @Column({ type: 'bigint', default: 0 })
  reserved!: string;
}

/** An estimate held against the quota while a reply is generated (or an upload received); settled or, after a crash, expired. */
@Entity({ name: 'usage_reservations' })
@Index('usage_reservations_expires_idx', ['expiresAt'])
export class UsageReservationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  /** The reply it is held for (or a stateless request's own id, or an upload's media id). */
  @Index('usage_reservations_message_key', { unique: true })
  @Column({ name: 'message_id', type: 'uuid' })
  messageId!: string;

  /** What was reserved, per counter: `[{ metric, periodStart, amount }]`. */
  @Column({ type: 'jsonb' })
  holds!: Array<{ metric: string; periodStart: string; amount: number }>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}

/** Per-user limits laid over the plan's (admin overrides). */
@Entity({ name: 'quota_overrides' })
export class QuotaOverrideEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ type: 'jsonb' })
  limits!: Record<string, unknown>;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export const USAGE_ENTITIES = [UsageEventEntity, UsageCounterEntity, UsageReservationEntity, QuotaOverrideEntity];
