import { Module } from '@nestjs/common';
import { ProviderRegistry } from './provider-registry.js';

/** The AI backends: adapters, resilience, and the registry features generate replies through. */
@Module({
  providers: [ProviderRegistry],
  exports: [ProviderRegistry],
})
export class ProvidersModule {}
