import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UserRole, UserStatus } from './entities/index.js';

/** A user whose row changed recently: the role, plan and status now in force, and since when (epoch seconds). */
export interface ChangedUserRow {
  readonly id: string;
  readonly role: UserRole;
  readonly plan: string;
  readonly status: UserStatus;
  readonly since: number;
}

/** What changed recently in sessions and users, for rebuilding the in-memory revocation list at start. */
@Injectable()
export class RevocationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Ids of the sessions revoked within the last `seconds`. */
  async findSessionsRevokedWithin(seconds: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM sessions WHERE revoked_at > now() - make_interval(secs => $1)`,
      [seconds],
    );
    return rows.map((row) => row.id);
  }

  /** Users updated within the last `seconds`; `since` is the update time rounded up to the second. */
  findUsersChangedWithin(seconds: number): Promise<ChangedUserRow[]> {
    return this.dataSource.query(
      `SELECT id, role, plan, status, ceil(extract(epoch FROM updated_at))::int AS since FROM users
        WHERE updated_at > now() - make_interval(secs => $1)`,
      [seconds],
    );
  }
}
