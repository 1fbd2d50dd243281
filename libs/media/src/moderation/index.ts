export { createModerationProvider } from './create-moderation-provider.js';
export { flaggedCategories, PROTECTED_CATEGORIES } from './moderation-policy.js';
export { ModerationNotSupported, ModerationUnavailable, NoModeration, type ModerationProvider, type ModerationProviderName, type ModerationScores } from './moderation-provider.js';
export { ModerationRejections, keptForReview } from './moderation-rejections.js';
export { ModerationService, type ModerationOutcome } from './moderation.service.js';
export { OpenAIModeration } from './openai-moderation.js';
export { REKOGNITION_CATEGORIES, RekognitionModeration, rekognitionScores } from './rekognition-moderation.js';
