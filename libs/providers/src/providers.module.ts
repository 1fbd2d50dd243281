import { Module } from '@nestjs/common';
import { ProviderRegistry } from './provider-registry.js';
import { ProvidersReadiness } from './providers-readiness.js';
import { ProvidersController } from './providers.controller.js';

/** The AI backends: adapters, resilience, the registry features generate replies through, and GET /providers. */
@Module({
  controllers: [ProvidersController],
  providers: [ProviderRegistry, ProvidersReadiness],
  exports: [ProviderRegistry],
})
export class ProvidersModule {}
