import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { DependencyHealthIndicators } from './health.indicators.js';
import { ReadinessChecks } from './readiness.js';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [DependencyHealthIndicators, ReadinessChecks],
  exports: [ReadinessChecks],
})
export class HealthModule {}
