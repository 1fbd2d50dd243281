import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Speech already synthesised, by what made it (provider, model, voice and settings, format and
 * text, hashed into `key`): a replay is read from the store and costs nothing. Clips unused for a
 * while are deleted by a job (their objects through the media garbage queue).
 */
@Entity({ name: 'speech_clips' })
@Index('speech_clips_used_idx', ['usedAt'])
export class SpeechClipEntity {
  /** SHA-256 (hex) of what made the clip. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key!: string;

  @Column({ name: 'storage_key', type: 'varchar', length: 512 })
  storageKey!: string;

  @Column({ name: 'content_type', type: 'varchar', length: 64 })
  contentType!: string;

  @Column({ type: 'int' })
  bytes!: number;

  /** The characters synthesised (what the clip was billed). */
  @Column({ type: 'int' })
  characters!: number;

  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Last served: what the expiry job goes by. */
  @Column({ name: 'used_at', type: 'timestamptz', default: () => 'now()' })
  usedAt!: Date;
}

export const VOICE_ENTITIES = [SpeechClipEntity];
