import { Module } from '@nestjs/common';
import { ConversationsModule } from '#chorus/conversations';
import { InfluencersModule } from '#chorus/influencers';
import { ProvidersModule } from '#chorus/providers';
import { UsageModule } from '#chorus/usage';
import { OpenAICompatController } from './openai-compat.controller.js';
import { OpenAICompatService } from './openai-compat.service.js';
import { ResponsesController } from './responses.controller.js';
import { ResponsesService } from './responses.service.js';
import { StoredResponsesRepository } from './stored-responses.repository.js';

/** The OpenAI-compatible surface at /openai/v1, where personas are models: Chat Completions and Responses. */
@Module({
  imports: [ConversationsModule, InfluencersModule, ProvidersModule, UsageModule],
  controllers: [OpenAICompatController, ResponsesController],
  providers: [OpenAICompatService, ResponsesService, StoredResponsesRepository],
})
export class OpenAICompatModule {}
