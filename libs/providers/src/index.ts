export {
  ProviderError,
  type ChatChunk,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ChatRole,
  type ChatUsage,
  type FinishReason,
  type ModelPolicy,
  type ModelRef,
  type ProviderErrorCode,
  type ProviderKind,
} from './chat-provider.js';
export { GenerationError, ProviderRegistry, type GenerationEvent } from './provider-registry.js';
export { ProvidersModule } from './providers.module.js';
