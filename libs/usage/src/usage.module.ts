import { Module } from '@nestjs/common';
import { QuotaService } from './quota.service.js';
import { UsageController } from './usage.controller.js';
import { UsageService } from './usage.service.js';

/** Plans, quotas, the usage ledger and its endpoints. */
@Module({
  controllers: [UsageController],
  providers: [QuotaService, UsageService],
  exports: [QuotaService, UsageService],
})
export class UsageModule {}
