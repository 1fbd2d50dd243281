import { Module } from '@nestjs/common';
import { ConversationsModule } from '#chorus/conversations';
import { InfluencersModule } from '#chorus/influencers';
import { ProvidersModule } from '#chorus/providers';
import { UsageModule } from '#chorus/usage';
import { OpenAICompatController } from './openai-compat.controller.js';
import { OpenAICompatService } from './openai-compat.service.js';

/** The OpenAI-compatible surface at /openai/v1, where personas are models. */
@Module({
  imports: [ConversationsModule, InfluencersModule, ProvidersModule, UsageModule],
  controllers: [OpenAICompatController],
  providers: [OpenAICompatService],
})
export class OpenAICompatModule {}
