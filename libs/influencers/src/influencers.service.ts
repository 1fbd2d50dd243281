import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { DataSource, In, QueryFailedError, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { ProblemException, decodeCursor, toCursorPage, type CursorPage } from '#chorus/core';
import { ProviderRegistry } from '#chorus/providers';
import { InfluencerEntity, InfluencerPromptEntity, type InfluencerStatus, type ModelPolicyRecord } from './influencer.entity.js';
import { InfluencerProblems } from './influencers.errors.js';

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
  voiceId?: string;
  avatarId?: string;
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

@Injectable()
export class InfluencersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderRegistry,
  ) {}

  /** The catalogue, by name; non-admins see only active personas. */
  async list(query: ListQuery, forAdmin: boolean): Promise<CursorPage<InfluencerView>> {
    const builder = this.dataSource
      .getRepository(InfluencerEntity)
      .createQueryBuilder('i')
      .orderBy('lower(i.display_name)', 'ASC')
      .addOrderBy('i.id', 'ASC')
      .limit(query.limit + 1);
    if (!forAdmin) builder.andWhere(`i.status = 'active'`);
    else if (query.status) builder.andWhere('i.status = :status', { status: query.status });
    if (query.category) builder.andWhere('i.category = :category', { category: query.category });
    if (query.search) {
      builder.andWhere(`(i.display_name ILIKE :pattern ESCAPE '\\' OR i.handle ILIKE :pattern ESCAPE '\\')`, {
        pattern: `%${query.search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`,
      });
    }
    if (query.cursor) {
      const position = decodeCursor(query.cursor, ['name', 'id']);
      builder.andWhere('(lower(i.display_name), i.id) > (:name, :id::uuid)', position);
    }
    const rows = await builder.getMany();
    return toCursorPage(rows, query.limit, (row) => ({ name: row.displayName.toLowerCase(), id: row.id }), toView);
  }

  /** A persona by id or handle; inactive ones are not found for non-admins. */
  async get(idOrHandle: string, forAdmin: boolean): Promise<InfluencerView> {
    const where = isUUID(idOrHandle) ? { id: idOrHandle } : { handle: idOrHandle.toLowerCase() };
    const influencer = await this.dataSource.getRepository(InfluencerEntity).findOne({ where });
    if (!influencer || (!forAdmin && influencer.status !== 'active')) {
      throw new ProblemException(InfluencerProblems.notFound, 'No such persona.');
    }
    return toView(influencer);
  }

  /** Active personas with the most user messages over the last week. */
  async trending(limit: number): Promise<InfluencerView[]> {
    const ids: Array<{ id: string }> = await this.dataSource.query(
      `SELECT i.id
         FROM influencers i
         JOIN conversations c ON c.influencer_id = i.id
         JOIN messages m ON m.conversation_id = c.id AND m.role = 'user'
              AND m.created_at > now() - make_interval(days => $1)
        WHERE i.status = 'active' AND i.deleted_at IS NULL
        GROUP BY i.id
        ORDER BY count(*) DESC, i.id
        LIMIT $2`,
      [TRENDING_WINDOW_DAYS, limit],
    );
    if (ids.length === 0) return [];
    const rows = await this.dataSource.getRepository(InfluencerEntity).findBy({ id: In(ids.map((row) => row.id)) });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap(({ id }) => (byId.has(id) ? [toView(byId.get(id)!)] : []));
  }

  /** Creates a persona with version 1 of its system prompt. */
  async create(input: InfluencerInput, manager: EntityManager = this.dataSource.manager): Promise<InfluencerView> {
    const modelPolicy = this.checkedPolicy(input.modelPolicy);
    return this.translateUniqueViolation(() =>
      manager.transaction(async (transaction) => {
        const saved = await transaction.getRepository(InfluencerEntity).save({
          ...input,
          avatarUrl: input.avatarUrl ?? null,
          bio: input.bio ?? '',
          traits: input.traits ?? [],
          suggestedOpeners: input.suggestedOpeners ?? [],
          voiceId: input.voiceId ?? null,
          avatarId: input.avatarId ?? null,
          modelPolicy,
          promptVersion: 1,
        });
        await transaction.getRepository(InfluencerPromptEntity).insert({ influencerId: saved.id, version: 1, systemPrompt: input.systemPrompt });
        return toView(saved);
      }),
    );
  }

  /** Updates a persona; a changed system prompt becomes a new version (the old ones stay). */
  async update(id: string, changes: Partial<InfluencerInput>): Promise<InfluencerView> {
    const modelPolicy = changes.modelPolicy ? this.checkedPolicy(changes.modelPolicy) : undefined;
    return this.translateUniqueViolation(() =>
      this.dataSource.transaction(async (manager) => {
        const repository = manager.getRepository(InfluencerEntity);
        const current = await repository.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
        if (!current) throw new ProblemException(InfluencerProblems.notFound, 'No such persona.');
        const update = { ...changes } as QueryDeepPartialEntity<InfluencerEntity>;
        if (modelPolicy) update.modelPolicy = modelPolicy as QueryDeepPartialEntity<ModelPolicyRecord>;
        if (changes.systemPrompt !== undefined && changes.systemPrompt !== current.systemPrompt) {
          update.promptVersion = current.promptVersion + 1;
          await manager.getRepository(InfluencerPromptEntity).insert({ influencerId: id, version: current.promptVersion + 1, systemPrompt: changes.systemPrompt });
        }
        await repository.update(id, update);
        return toView((await repository.findOneOrFail({ where: { id } })));
      }),
    );
  }

  /** Soft delete: the persona disappears from the catalogue; existing conversations keep their history. */
  async remove(id: string): Promise<void> {
    const result = await this.dataSource.getRepository(InfluencerEntity).softDelete({ id });
    if (!result.affected) throw new ProblemException(InfluencerProblems.notFound, 'No such persona.');
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

function toView(entity: InfluencerEntity): InfluencerView {
  const { deletedAt: _deletedAt, ...view } = entity;
  return view;
}
