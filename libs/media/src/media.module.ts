import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#chorus/core';
import { RealtimeModule } from '#chorus/realtime';
import { MediaController } from './media.controller.js';
import { MediaReadiness } from './media-readiness.js';
import { MediaRepository } from './media.repository.js';
import { MediaService } from './media.service.js';
import { createMediaStore } from './media-store.factory.js';
import { MediaStore } from './storage/index.js';

/** Uploads, their processing, and the store that keeps their bytes. */
@Module({
  imports: [RealtimeModule],
  controllers: [MediaController],
  providers: [MediaService, MediaRepository, MediaReadiness, { provide: MediaStore, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createMediaStore(config) }],
  exports: [MediaService, MediaStore],
})
export class MediaModule {}
