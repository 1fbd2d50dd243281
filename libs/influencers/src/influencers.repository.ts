import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { InfluencerEntity, type InfluencerStatus } from './influencer.entity.js';

/** Which personas a catalogue page holds. */
export interface CatalogueFilter {
  /** Only `active` personas (what non-admins see); `status` is then ignored. */
  activeOnly: boolean;
  status?: InfluencerStatus;
  category?: string;
  /** Matched, as a substring and case-insensitively, against display name and handle. */
  search?: string;
}

/** Where a catalogue page starts: after the persona with this lower-cased display name and id. */
export interface CataloguePosition {
  name: string;
  id: string;
}

/** The columns a persona is created with; the database fills id, timestamps and other defaults. */
export type NewInfluencer = Omit<InfluencerEntity, 'id' | 'createdAt' | 'updatedAt' | 'deletedAt' | 'status' | 'nsfw' | 'premiumOnly' | 'moderationPolicy'> &
  Partial<Pick<InfluencerEntity, 'status' | 'nsfw' | 'premiumOnly' | 'moderationPolicy'>>;

/** The columns an update may change. */
export type InfluencerChanges = Partial<Omit<InfluencerEntity, 'id' | 'createdAt' | 'updatedAt' | 'deletedAt'>>;

/** Queries on `influencers`. Soft-deleted personas are never found, except where a method says so. */
@Injectable()
export class InfluencersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Personas of the catalogue by lower-cased display name, then id, after `after`; at most `take` of them. */
  listPage(filter: CatalogueFilter, after: CataloguePosition | undefined, take: number): Promise<InfluencerEntity[]> {
    const builder = this.table()
      .createQueryBuilder('i')
      .orderBy('lower(i.display_name)', 'ASC')
      .addOrderBy('i.id', 'ASC')
      .limit(take);
    if (filter.activeOnly) builder.andWhere(`i.status = 'active'`);
    else if (filter.status) builder.andWhere('i.status = :status', { status: filter.status });
    if (filter.category) builder.andWhere('i.category = :category', { category: filter.category });
    if (filter.search) {
      builder.andWhere(`(i.display_name ILIKE :pattern ESCAPE '\\' OR i.handle ILIKE :pattern ESCAPE '\\')`, {
        pattern: `%${filter.search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`,
      });
    }
    if (after) builder.andWhere('(lower(i.display_name), i.id) > (:name, :id::uuid)', { name: after.name, id: after.id });
    return builder.getMany();
  }

  findById(id: string, manager?: EntityManager): Promise<InfluencerEntity | null> {
    return this.table(manager).findOne({ where: { id } });
  }

  /** `handle` as stored, i.e. lower-case. */
  findByHandle(handle: string): Promise<InfluencerEntity | null> {
    return this.table().findOne({ where: { handle } });
  }

  /** The persona, its row locked until `manager`'s transaction ends. */
  findByIdForUpdate(id: string, manager: EntityManager): Promise<InfluencerEntity | null> {
    return this.table(manager).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** The personas with these ids, in no particular order. */
  findByIds(ids: readonly string[]): Promise<InfluencerEntity[]> {
    return this.table().findBy({ id: In([...ids]) });
  }

  /** Ids of active personas by the number of user messages sent to them in the last `days`, most first. */
  async trendingIds(days: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT i.id
         FROM influencers i
         JOIN persona_user_messages m ON m.influencer_id = i.id AND m.created_at > now() - make_interval(days => $1)
        WHERE i.status = 'active' AND i.deleted_at IS NULL
        GROUP BY i.id
        ORDER BY count(*) DESC, i.id
        LIMIT $2`,
      [days, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Inserts a persona, answering it as stored (with its generated id, timestamps and defaults). */
  insert(values: NewInfluencer, manager?: EntityManager): Promise<InfluencerEntity> {
    return this.table(manager).save({ ...values });
  }

  async update(id: string, changes: InfluencerChanges, manager?: EntityManager): Promise<void> {
    await this.table(manager).update(id, changes as QueryDeepPartialEntity<InfluencerEntity>);
  }

  /** Soft-deletes a persona; false when there was none to delete. */
  async softDelete(id: string): Promise<boolean> {
    const result = await this.table().softDelete({ id });
    return Boolean(result.affected);
  }

  /** Whether the catalogue has ever held a persona, soft-deleted ones included. */
  async anyEver(manager?: EntityManager): Promise<boolean> {
    const [{ count }]: Array<{ count: number }> = await (manager ?? this.dataSource.manager).query('SELECT count(*)::int AS count FROM influencers');
    return count > 0;
  }

  /** Serialises example-persona seeding across processes until `manager`'s transaction ends. */
  async lockSeeding(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['chorus:seed-personas']);
  }

  private table(manager: EntityManager = this.dataSource.manager): Repository<InfluencerEntity> {
    return manager.getRepository(InfluencerEntity);
  }
}
