import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadinessChecks } from '#chorus/core';
import { MediaStore } from './storage/index.js';

/**
 * Readiness reports the media store. A store that does not answer degrades the service
 * rather than taking it out of the load balancer: chat goes on, uploads fail with a clear error.
 */
@Injectable()
export class MediaReadiness implements OnModuleInit {
  constructor(
    private readonly store: MediaStore,
    private readonly readiness: ReadinessChecks,
  ) {}

  onModuleInit(): void {
    this.readiness.register('media', async () => {
      try {
        await this.store.ping();
        return { status: 'up', store: this.store.kind };
      } catch (error) {
        return { status: 'degraded', store: this.store.kind, error: (error as Error).message };
      }
    });
  }
}
