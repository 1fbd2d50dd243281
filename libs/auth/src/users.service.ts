import { Injectable, Logger } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import {
  InjectConfig,
  ProblemException,
  decodeCursor,
  toCursorPage,
  type AppConfig,
  type CursorPage,
} from '#chorus/core';
import { ApiKeysService } from './api-keys.service.js';
import { AuthProblems } from './auth.errors.js';
import type { UserEntity, UserRole, UserStatus } from './entities/index.js';
import { PasswordHasher } from './password-hasher.js';
import { RevocationList } from './revocation-list.js';
import { SessionsService } from './sessions.service.js';
import { UsersRepository } from './users.repository.js';

/** A user as the rest of the application sees it: never the password hash. */
export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly role: UserRole;
  readonly plan: string;
  readonly status: UserStatus;
  readonly preferences: Record<string, unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastLoginAt: Date | null;
}

export interface NewUser {
  readonly email: string;
  readonly password: string;
  readonly displayName?: string;
  readonly role?: UserRole;
}

/** A user ready to insert: the password already hashed. */
export interface PreparedUser {
  readonly email: string;
  readonly passwordHash: string;
  readonly displayName: string;
  readonly role: UserRole;
  readonly plan: string;
}

export interface UserChanges {
  readonly role?: UserRole;
  readonly plan?: string;
  readonly status?: UserStatus;
}

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  private readonly logger = new Logger('Users');

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly revocations: RevocationList,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Hashes the password and settles the defaults: the slow part of creating a user, kept out
   * of any transaction (on the embedded database's single connection it would stall everyone).
   */
  async prepare(user: NewUser): Promise<PreparedUser> {
    const email = user.email.trim();
    return {
      email,
      passwordHash: await this.passwords.hash(user.password),
      displayName: user.displayName?.trim() || email.split('@')[0] || email,
      role: user.role ?? 'user',
      plan: this.config.auth.defaultPlan,
    };
  }

  /** Inserts a prepared user; answers 409 `email_taken` for an address in use in any letter case. */
  async insert(user: PreparedUser, manager?: EntityManager): Promise<UserView> {
    try {
      return toView(await this.users.insert(user, manager));
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ProblemException(AuthProblems.emailTaken, 'An account with this email already exists.');
      }
      throw error;
    }
  }

  /**
   * The user whose email and password these are. Unknown emails cost the same time as wrong
   * passwords and get the same answer, so the endpoint does not reveal who has an account.
   */
  async verifyCredentials(email: string, password: string): Promise<UserView> {
    const user = await this.users.findByEmail(email.trim());
    const valid = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !valid) throw new ProblemException(AuthProblems.invalidCredentials, 'Email or password is incorrect.');
    if (user.status === 'banned') throw new ProblemException(AuthProblems.accountBanned, 'This account has been banned.');
    if (this.passwords.needsRehash(user.passwordHash)) {
      // Hashing parameters were raised since this password was set: upgrade it now that we know it.
      await this.users.updatePasswordHash(user.id, await this.passwords.hash(password));
    }
    return toView(user);
  }

  async recordLogin(userId: string): Promise<void> {
    await this.users.updateLastLogin(userId, new Date());
  }

  async get(userId: string): Promise<UserView> {
    const user = await this.users.findById(userId);
    if (!user) throw new ProblemException(AuthProblems.userNotFound, 'No such user.');
    return toView(user);
  }

  /**
   * The caller's own account. A valid token whose user is gone (deleted, and the revocation
   * forgotten across a restart of the embedded default) is a credential problem: 401, not 404.
   */
  async getOwn(userId: string): Promise<UserView> {
    const user = await this.users.findById(userId);
    if (!user) throw new ProblemException(AuthProblems.invalidToken, 'The account this credential belongs to no longer exists.');
    return toView(user);
  }

  async updateProfile(userId: string, changes: { displayName?: string; preferences?: Record<string, unknown> }): Promise<UserView> {
    await this.users.updateProfile(userId, { displayName: changes.displayName?.trim(), preferences: changes.preferences });
    return this.getOwn(userId);
  }

  /**
   * Changes the password after checking the current one, and ends every other session. API keys
   * (for servers, not people) keep working unless `revokeApiKeys` asks for them to go too.
   */
  async changePassword(
    userId: string,
    change: { currentPassword: string; newPassword: string; revokeApiKeys?: boolean },
    keepSessionId?: string,
  ): Promise<void> {
    await this.checkPassword(userId, change.currentPassword);
    await this.users.updatePasswordHash(userId, await this.passwords.hash(change.newPassword));
    await this.sessions.revokeAll(userId, 'password_changed', keepSessionId);
    if (change.revokeApiKeys) await this.apiKeys.deleteAll(userId);
  }

  /** Deletes the account and, by cascade, everything it owns; its tokens stop working at once. */
  async delete(userId: string, password: string): Promise<void> {
    await this.checkPassword(userId, password);
    await this.dataSource.transaction(async (manager) => {
      await this.assertNotLastAdmin(manager, userId);
      await this.users.delete(userId, manager);
    });
    await this.revocations.revokeUser(userId);
  }

  /** Admin: users newest first, optionally those whose email contains `emailContains`. */
  async list(query: { limit: number; cursor?: string; emailContains?: string }): Promise<CursorPage<UserView>> {
    const after = query.cursor ? decodeCursor(query.cursor, { createdAt: 'timestamp', id: 'uuid' }) : undefined;
    // One row more than the page, to learn whether another page follows.
    const rows = await this.users.listPage({ take: query.limit + 1, after, emailContains: query.emailContains });
    return toCursorPage(rows, query.limit, (user) => ({ createdAt: user.createdAt.toISOString(), id: user.id }), toView);
  }

  /**
   * Admin: changes role, plan or status, in force from the user's next request. Banning ends
   * the user's sessions and deletes their API keys at once.
   */
  async update(userId: string, changes: UserChanges): Promise<UserView> {
    if (changes.plan !== undefined && !this.config.auth.plans.includes(changes.plan)) {
      throw new ProblemException(AuthProblems.unknownPlan, `Plan must be one of: ${this.config.auth.plans.join(', ')}.`, {
        errors: [{ field: 'plan', message: `plan must be one of: ${this.config.auth.plans.join(', ')}` }],
      });
    }
    const { before, after } = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.findByIdForUpdate(userId, manager);
      if (!user) throw new ProblemException(AuthProblems.userNotFound, 'No such user.');
      const losesAdmin = user.role === 'admin' && (changes.role === 'user' || changes.status === 'banned');
      if (losesAdmin) await this.assertNotLastAdmin(manager, userId);
      await this.users.updateAccess(userId, changes, manager);
      return { before: toView(user), after: { ...toView(user), ...changes } };
    });
    if (after.role !== before.role || after.plan !== before.plan) {
      // Access tokens already issued carry the old role and plan: correct them from the next request on.
      await this.revocations.recordAccessChange(userId, { role: after.role, plan: after.plan });
    }
    if (after.status === 'banned' && before.status !== 'banned') {
      await this.revocations.revokeUser(userId);
      await this.sessions.revokeAll(userId, 'banned');
      await this.apiKeys.deleteAll(userId);
      this.logger.log(`User ${userId} banned: sessions revoked and API keys deleted`);
    } else if (after.status === 'active' && before.status === 'banned') {
      await this.revocations.reinstateUser(userId);
    }
    return this.get(userId);
  }

  /**
   * Creates the first admin when no admin exists yet. Returns what happened, so that start-up
   * and the CLI can say so; an existing account with that email is never taken over.
   */
  async ensureFirstAdmin(email: string, password: string): Promise<'created' | 'admin_exists' | 'email_taken'> {
    const admin = await this.prepare({ email, password, role: 'admin', displayName: 'Admin' });
    return this.dataSource.transaction(async (manager) => {
      // One process at a time, so that several starting together create one admin.
      await this.users.lockFirstAdminCreation(manager);
      if ((await this.users.countAdmins(manager)) > 0) return 'admin_exists';
      if (await this.users.existsByEmail(admin.email, manager)) return 'email_taken';
      await this.insert(admin, manager);
      return 'created';
    });
  }

  private async checkPassword(userId: string, password: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!(await this.passwords.verify(user?.passwordHash, password))) {
      throw new ProblemException(AuthProblems.wrongPassword, 'The password is not correct.');
    }
  }

  /** Keeps at least one active admin, so that nobody can lock the operators out by accident. */
  private async assertNotLastAdmin(manager: EntityManager, userId: string): Promise<void> {
    const admins = await this.users.lockActiveAdmins(manager);
    if (admins.length === 1 && admins[0] === userId) {
      throw new ProblemException(AuthProblems.lastAdmin, 'This is the only active admin: make another admin first.');
    }
  }
}

function toView(user: UserEntity): UserView {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    plan: user.plan,
    status: user.status,
    preferences: user.preferences,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    lastLoginAt: user.lastLoginAt,
  };
}

