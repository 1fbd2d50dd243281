import { Module } from '@nestjs/common';
import { ProvidersModule } from '#chorus/providers';
import { ExamplePersonasSeeder } from './example-personas.js';
import { InfluencersController } from './influencers.controller.js';
import { InfluencersService } from './influencers.service.js';

/** The persona catalogue. */
@Module({
  imports: [ProvidersModule],
  controllers: [InfluencersController],
  providers: [InfluencersService, ExamplePersonasSeeder],
  exports: [InfluencersService],
})
export class InfluencersModule {}
