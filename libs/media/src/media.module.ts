import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#chorus/core';
import { RealtimeModule } from '#chorus/realtime';
import { UsageModule } from '#chorus/usage';
import { AdminMediaController } from './admin-media.controller.js';
import { DirectUploads } from './direct-upload.service.js';
import { MediaAttachments } from './media-attachments.js';
import { MediaAudio } from './media-audio.js';
import { MediaController } from './media.controller.js';
import { MediaGarbageCollector } from './media-garbage-collector.js';
import { MediaGarbageRepository } from './media-garbage.repository.js';
import { MediaReadiness } from './media-readiness.js';
import { MediaRepository } from './media.repository.js';
import { MediaReviewService } from './media-review.service.js';
import { MediaService } from './media.service.js';
import { createMediaStore } from './media-store.factory.js';
import { ModerationService } from './moderation/index.js';
import { PersonaMediaController } from './persona-media.controller.js';
import { MediaStore } from './storage/index.js';

/** Uploads, their processing and moderation (with the admins' review), and the store that keeps their bytes. */
@Module({
  imports: [RealtimeModule, UsageModule],
  controllers: [MediaController, AdminMediaController, PersonaMediaController],
  providers: [MediaService, DirectUploads, ModerationService, MediaReviewService, MediaAttachments, MediaAudio, MediaGarbageCollector, MediaGarbageRepository, MediaRepository, MediaReadiness, { provide: MediaStore, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createMediaStore(config) }],
  exports: [MediaService, ModerationService, MediaAttachments, MediaAudio, MediaStore],
})
export class MediaModule {}
