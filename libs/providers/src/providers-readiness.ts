import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadinessChecks } from '#chorus/core';
import { ProviderRegistry } from './provider-registry.js';

/**
 * Shows each provider's circuit breaker in /health/ready. An open breaker makes the service
 * `degraded`, not unready: personas fall back to their other models meanwhile.
 */
@Injectable()
export class ProvidersReadiness implements OnModuleInit {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly readiness: ReadinessChecks,
  ) {}

  onModuleInit(): void {
    this.readiness.register('providers', () => {
      const breakers = Object.fromEntries(this.registry.status().map((provider) => [provider.name, provider.breaker]));
      return { status: Object.values(breakers).includes('open') ? 'degraded' : 'up', breakers };
    });
  }
}
