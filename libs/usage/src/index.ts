export { PlanTierResolver } from './plan-tier.resolver.js';
export { type HeldCounter, type SettlementPart, type StatementPart } from './quota.repository.js';
export { QuotaService, periodEndOf, periodStartOf, type AvatarCharge, type Caller, type ChatCharge, type ChatEstimate, type ChatReservation, type QuotaReservation, type QuotaSnapshot, type VoiceCharge, type VoiceMetric } from './quota.service.js';
export { UsageModule } from './usage.module.js';
export { UsageProblems } from './usage.errors.js';
export { UsageService } from './usage.service.js';
export { MODALITIES, USAGE_ENTITIES, type Modality } from './usage.entity.js';
