import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const MEDIA_STATUSES = ['processing', 'ready', 'rejected'] as const;
/** `processing` while it is checked and cleaned; `ready` to show; `rejected` (with why) never shown. */
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

/** A file a user uploaded: its bytes are in the media store, under keys only the server chooses. */
@Entity({ name: 'media' })
@Index('media_owner_created_idx', ['ownerUserId', 'createdAt'])
/** Media still processing: what a start looks for (to queue it again) without scanning every upload. */
@Index('media_processing_idx', ['createdAt'], { where: `"status" = 'processing'` })
@Check('media_status_check', `"status" IN ('processing', 'ready', 'rejected')`)
export class MediaEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_user_id', type: 'uuid' })
  ownerUserId!: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_user_id' })
  owner?: unknown;

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

export const MEDIA_ENTITIES = [MediaEntity];
