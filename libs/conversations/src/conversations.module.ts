import { Module } from '@nestjs/common';
import { InfluencersModule } from '#chorus/influencers';
import { MediaModule } from '#chorus/media';
import { ProvidersModule } from '#chorus/providers';
import { RealtimeModule } from '#chorus/realtime';
import { UsageModule } from '#chorus/usage';
import { VoiceModule } from '#chorus/voice';
import { ChatTurns } from './chat-turn.js';
import { ContextBuilder } from './context-builder.js';
import { ConversationTitles } from './conversation-titles.js';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsRepository } from './conversations.repository.js';
import { ConversationsService } from './conversations.service.js';
import { PersonaMedia } from './persona-media.js';
import { RepliesRepository } from './replies.repository.js';
import { RepliesService } from './replies.service.js';
import { ReplyCheckpoints } from './reply-checkpoints.js';
import { ReplyMetrics } from './reply-metrics.js';
import { ReplySpeech } from './reply-speech.js';
import { ReplyStreamHub } from './reply-stream-hub.js';
import { TurnsRepository } from './turns.repository.js';

/** Conversations, messages and streamed replies. */
@Module({
  imports: [InfluencersModule, MediaModule, ProvidersModule, RealtimeModule, UsageModule, VoiceModule],
  controllers: [ConversationsController],
  providers: [ConversationsService, ConversationTitles, ConversationsRepository, RepliesService, RepliesRepository, TurnsRepository, ChatTurns, PersonaMedia, ReplyCheckpoints, ReplyStreamHub, ContextBuilder, ReplyMetrics, ReplySpeech],
  exports: [ConversationsService, RepliesService, ConversationTitles, ChatTurns, ContextBuilder, ReplyMetrics],
})
export class ConversationsModule {}
