import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig, type AppConfig } from '#chorus/core';
import { UsersService } from './users.service.js';

/** Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD at start, when set and no admin exists yet. */
@Injectable()
export class FirstAdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('FirstAdmin');

  constructor(
    private readonly users: UsersService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.auth.admin;
    if (!admin) return;
    const outcome = await this.users.ensureFirstAdmin(admin.email, admin.password);
    if (outcome === 'created') this.logger.log(`Created the first admin, ${admin.email}`);
    if (outcome === 'email_taken') {
      this.logger.warn(`ADMIN_EMAIL ${admin.email} belongs to an existing non-admin account: no admin was created`);
    }
  }
}
