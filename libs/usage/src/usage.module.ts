import { Module } from '@nestjs/common';
import { QuotaRepository } from './quota.repository.js';
import { QuotaService } from './quota.service.js';
import { UsageController } from './usage.controller.js';
import { UsageRepository } from './usage.repository.js';
import { UsageService } from './usage.service.js';

/** Plans, quotas, the usage ledger and its endpoints. */
@Module({
  controllers: [UsageController],
  providers: [QuotaService, QuotaRepository, UsageService, UsageRepository],
  exports: [QuotaService, UsageService],
})
export class UsageModule {}
