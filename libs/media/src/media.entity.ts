import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const MEDIA_STATUSES = ['pending', 'processing', 'ready', 'rejected'] as const;
/**
 * `pending` while a direct upload to the bucket is awaited (until `uploadExpiresAt`);
 * `processing` while it is checked, cleaned and moderated; `ready` to show; `rejected` (with why) never shown.
 */
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

export const MEDIA_PURPOSES = ['upload', 'profile', 'gallery'] as const;
/** A user's `upload` (e.g. to attach to a message); a persona's `profile` image or `gallery` item, uploaded by admins. */
export type MediaPurpose = (typeof MEDIA_PURPOSES)[number];

/** A moderation provider's verdict on an image, as kept with it. */
export interface MediaModeration {
  readonly provider: string;
  /** Whether the policy it was judged by (`policyOf`: a persona's, or the default) flags it. */
  readonly flagged: boolean;
  /** Every category the provider scored, 0 to 1. */
  readonly scores: Readonly<Record<string, number>>;
  /** The categories over the policy's thresholds. */
  readonly flaggedCategories: readonly string[];
  /** The persona whose policy judged it; null: the deployment's default. */
  readonly policyOf: string | null;
  /** An admin's review of a flagged item: `approved` makes it ready, `rejected` confirms. */
  readonly review?: { readonly decision: 'approved' | 'rejected'; readonly by: string; readonly at: string };
}

/** What a voice message's audio was transcribed to, and by which provider. */
export interface MediaTranscript {
  readonly text: string;
  readonly provider: string;
  readonly model: string;
}

/** A file a user (or an admin, for a persona) uploaded: its bytes are in the media store, under keys only the server chooses. */
@Entity({ name: 'media' })
@Index('media_owner_created_idx', ['ownerUserId', 'createdAt'])
@Index('media_influencer_idx', ['ownerInfluencerId', 'purpose'], { where: `"owner_influencer_id" IS NOT NULL` })
/** Direct uploads never completed: what the expiry job deletes. */
@Index('media_pending_idx', ['uploadExpiresAt'], { where: `"status" = 'pending'` })
/** Rejections, newest first: the admins' review queue. */
@Index('media_rejected_idx', ['updatedAt'], { where: `"status" = 'rejected'` })
@Check('media_owner_check', `("owner_user_id" IS NULL) <> ("owner_influencer_id" IS NULL)`)
@Check('media_purpose_check', `"purpose" IN ('upload', 'profile', 'gallery')`)
/** Media still processing: what a start looks for (to queue it again) without scanning every upload. */
@Index('media_processing_idx', ['createdAt'], { where: `"status" = 'processing'` })
@Check('media_status_check', `"status" IN ('pending', 'processing', 'ready', 'rejected')`)
export class MediaEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The user it belongs to (null for a persona's media). */
  @Column({ name: 'owner_user_id', type: 'uuid', nullable: true })
  ownerUserId!: string | null;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_user_id' })
  owner?: unknown;

  /** The persona it belongs to (null for a user's media). */
  @Column({ name: 'owner_influencer_id', type: 'uuid', nullable: true })
  ownerInfluencerId!: string | null;

  @ManyToOne('InfluencerEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_influencer_id' })
  ownerInfluencer?: unknown;

  @Column({ type: 'varchar', length: 16, default: 'upload' })
  purpose!: MediaPurpose;

  /** A gallery item's tags, which the `send_media` tool picks by (lower case). */
  @Column({ type: 'jsonb', default: [] })
  tags!: string[];

  @Column({ type: 'text', nullable: true })
  caption!: string | null;

  /** A gallery item only plans with premium personas receive. */
  @Column({ name: 'premium_only', type: 'boolean', default: false })
  premiumOnly!: boolean;

  /** The persona an upload is meant for (given at upload): its moderation policy judges the file. Null: the default policy. */
  @Column({ name: 'policy_influencer_id', type: 'uuid', nullable: true })
  policyInfluencerId!: string | null;

  @ManyToOne('InfluencerEntity', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'policy_influencer_id' })
  policyInfluencer?: unknown;

  @Column({ type: 'jsonb', nullable: true })
  moderation!: MediaModeration | null;

  /** A pending direct upload's deadline: after it, the record and whatever was uploaded are deleted. */
  @Column({ name: 'upload_expires_at', type: 'timestamptz', nullable: true })
  uploadExpiresAt!: Date | null;

  @Column({ type: 'varchar', length: 16 })
  status!: MediaStatus;

  /** The type its bytes say it is (after cleaning), never the client's claim. */
  @Column({ name: 'content_type', type: 'varchar', length: 64, nullable: true })
  contentType!: string | null;

  /** The client's file name, sanitised: for display only. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  filename!: string | null;

  @Column({ type: 'bigint', nullable: true })
  bytes!: string | null;

  @Column({ type: 'int', nullable: true })
  width!: number | null;

  @Column({ type: 'int', nullable: true })
  height!: number | null;

  /** Audio: its length, measured from its bytes (never the client's claim). */
  @Column({ name: 'duration_ms', type: 'int', nullable: true })
  durationMs!: number | null;

  /** Audio sent as a voice message: what it was transcribed to, kept so that a retry is neither transcribed nor billed again. */
  @Column({ type: 'jsonb', nullable: true })
  transcript!: MediaTranscript | null;

  /** SHA-256 of the cleaned bytes, hex. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  checksum!: string | null;

  /** Where its bytes are: the upload as received while processing, the cleaned file once ready. */
  @Column({ name: 'storage_key', type: 'varchar', length: 512 })
  storageKey!: string;

  @Column({ name: 'thumbnail_key', type: 'varchar', length: 512, nullable: true })
  thumbnailKey!: string | null;

  @Column({ name: 'rejection_code', type: 'varchar', length: 64, nullable: true })
  rejectionCode!: string | null;

  @Column({ name: 'rejection_detail', type: 'text', nullable: true })
  rejectionDetail!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * Media sent with a message: a user's uploads on their message (each upload on one message
 * only, deleted with it), or a persona's gallery items on its reply (sent by `send_media`).
 */
@Entity({ name: 'message_attachments' })
@Index('message_attachments_media_idx', ['mediaId'])
/** An upload is attached once: deleting its message deletes it, so it cannot belong to another. */
@Index('message_attachments_upload_key', ['mediaId'], { unique: true, where: `"source" = 'user'` })
@Check('message_attachments_source_check', `"source" IN ('user', 'persona')`)
export class MessageAttachmentEntity {
  @PrimaryColumn({ name: 'message_id', type: 'uuid' })
  messageId!: string;

  @ManyToOne('MessageEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: unknown;

  @PrimaryColumn({ type: 'smallint' })
  position!: number;

  @Column({ name: 'media_id', type: 'uuid' })
  mediaId!: string;

  @ManyToOne(() => MediaEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'media_id' })
  media?: MediaEntity;

  @Column({ type: 'varchar', length: 16 })
  source!: 'user' | 'persona';
}

/**
 * Objects whose media record is gone, to delete from the store. A trigger on `media` queues
 * them whatever deleted the record (the user, a cascade from their message, conversation or
 * account, an expired upload), so no object is orphaned; a job deletes them and retries failures.
 */
@Entity({ name: 'media_garbage' })
@Index('media_garbage_due_idx', ['dueAt'])
export class MediaGarbageEntity {
  @PrimaryColumn({ name: 'storage_key', type: 'varchar', length: 512 })
  storageKey!: string;

  @Column({ name: 'due_at', type: 'timestamptz', default: () => 'now()' })
  dueAt!: Date;

  @Column({ type: 'int', default: 0 })
  attempts!: number;
}

export const MEDIA_ENTITIES = [MediaEntity, MessageAttachmentEntity, MediaGarbageEntity];
