import { Module } from '@nestjs/common';
import { ConversationsModule } from '#chorus/conversations';
import { InfluencersModule } from '#chorus/influencers';
import { UsageModule } from '#chorus/usage';
import { AvatarSessionsRepository } from './avatar-sessions.repository.js';
import { AvatarController } from './avatar.controller.js';
import { AvatarService } from './avatar.service.js';
import { AvatarProviders } from './providers/avatar-providers.js';

/** Live streaming-avatar sessions of personas: started, metered and stopped by the server. */
@Module({
  imports: [ConversationsModule, InfluencersModule, UsageModule],
  controllers: [AvatarController],
  providers: [AvatarService, AvatarSessionsRepository, AvatarProviders],
  exports: [AvatarService],
})
export class AvatarModule {}
