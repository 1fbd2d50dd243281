export { DEFAULT_EMBEDDED_DB_DIR, LOG_LEVELS, loadConfig, readEnvironment, type AppConfig, type DatabaseTimeouts, type LogLevel, type MediaConfig, type ModerationConfig } from './app-config.js';
export { APP_CONFIG, ConfigModule, InjectConfig } from './config.module.js';
export { ConfigValidationError, type Env } from './env-schema.js';
export { PROVIDER_KINDS, type ModelConfig, type ProviderConfig, type ProvidersConfig } from './providers-config.js';
export { limitsProblem, mergeLimits, type PlanConfig, type PlanLimits } from './plans-config.js';
export { STT_KINDS, TTS_KINDS, type SttKind, type SttProviderConfig, type TtsKind, type TtsProviderConfig, type VoiceConfig } from './voice-config.js';
export { AVATAR_KINDS, type AvatarConfig, type AvatarKind, type AvatarProviderConfig } from './avatar-config.js';
