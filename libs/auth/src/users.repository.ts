import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { CursorPosition } from '#chorus/core';
import { UserEntity, type UserRole, type UserStatus } from './entities/index.js';

/** The columns a new user is inserted with; the rest take their defaults. */
export interface UserInsert {
  readonly email: string;
  readonly passwordHash: string;
  readonly displayName: string;
  readonly role: UserRole;
  readonly plan: string;
}

export interface ProfileUpdate {
  readonly displayName?: string;
  readonly preferences?: Record<string, unknown>;
}

export interface AccessUpdate {
  readonly role?: UserRole;
  readonly plan?: string;
  readonly status?: UserStatus;
}

/** Queries of the users table. Each method is one statement, inside the caller's transaction when given its manager. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOne({ where: { id } });
  }

  /** The user row, locked until the transaction ends. */
  findByIdForUpdate(id: string, manager: EntityManager): Promise<UserEntity | null> {
    return manager.getRepository(UserEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Emails are citext: matched whatever the letter case. */
  findByEmail(email: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOne({ where: { email } });
  }

  existsByEmail(email: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return manager.getRepository(UserEntity).exists({ where: { email } });
  }

  countAdmins(manager: EntityManager = this.dataSource.manager): Promise<number> {
    return manager.getRepository(UserEntity).count({ where: { role: 'admin' } });
  }

  /** The ids of the active admins, their rows locked until the transaction ends. */
  async lockActiveAdmins(manager: EntityManager): Promise<string[]> {
    const rows: Array<{ id: string }> = await manager.query(`SELECT id FROM users WHERE role = 'admin' AND status = 'active' FOR UPDATE`);
    return rows.map((row) => row.id);
  }

  /** A transaction-scoped advisory lock: one holder at a time across every process. */
  async lockFirstAdminCreation(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['chorus:first-admin']);
  }

  /** Fails with the driver's unique violation when the email is taken. */
  insert(user: UserInsert, manager: EntityManager = this.dataSource.manager): Promise<UserEntity> {
    return manager.getRepository(UserEntity).save({ ...user });
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.dataSource.getRepository(UserEntity).update(id, { passwordHash });
  }

  async updateLastLogin(id: string, at: Date): Promise<void> {
    await this.dataSource.getRepository(UserEntity).update(id, { lastLoginAt: at });
  }

  /** Sets the fields given; nothing is sent when there are none. */
  async updateProfile(id: string, changes: ProfileUpdate): Promise<void> {
    const update: QueryDeepPartialEntity<UserEntity> = {};
    if (changes.displayName !== undefined) update.displayName = changes.displayName;
    // TypeORM types jsonb columns as nested partials; the value is a whole object, sent as a parameter.
    if (changes.preferences !== undefined) update.preferences = changes.preferences as QueryDeepPartialEntity<Record<string, unknown>>;
    if (Object.keys(update).length > 0) await this.dataSource.getRepository(UserEntity).update(id, update);
  }

  /** Sets the fields given; nothing is sent when there are none. */
  async updateAccess(id: string, changes: AccessUpdate, manager: EntityManager = this.dataSource.manager): Promise<void> {
    const update: QueryDeepPartialEntity<UserEntity> = {};
    if (changes.role !== undefined) update.role = changes.role;
    if (changes.plan !== undefined) update.plan = changes.plan;
    if (changes.status !== undefined) update.status = changes.status;
    if (Object.keys(update).length > 0) await manager.getRepository(UserEntity).update(id, update);
  }

  /** Deletes the user and, by cascade, everything it owns. */
  async delete(id: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.getRepository(UserEntity).delete(id);
  }

  /**
   * Users newest first, `take` of them after `after` (a `createdAt` ISO date and an `id`), optionally
   * those whose email contains `emailContains`.
   */
  listPage(query: { take: number; after?: CursorPosition; emailContains?: string }): Promise<UserEntity[]> {
    // Cursors carry JavaScript dates (milliseconds) while PostgreSQL keeps microseconds: order and
    // compare at millisecond precision, or rows created within one millisecond would be skipped.
    const createdAt = `date_trunc('milliseconds', u.created_at)`;
    const builder = this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .orderBy(createdAt, 'DESC')
      .addOrderBy('u.id', 'DESC')
      .limit(query.take);
    if (query.emailContains) {
      builder.andWhere(`u.email ILIKE :pattern ESCAPE '\\'`, { pattern: `%${escapeLike(query.emailContains)}%` });
    }
    if (query.after) {
      builder.andWhere(`(${createdAt}, u.id) < (:createdAt::timestamptz, :id::uuid)`, query.after);
    }
    return builder.getMany();
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`);
}
