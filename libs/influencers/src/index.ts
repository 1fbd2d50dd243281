export { AVATAR_QUALITIES, INFLUENCER_ENTITIES, INFLUENCER_STATUSES, type AvatarQuality, type InfluencerStatus, type ModelPolicyRecord, type ModerationPolicyRecord, type PersonaAvatarRecord, type PersonaVoiceRecord } from './influencer.entity.js';
export { InfluencerProblems } from './influencers.errors.js';
export { InfluencersModule } from './influencers.module.js';
export { InfluencersService, type InfluencerView } from './influencers.service.js';
export { EXAMPLE_PERSONAS } from './example-personas.js';
