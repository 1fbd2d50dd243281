import {
  Check,
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

export const INFLUENCER_STATUSES = ['active', 'coming_soon', 'discontinued'] as const;
export type InfluencerStatus = (typeof INFLUENCER_STATUSES)[number];

/** Which models answer for a persona: a primary, then fallbacks in order. */
export interface ModelPolicyRecord {
  primary: { provider: string; model: string };
  fallbacks: Array<{ provider: string; model: string }>;
  temperature?: number;
  maxReplyTokens?: number;
}

/**
 * How strictly media sent to a persona is moderated: a category's score at or over its
 * threshold flags the file unless the category is allowed (an `nsfw` persona may allow `sexual`).
 * Unset parts take the deployment's defaults.
 */
export interface ModerationPolicyRecord {
  thresholds?: Record<string, number>;
  allowedCategories?: string[];
}

/**
 * How a persona speaks: a text-to-speech provider instance (by name) and one of its voices, with
 * the settings that provider takes (others are ignored). Unset parts take the provider's defaults.
 */
export interface PersonaVoiceRecord {
  provider?: string;
  voiceId?: string;
  /** 0.25 to 4 (OpenAI), 0.7 to 1.2 (ElevenLabs); espeak-ng scales its words per minute by it. */
  speed?: number;
  /** ElevenLabs: 0 to 1. */
  stability?: number;
  /** OpenAI gpt-4o-mini-tts: how to speak ("warm and slow"). */
  instructions?: string;
}

export const AVATAR_QUALITIES = ['low', 'medium', 'high', 'very_high'] as const;
export type AvatarQuality = (typeof AVATAR_QUALITIES)[number];

/**
 * A persona's live avatar: a streaming-avatar provider instance (by name; unset: AVATAR_DEFAULT),
 * the provider's avatar, the video quality and the language it speaks. Admins only: users see
 * only that the persona has one.
 */
export interface PersonaAvatarRecord {
  provider?: string;
  avatarId: string;
  quality?: AvatarQuality;
  /** BCP 47 language code (`en`, `fr`...). */
  language?: string;
}

@Entity({ name: 'influencers' })
@Check('influencers_status_check', `"status" IN ('active', 'coming_soon', 'discontinued')`)
export class InfluencerEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** URL-safe and unique, e.g. `nova`; personas are found by id or handle. */
  @Index('influencers_handle_key', { unique: true })
  @Column({ type: 'varchar', length: 40 })
  handle!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 80 })
  displayName!: string;

  @Column({ name: 'avatar_url', type: 'varchar', length: 2048, nullable: true })
  avatarUrl!: string | null;

  @Column({ type: 'text', default: '' })
  bio!: string;

  @Column({ type: 'varchar', length: 40 })
  category!: string;

  @Column({ type: 'jsonb', default: [] })
  traits!: string[];

  /** The current system prompt; every version is kept in influencer_prompts. */
  @Column({ name: 'system_prompt', type: 'text' })
  systemPrompt!: string;

  @Column({ name: 'prompt_version', type: 'int', default: 1 })
  promptVersion!: number;

  @Column({ type: 'text' })
  greeting!: string;

  @Column({ name: 'suggested_openers', type: 'jsonb', default: [] })
  suggestedOpeners!: string[];

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: InfluencerStatus;

  @Column({ type: 'boolean', default: false })
  nsfw!: boolean;

  @Column({ name: 'premium_only', type: 'boolean', default: false })
  premiumOnly!: boolean;

  @Column({ name: 'model_policy', type: 'jsonb' })
  modelPolicy!: ModelPolicyRecord;

  /** Null: the deployment's default moderation policy. */
  @Column({ name: 'moderation_policy', type: 'jsonb', nullable: true })
  moderationPolicy!: ModerationPolicyRecord | null;

  /** How the persona speaks (set by admins); null: the default text-to-speech provider's default voice. */
  @Column({ type: 'jsonb', nullable: true })
  voice!: PersonaVoiceRecord | null;

  /** The persona's live avatar (set by admins); null: none. */
  @Column({ type: 'jsonb', nullable: true })
  avatar!: PersonaAvatarRecord | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

/** Every version of a persona's system prompt; replies record the version they were generated with. */
@Entity({ name: 'influencer_prompts' })
@Unique('influencer_prompts_version_key', ['influencerId', 'version'])
export class InfluencerPromptEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'influencer_id', type: 'uuid' })
  influencerId!: string;

  @ManyToOne(() => InfluencerEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'influencer_id' })
  influencer?: InfluencerEntity;

  @Column({ type: 'int' })
  version!: number;

  @Column({ name: 'system_prompt', type: 'text' })
  systemPrompt!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const INFLUENCER_ENTITIES = [InfluencerEntity, InfluencerPromptEntity];
