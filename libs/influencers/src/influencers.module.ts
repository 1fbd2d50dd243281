import { Module } from '@nestjs/common';
import { ProvidersModule } from '#chorus/providers';
import { ExamplePersonasSeeder } from './example-personas.js';
import { InfluencerPromptsRepository } from './influencer-prompts.repository.js';
import { InfluencersController } from './influencers.controller.js';
import { InfluencersRepository } from './influencers.repository.js';
import { InfluencersService } from './influencers.service.js';

/** The persona catalogue. */
@Module({
  imports: [ProvidersModule],
  controllers: [InfluencersController],
  providers: [InfluencersService, InfluencersRepository, InfluencerPromptsRepository, ExamplePersonasSeeder],
  exports: [InfluencersService],
})
export class InfluencersModule {}
