import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig, type AppConfig, type AvatarProviderConfig } from '#chorus/core';
import { CircuitBreaker } from '#chorus/providers';
import { AvatarProviderError, type AvatarProvider } from './avatar-provider.js';
import { LiveAvatarProvider } from './liveavatar-avatar.js';
import { SimulatedAvatarProvider } from './simulated-avatar.js';

interface Slot {
  readonly config: AvatarProviderConfig;
  readonly provider: AvatarProvider;
  readonly breaker: CircuitBreaker;
}

/**
 * The configured streaming-avatar providers by name, each call bounded by the instance's timeout
 * and guarded by its circuit breaker (an open circuit fails fast as `unavailable`), like the
 * chat and speech registries.
 */
@Injectable()
export class AvatarProviders {
  private readonly logger = new Logger('AvatarProviders');
  private readonly slots = new Map<string, Slot>();

  constructor(@InjectConfig() config: AppConfig) {
    for (const instance of config.avatar.providers) {
      const breaker = new CircuitBreaker({
        threshold: instance.breakerThreshold,
        cooldownMs: instance.breakerCooldownMs,
        onStateChange: (state) => this.logger.warn(`Avatar provider ${instance.name}: circuit ${state}`),
      });
      this.slots.set(instance.name, { config: instance, provider: this.create(instance), breaker });
    }
  }

  /** Whether `name` is a configured instance. */
  has(name: string): boolean {
    return this.slots.has(name);
  }

  /** What a minute of `name`'s sessions costs, in micro-dollars. */
  microsPerSecond(name: string): number {
    return ((this.slots.get(name)?.config.usdPerMinute ?? 0) * 1_000_000) / 60;
  }

  /** Runs `work` against provider `name` within its timeout and breaker. A session already over there (`gone`) is no fault of the provider. */
  async call<T>(name: string, work: (provider: AvatarProvider, signal: AbortSignal) => Promise<T>): Promise<T> {
    const slot = this.slots.get(name);
    if (!slot) throw new AvatarProviderError(`No avatar provider "${name}" is configured`, 'unavailable');
    if (!slot.breaker.tryAcquire()) throw new AvatarProviderError(`Avatar provider ${name} is failing; its circuit is open`, 'unavailable');
    try {
      const result = await work(slot.provider, AbortSignal.timeout(slot.config.timeoutMs));
      slot.breaker.success();
      return result;
    } catch (error) {
      const kind = error instanceof AvatarProviderError ? error.kind : 'unavailable';
      if (kind === 'unavailable') slot.breaker.failure();
      else slot.breaker.success();
      throw error instanceof AvatarProviderError ? error : new AvatarProviderError(`Avatar provider ${name}: ${(error as Error).message}`, 'unavailable');
    }
  }

  private create(instance: AvatarProviderConfig): AvatarProvider {
    switch (instance.kind) {
      case 'simulated':
        return new SimulatedAvatarProvider();
      case 'liveavatar':
        return new LiveAvatarProvider({ baseUrl: instance.baseUrl!, apiKey: instance.apiKey!, sandbox: instance.sandbox });
    }
  }
}
