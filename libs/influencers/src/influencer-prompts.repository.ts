import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { InfluencerPromptEntity } from './influencer.entity.js';

/** Queries on `influencer_prompts`, every version of every persona's system prompt. */
@Injectable()
export class InfluencerPromptsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a version of a persona's system prompt; (influencer, version) is unique. */
  async insertVersion(influencerId: string, version: number, systemPrompt: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.getRepository(InfluencerPromptEntity).insert({ influencerId, version, systemPrompt });
  }
}
