import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { InjectConfig, ProblemException, decodeCursor, toCursorPage, type AppConfig, type CursorPage } from '#chorus/core';
import { ProviderRegistry } from '#chorus/providers';
import { InfluencerPromptsRepository } from './influencer-prompts.repository.js';
import type { InfluencerEntity, InfluencerStatus, ModelPolicyRecord, ModerationPolicyRecord, PersonaAvatarRecord, PersonaVoiceRecord } from './influencer.entity.js';
import { InfluencerProblems } from './influencers.errors.js';
import { InfluencersRepository, type CataloguePosition, type InfluencerChanges } from './influencers.repository.js';

/** A persona as services see it; the controller decides what a caller may see of it. */
export type InfluencerView = Omit<InfluencerEntity, 'deletedAt'>;

export interface InfluencerInput {
  handle: string;
  displayName: string;
  avatarUrl?: string;
  bio?: string;
  category: string;
  traits?: string[];
  systemPrompt: string;
  greeting: string;
  suggestedOpeners?: string[];
  status?: InfluencerStatus;
  nsfw?: boolean;
  premiumOnly?: boolean;
  modelPolicy?: ModelPolicyRecord;
  /** Null: the deployment's default. */
  moderationPolicy?: ModerationPolicyRecord | null;
  /** Null: the default provider's default voice. */
  voice?: PersonaVoiceRecord | null;
  /** Null: no live avatar. */
  avatar?: PersonaAvatarRecord | null;
}

export interface ListQuery {
  limit: number;
  cursor?: string;
  search?: string;
  category?: string;
  status?: InfluencerStatus;
}

const UNIQUE_VIOLATION = '23505';
/** The window `GET /influencers/trending` counts activity over. */
const TRENDING_WINDOW_DAYS = 7;
/** The catalogue's sort key, as its cursors hold it: `{ name: lower(display name), id }`. */
const CATALOGUE_CURSOR = { name: 'text', id: 'uuid' } as const;

@Injectable()
export class InfluencersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly influencers: InfluencersRepository,
    private readonly prompts: InfluencerPromptsRepository,
    private readonly providers: ProviderRegistry,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** The catalogue, by name; non-admins see only active personas. */
  async list(query: ListQuery, forAdmin: boolean): Promise<CursorPage<InfluencerView>> {
    const rows = await this.influencers.listPage(
      { activeOnly: !forAdmin, status: query.status, category: query.category, search: query.search },
      query.cursor ? cataloguePosition(query.cursor) : undefined,
      query.limit + 1,
    );
    return toCursorPage(rows, query.limit, (row) => ({ name: row.displayName.toLowerCase(), id: row.id }), toView);
  }

  /** A persona by id or handle; inactive ones are not found for non-admins. */
  async get(idOrHandle: string, forAdmin: boolean): Promise<InfluencerView> {
    const influencer = isUUID(idOrHandle) ? await this.influencers.findById(idOrHandle) : await this.influencers.findByHandle(idOrHandle.toLowerCase());
    if (!influencer || (!forAdmin && influencer.status !== 'active')) {
      throw new ProblemException(InfluencerProblems.notFound, 'No such persona.');
    }
    return toView(influencer);
  }

  /** Active personas with the most user messages over the last week. */
  async trending(limit: number): Promise<InfluencerView[]> {
    const ids = await this.influencers.trendingIds(TRENDING_WINDOW_DAYS, limit);
    if (ids.length === 0) return [];
    const byId = new Map((await this.influencers.findByIds(ids)).map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [toView(row)] : [];
    });
  }

  /** Creates a persona with version 1 of its system prompt. */
  async create(input: InfluencerInput): Promise<InfluencerView> {
    return this.createIn(this.dataSource.manager, input);
  }

  /**
   * Creates the given personas when the catalogue has never held any (deleted ones count), in
   * one transaction; answers whether it did. Concurrent processes seed once between them.
   */
  async seedIfNeverFilled(personas: readonly InfluencerInput[]): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await this.influencers.lockSeeding(manager);
      if (await this.influencers.anyEver(manager)) return false;
      for (const persona of personas) await this.createIn(manager, persona);
      return true;
    });
  }

  /** Updates a persona; a changed system prompt becomes a new version (the old ones stay). */
  async update(id: string, changes: Partial<InfluencerInput>): Promise<InfluencerView> {
    const modelPolicy = changes.modelPolicy ? this.checkedPolicy(changes.modelPolicy) : undefined;
    return this.translateUniqueViolation(() =>
      this.dataSource.transaction(async (manager) => {
        const current = await this.influencers.findByIdForUpdate(id, manager);
        if (!current) throw new ProblemException(InfluencerProblems.notFound, 'No such persona.');
        const update: InfluencerChanges = { ...changes };
        if (modelPolicy) update.modelPolicy = modelPolicy;
        if (changes.moderationPolicy !== undefined) update.moderationPolicy = moderationPolicyRecord(changes.moderationPolicy);
        if (changes.voice !== undefined) update.voice = this.checkedVoice(changes.voice);
        if (changes.avatar !== undefined) update.avatar = this.checkedAvatar(changes.avatar);
        if (changes.systemPrompt !== undefined && changes.systemPrompt !== current.systemPrompt) {
          update.promptVersion = current.promptVersion + 1;
          await this.prompts.insertVersion(id, update.promptVersion, changes.systemPrompt, manager);
        }
        await this.influencers.update(id, update, manager);
        const updated = await this.influencers.findById(id, manager);
        if (!updated) throw new ProblemException(InfluencerProblems.notFound, 'No such persona.');
        return toView(updated);
      }),
    );
  }

  /** Soft delete: the persona disappears from the catalogue; existing conversations keep their history. */
  async remove(id: string): Promise<void> {
    if (!(await this.influencers.softDelete(id))) throw new ProblemException(InfluencerProblems.notFound, 'No such persona.');
  }

  /** The persona and version 1 of its prompt, together, in `manager`'s transaction or a new one. */
  private async createIn(manager: EntityManager, input: InfluencerInput): Promise<InfluencerView> {
    const modelPolicy = this.checkedPolicy(input.modelPolicy);
    return this.translateUniqueViolation(() =>
      manager.transaction(async (transaction) => {
        const saved = await this.influencers.insert(
          {
            ...input,
            avatarUrl: input.avatarUrl ?? null,
            bio: input.bio ?? '',
            traits: input.traits ?? [],
            suggestedOpeners: input.suggestedOpeners ?? [],
            voice: this.checkedVoice(input.voice),
            avatar: this.checkedAvatar(input.avatar),
            modelPolicy,
            moderationPolicy: moderationPolicyRecord(input.moderationPolicy),
            promptVersion: 1,
          },
          transaction,
        );
        await this.prompts.insertVersion(saved.id, 1, input.systemPrompt, transaction);
        return toView(saved);
      }),
    );
  }

  /** The avatar as given, its provider a configured streaming-avatar instance (400 `unknown_avatar_provider` otherwise); null when unset. */
  private checkedAvatar(avatar: PersonaAvatarRecord | null | undefined): PersonaAvatarRecord | null {
    if (!avatar) return null;
    const { provider, avatarId, quality, language } = avatar;
    if (provider != null && !this.config.avatar.providers.some((instance) => instance.name === provider)) {
      throw new ProblemException(InfluencerProblems.unknownAvatarProvider, `${provider} is not a configured streaming-avatar provider.`, {
        errors: [{ field: 'avatar.provider', message: `${provider} is not a configured streaming-avatar provider` }],
      });
    }
    // A null setting is an unset one: the provider's default at the start of a session.
    return Object.fromEntries(Object.entries({ provider, avatarId, quality, language }).filter(([, value]) => value != null)) as unknown as PersonaAvatarRecord;
  }

  /** The voice as given, its provider a configured text-to-speech instance (400 `unknown_voice_provider` otherwise); null when unset. */
  private checkedVoice(voice: PersonaVoiceRecord | null | undefined): PersonaVoiceRecord | null {
    if (!voice) return null;
    const { provider, voiceId, speed, stability, instructions } = voice;
    if (provider !== undefined && !this.config.voice.tts.some((instance) => instance.name === provider)) {
      throw new ProblemException(InfluencerProblems.unknownVoiceProvider, `${provider} is not a configured text-to-speech provider.`, {
        errors: [{ field: 'voice.provider', message: `${provider} is not a configured text-to-speech provider` }],
      });
    }
    // Only what was given is kept: a later change of the deployment's defaults applies to the rest.
    const record = Object.fromEntries(Object.entries({ provider, voiceId, speed, stability, instructions }).filter(([, value]) => value !== undefined));
    return Object.keys(record).length > 0 ? record : null;
  }

  /** The policy as given (every model must be configured), or the default model with no fallbacks. */
  private checkedPolicy(policy: ModelPolicyRecord | undefined): ModelPolicyRecord {
    const checked: ModelPolicyRecord = policy ?? { primary: this.providers.defaultModel, fallbacks: [] };
    for (const ref of [checked.primary, ...checked.fallbacks]) {
      if (!this.providers.model(ref)) {
        throw new ProblemException(InfluencerProblems.unknownModel, `${ref.provider}/${ref.model} is not a configured model.`, {
          errors: [{ field: 'modelPolicy', message: `${ref.provider}/${ref.model} is not a configured model` }],
        });
      }
    }
    return { primary: { ...checked.primary }, fallbacks: checked.fallbacks.map((ref) => ({ ...ref })), temperature: checked.temperature, maxReplyTokens: checked.maxReplyTokens };
  }

  private async translateUniqueViolation<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ProblemException(InfluencerProblems.handleTaken, 'Another persona already uses this handle.');
      }
      throw error;
    }
  }
}

/** A client's catalogue cursor (400 `invalid_cursor` when it is not one). */
function cataloguePosition(cursor: string): CataloguePosition {
  const position = decodeCursor(cursor, CATALOGUE_CURSOR);
  return { name: String(position['name']), id: String(position['id']) };
}

/** A moderation policy as stored: what it sets, category names in lower case; null when it sets nothing (the default). */
function moderationPolicyRecord(policy: ModerationPolicyRecord | null | undefined): ModerationPolicyRecord | null {
  const record: ModerationPolicyRecord = {};
  const thresholds = Object.entries(policy?.thresholds ?? {});
  if (thresholds.length > 0) record.thresholds = Object.fromEntries(thresholds.map(([category, threshold]) => [category.trim().toLowerCase(), threshold]));
  const allowed = [...new Set((policy?.allowedCategories ?? []).map((category) => category.trim().toLowerCase()))];
  if (allowed.length > 0) record.allowedCategories = allowed;
  return Object.keys(record).length > 0 ? record : null;
}

function toView(entity: InfluencerEntity): InfluencerView {
  const { deletedAt: _deletedAt, ...view } = entity;
  return view;
}
