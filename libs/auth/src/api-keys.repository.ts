import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiKeyEntity, type UserRole } from './entities/index.js';

export interface ApiKeyInsert {
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly keyHash: string;
  readonly expiresAt: Date | null;
}

/** A key that may be used now, with its owner's access. */
export interface UsableApiKeyRow {
  readonly id: string;
  readonly userId: string;
  readonly role: UserRole;
  readonly plan: string;
  /** Whether last_used_at is older than the resolution asked for, and worth writing again. */
  readonly stale: boolean;
}

/** Queries of the api_keys table. Each method is one statement. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Locks the owner's user row until the transaction ends, serialising their key creations. */
  async lockOwner(userId: string, manager: EntityManager): Promise<void> {
    await manager.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
  }

  countByUser(userId: string, manager: EntityManager = this.dataSource.manager): Promise<number> {
    return manager.count(ApiKeyEntity, { where: { userId } });
  }

  insert(key: ApiKeyInsert, manager: EntityManager = this.dataSource.manager): Promise<ApiKeyEntity> {
    return manager.getRepository(ApiKeyEntity).save({ ...key });
  }

  /** The user's keys, newest first. */
  findByUser(userId: string): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({ where: { userId }, order: { createdAt: 'DESC', id: 'ASC' } });
  }

  /** Deletes the key if it is the user's; answers whether it was. */
  async deleteOwn(userId: string, keyId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ApiKeyEntity).delete({ id: keyId, userId });
    return Boolean(result.affected);
  }

  async deleteAllOf(userId: string): Promise<void> {
    await this.dataSource.getRepository(ApiKeyEntity).delete({ userId });
  }

  /**
   * The key with this hash when it is unexpired and its owner active; `stale` when it was last
   * used more than `lastUsedResolutionSeconds` ago (or never).
   */
  async findUsableByHash(keyHash: string, lastUsedResolutionSeconds: number): Promise<UsableApiKeyRow | undefined> {
    const [found]: Array<{ id: string; user_id: string; role: UserRole; plan: string; stale: boolean }> = await this.dataSource.query(
      `SELECT k.id, k.user_id, u.role, u.plan,
              (k.last_used_at IS NULL OR k.last_used_at < now() - make_interval(secs => $2)) AS stale
         FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.key_hash = $1 AND u.status = 'active' AND (k.expires_at IS NULL OR k.expires_at > now())`,
      [keyHash, lastUsedResolutionSeconds],
    );
    if (!found) return undefined;
    return { id: found.id, userId: found.user_id, role: found.role, plan: found.plan, stale: found.stale };
  }

  async touchLastUsed(id: string): Promise<void> {
    await this.dataSource.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
  }
}
