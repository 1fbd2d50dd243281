import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  NotEquals,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { CursorPageQueryDto } from '#chorus/core';
import { AVATAR_QUALITIES, INFLUENCER_STATUSES, type AvatarQuality, type InfluencerStatus } from '../influencer.entity.js';
import type { InfluencerView } from '../influencers.service.js';

export class ModelRefDto {
  @ApiProperty({ example: 'openai' })
  @IsString()
  @Length(1, 32)
  provider!: string;

  @ApiProperty({ example: 'gpt-4o-mini' })
  @IsString()
  @Length(1, 100)
  model!: string;
}

export class ModelPolicyDto {
  @ApiProperty({ type: ModelRefDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ModelRefDto)
  primary!: ModelRefDto;

  @ApiProperty({ type: [ModelRefDto], description: 'Tried in order when the primary fails before its first token.' })
  @IsArray()
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  @Type(() => ModelRefDto)
  fallbacks!: ModelRefDto[];

  @ApiPropertyOptional({ minimum: 0, maximum: 2, example: 0.8 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 32000, example: 512 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(32_000)
  maxReplyTokens?: number;
}

/** Category names are at most this long (OpenAI's and Rekognition's are far shorter). */
const CATEGORY_MAX_LENGTH = 64;
/** Categories a policy may name: more than any provider scores. */
const POLICY_MAX_CATEGORIES = 50;

/** A map of category names (non-blank) to thresholds from 0 to 1. */
function IsCategoryThresholds(): PropertyDecorator {
  return ValidateBy({
    name: 'isCategoryThresholds',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= POLICY_MAX_CATEGORIES &&
        Object.entries(value).every(
          ([category, threshold]) => category.trim().length > 0 && category.length <= CATEGORY_MAX_LENGTH && typeof threshold === 'number' && threshold >= 0 && threshold <= 1,
        ),
      defaultMessage: () => `$property must map at most ${POLICY_MAX_CATEGORIES} category names (1-${CATEGORY_MAX_LENGTH} characters) to numbers from 0 to 1`,
    },
  });
}

export class ModerationPolicyDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number', minimum: 0, maximum: 1 },
    example: { violence: 0.8 },
    description: "A category's score at or over its threshold flags a file; categories not listed use MODERATION_THRESHOLD_PERCENT.",
  })
  @IsOptional()
  @IsCategoryThresholds()
  thresholds?: Record<string, number>;

  @ApiPropertyOptional({
    type: [String],
    example: ['sexual'],
    description: 'Categories never flagged for this persona (an `nsfw` persona may allow `sexual`). `sexual/minors` cannot be allowed or loosened.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(POLICY_MAX_CATEGORIES)
  @IsString({ each: true })
  @Matches(/\S/, { each: true, message: 'each category in allowedCategories must not be blank' })
  @MaxLength(CATEGORY_MAX_LENGTH, { each: true })
  allowedCategories?: string[];
}

/** How a persona speaks; what a provider does not take is ignored (OpenAI has no stability, espeak-ng no instructions). */
export class PersonaVoiceDto {
  @ApiPropertyOptional({ example: 'espeak-ng', description: 'A text-to-speech provider instance (GET /voices lists them). Omitted: TTS_DEFAULT.' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  provider?: string;

  @ApiPropertyOptional({ example: 'en-us+f3', description: "One of the provider's voices. Omitted: the provider's default voice." })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  voiceId?: string;

  @ApiPropertyOptional({ minimum: 0.25, maximum: 4, example: 1, description: '1 is normal speed.' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.25)
  @Max(4)
  speed?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, example: 0.5, description: 'ElevenLabs: how steady the voice is.' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  stability?: number;

  @ApiPropertyOptional({ maxLength: 500, example: 'Warm and unhurried.', description: 'OpenAI gpt-4o-mini-tts: how to speak.' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  instructions?: string;
}

/** A persona's live avatar (admins only). */
export class PersonaAvatarDto {
  @ApiPropertyOptional({ example: 'simulated', description: 'A streaming-avatar provider instance (`simulated`, or `liveavatar` when configured). Omitted: AVATAR_DEFAULT.' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  provider?: string;

  @ApiProperty({ example: 'dd73ea75-1218-4ef3-92ce-606d5f7fbc0a', description: "The provider's avatar (LiveAvatar: an avatar's id from GET /v1/avatars/public)." })
  @IsString()
  @Length(1, 100)
  @Matches(/^[A-Za-z0-9_.:-]+$/, { message: 'avatarId must be letters, digits, dots, dashes, underscores or colons' })
  avatarId!: string;

  @ApiPropertyOptional({ enum: AVATAR_QUALITIES, enumName: 'AvatarQuality', default: 'high' })
  @IsOptional()
  @IsIn(AVATAR_QUALITIES)
  quality?: AvatarQuality;

  @ApiPropertyOptional({ example: 'en', description: 'The language the avatar speaks (BCP 47). Omitted: `en`.' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { message: 'language must be a BCP 47 code such as en or pt-BR' })
  language?: string;
}

export class CreateInfluencerDto {
  @ApiProperty({ example: 'nova', description: 'Lowercase letters, digits and dashes; unique.' })
  @Matches(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, { message: 'handle must be 1-40 lowercase letters, digits or dashes' })
  @NotEquals('trending', { message: 'handle "trending" is reserved' })
  handle!: string;

  @ApiProperty({ example: 'Nova' })
  @IsString()
  @Length(1, 80)
  displayName!: string;

  @ApiPropertyOptional({ example: 'https://cdn.example.com/nova.png' })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2048)
  avatarUrl?: string;

  @ApiPropertyOptional({ example: 'Astronomer and night-sky guide.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  bio?: string;

  @ApiProperty({ example: 'science' })
  @IsString()
  @Length(1, 40)
  category!: string;

  @ApiPropertyOptional({ type: [String], example: ['curious', 'patient'] })
  @IsOptional()
  @IsString({ each: true })
  @ArrayMaxSize(20)
  @MaxLength(40, { each: true })
  traits?: string[];

  @ApiProperty({ description: 'Instructions for the model; admins only. Editing it creates a new version.' })
  @IsString()
  @Length(1, 20_000)
  systemPrompt!: string;

  @ApiProperty({ example: 'Hi! Want to find Saturn tonight?' })
  @IsString()
  @Length(1, 2000)
  greeting!: string;

  @ApiPropertyOptional({ type: [String], example: ['What can I see tonight?'] })
  @IsOptional()
  @IsString({ each: true })
  @ArrayMaxSize(10)
  @MaxLength(200, { each: true })
  suggestedOpeners?: string[];

  @ApiPropertyOptional({ enum: INFLUENCER_STATUSES, enumName: 'InfluencerStatus', default: 'active' })
  @IsOptional()
  @IsIn(INFLUENCER_STATUSES)
  status?: InfluencerStatus;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  nsfw?: boolean;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  premiumOnly?: boolean;

  @ApiPropertyOptional({ type: ModelPolicyDto, description: 'Defaults to DEFAULT_MODEL with no fallbacks.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ModelPolicyDto)
  modelPolicy?: ModelPolicyDto;

  @ApiPropertyOptional({
    type: ModerationPolicyDto,
    nullable: true,
    description:
      'How strictly media sent to this persona is moderated. Category names are lower case (`sexual`, `violence`, `self-harm`...; ' +
      "names given are lower-cased). Null or omitted: the deployment's default.",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ModerationPolicyDto)
  moderationPolicy?: ModerationPolicyDto | null;

  @ApiPropertyOptional({ type: PersonaVoiceDto, nullable: true, description: "How the persona speaks its replies. Null or omitted: TTS_DEFAULT's default voice." })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PersonaVoiceDto)
  voice?: PersonaVoiceDto | null;

  @ApiPropertyOptional({ type: PersonaAvatarDto, nullable: true, description: 'The persona\'s live avatar (POST /avatar/sessions). Null or omitted: none.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PersonaAvatarDto)
  avatar?: PersonaAvatarDto | null;
}

export class UpdateInfluencerDto extends PartialType(CreateInfluencerDto) {}

export class ListInfluencersQueryDto extends CursorPageQueryDto {
  @ApiPropertyOptional({ description: 'Matches part of the name or handle.', example: 'nov' })
  @IsOptional()
  @IsString()
  @MaxLength(80)
  search?: string;

  @ApiPropertyOptional({ example: 'science' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  category?: string;

  @ApiPropertyOptional({ enum: INFLUENCER_STATUSES, enumName: 'InfluencerStatus', description: 'Admins only; others always see active personas.' })
  @IsOptional()
  @IsIn(INFLUENCER_STATUSES)
  status?: InfluencerStatus;
}

export class InfluencerDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'nova' })
  handle!: string;

  @ApiProperty({ example: 'Nova' })
  displayName!: string;

  @ApiProperty({ type: String, nullable: true })
  avatarUrl!: string | null;

  @ApiProperty()
  bio!: string;

  @ApiProperty({ example: 'science' })
  category!: string;

  @ApiProperty({ type: [String] })
  traits!: string[];

  @ApiProperty()
  greeting!: string;

  @ApiProperty({ type: [String] })
  suggestedOpeners!: string[];

  @ApiProperty({ enum: INFLUENCER_STATUSES, enumName: 'InfluencerStatus' })
  status!: InfluencerStatus;

  @ApiProperty()
  nsfw!: boolean;

  @ApiProperty()
  premiumOnly!: boolean;

  @ApiProperty({ type: PersonaVoiceDto, nullable: true, description: "Null: the default provider's default voice." })
  voice!: PersonaVoiceDto | null;

  @ApiProperty({ description: 'Whether the persona has a live avatar (POST /avatar/sessions starts a session with it).' })
  hasLiveAvatar!: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;

  @ApiPropertyOptional({ description: 'Admins only.' })
  systemPrompt?: string;

  @ApiPropertyOptional({ description: 'Admins only: the version of the current system prompt.' })
  promptVersion?: number;

  @ApiPropertyOptional({ type: ModelPolicyDto, description: 'Admins only.' })
  modelPolicy?: ModelPolicyDto;

  @ApiPropertyOptional({ type: ModerationPolicyDto, nullable: true, description: "Admins only; null: the deployment's default." })
  moderationPolicy?: ModerationPolicyDto | null;

  @ApiPropertyOptional({ type: PersonaAvatarDto, nullable: true, description: 'Admins only; null: no live avatar.' })
  avatar?: PersonaAvatarDto | null;
}

/** Non-admins never see the system prompt, the model policy or the moderation policy. */
export function toInfluencerDto(influencer: InfluencerView, forAdmin: boolean): InfluencerDto {
  const dto: InfluencerDto = {
    id: influencer.id,
    handle: influencer.handle,
    displayName: influencer.displayName,
    avatarUrl: influencer.avatarUrl,
    bio: influencer.bio,
    category: influencer.category,
    traits: influencer.traits,
    greeting: influencer.greeting,
    suggestedOpeners: influencer.suggestedOpeners,
    status: influencer.status,
    nsfw: influencer.nsfw,
    premiumOnly: influencer.premiumOnly,
    voice: influencer.voice,
    hasLiveAvatar: influencer.avatar !== null,
    createdAt: influencer.createdAt,
    updatedAt: influencer.updatedAt,
  };
  if (forAdmin) {
    dto.systemPrompt = influencer.systemPrompt;
    dto.promptVersion = influencer.promptVersion;
    dto.modelPolicy = influencer.modelPolicy;
    dto.moderationPolicy = influencer.moderationPolicy;
    dto.avatar = influencer.avatar;
  }
  return dto;
}
