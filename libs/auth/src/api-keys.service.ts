import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CoreProblems, ProblemException } from '#chorus/core';
import { ApiKeysRepository } from './api-keys.repository.js';
import { AuthProblems } from './auth.errors.js';
import type { ApiKeyEntity } from './entities/index.js';
import type { Principal } from './principal.js';
import { API_KEY_PREFIX, newSecret, sha256Hex } from './secrets.js';

/** Enough for every server and environment a user has; a cap keeps a leaked account from minting thousands. */
export const MAX_API_KEYS_PER_USER = 50;
/** Characters of a key kept in clear so that the user can tell keys apart. */
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;
/** last_used_at is a hint, not an audit log: writing it once a minute keeps requests read-only. */
const LAST_USED_RESOLUTION_SECONDS = 60;

export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly expiresAt: Date | null;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ApiKeysRepository,
  ) {}

  /** Creates a key; the secret is returned this once and never stored. */
  async create(userId: string, name: string, expiresAt?: Date): Promise<{ key: ApiKeyView; secret: string }> {
    const secret = newSecret(API_KEY_PREFIX);
    const key = await this.dataSource.transaction(async (manager) => {
      // Serialises concurrent creations by the same user, so the cap holds.
      await this.keys.lockOwner(userId, manager);
      if ((await this.keys.countByUser(userId, manager)) >= MAX_API_KEYS_PER_USER) {
        throw new ProblemException(AuthProblems.apiKeyLimit, `An account can hold at most ${MAX_API_KEYS_PER_USER} API keys; delete one first.`);
      }
      return this.keys.insert(
        { userId, name, prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH), keyHash: sha256Hex(secret), expiresAt: expiresAt ?? null },
        manager,
      );
    });
    return { key: toView(key), secret };
  }

  async list(userId: string): Promise<ApiKeyView[]> {
    const keys = await this.keys.findByUser(userId);
    return keys.map(toView);
  }

  /** Deletes one of the user's keys; it stops working on the next request. Another user's key is not found. */
  async delete(userId: string, keyId: string): Promise<void> {
    if (!(await this.keys.deleteOwn(userId, keyId))) throw new ProblemException(CoreProblems.notFound, 'No such API key.');
  }

  async deleteAll(userId: string): Promise<void> {
    await this.keys.deleteAllOf(userId);
  }

  /**
   * The caller behind a key, or undefined when the key is unknown, expired, or its owner is banned.
   * Not cached, on purpose: a cached key keeps working for the cache's lifetime after every change
   * the cache cannot see: a key deleted, or its owner banned or downgraded, through another process
   * (in memory nothing is shared between processes), or a key expired or removed in SQL by an
   * operator. Making a cache safe would take a shared read per request (Redis) to learn of such
   * changes, while the lookup it saves is one probe of the unique key_hash index joined to the
   * user's primary key.
   */
  async authenticate(secret: string): Promise<Principal | undefined> {
    const found = await this.keys.findUsableByHash(sha256Hex(secret), LAST_USED_RESOLUTION_SECONDS);
    if (!found) return undefined;
    if (found.stale) await this.keys.touchLastUsed(found.id);
    return { userId: found.userId, role: found.role, plan: found.plan, apiKeyId: found.id };
  }
}

function toView(key: ApiKeyEntity): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    expiresAt: key.expiresAt,
  };
}
