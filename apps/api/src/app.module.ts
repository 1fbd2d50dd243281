import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { AVATAR_ENTITIES, AvatarModule } from '#chorus/avatar';
import { AUTH_ENTITIES, AuthModule } from '#chorus/auth';
import { CONVERSATION_ENTITIES, ConversationsModule } from '#chorus/conversations';
import { CoreModule, type AppConfig, type Clock, type DatabaseSchema } from '#chorus/core';
import { INFLUENCER_ENTITIES, InfluencersModule } from '#chorus/influencers';
import { MEDIA_ENTITIES, MediaModule } from '#chorus/media';
import { OPENAI_COMPAT_ENTITIES, OpenAICompatModule } from '#chorus/openai-compat';
import { RealtimeModule } from '#chorus/realtime';
import { PlanTierResolver, USAGE_ENTITIES, UsageModule } from '#chorus/usage';
import { VOICE_ENTITIES, VoiceModule } from '#chorus/voice';
import { MIGRATIONS } from '../../../migrations/index.js';

/** The whole schema: each feature module's entities, and the migrations that create them. */
export const SCHEMA: DatabaseSchema = {
  entities: [...AUTH_ENTITIES, ...INFLUENCER_ENTITIES, ...CONVERSATION_ENTITIES, ...USAGE_ENTITIES, ...MEDIA_ENTITIES, ...VOICE_ENTITIES, ...AVATAR_ENTITIES, ...OPENAI_COMPAT_ENTITIES],
  migrations: MIGRATIONS,
};

export interface AppModuleOptions {
  readonly logDestination?: DestinationStream;
  /** Extra modules mounted beside the features (tests use this for probe endpoints). */
  readonly extraModules?: ReadonlyArray<Type | DynamicModule>;
  /** The time source (tests move it across period boundaries). */
  readonly clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({
          config,
          schema: SCHEMA,
          logDestination: options.logDestination,
          clock: options.clock,
          rateLimit: { tierResolver: PlanTierResolver },
        }),
        AuthModule,
        InfluencersModule,
        ConversationsModule,
        UsageModule,
        OpenAICompatModule,
        MediaModule,
        VoiceModule,
        AvatarModule,
        RealtimeModule,
        ...(options.extraModules ?? []),
      ],
    };
  }
}
