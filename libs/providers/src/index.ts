export {
  ProviderError,
  type ChatChunk,
  type ChatImage,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ChatRole,
  type ChatTool,
  type ChatToolCall,
  type ChatUsage,
  type FinishReason,
  type ModelPolicy,
  type ModelRef,
  type ProviderErrorCode,
  type ProviderKind,
} from './chat-provider.js';
export { ProviderListDto, ProviderModelDto, ProviderStatusDto } from './dto/provider-status.dto.js';
export { GeminiProvider } from './gemini.provider.js';
export { OpenAIProvider } from './openai.provider.js';
export {
  GenerationError,
  ProviderRegistry,
  RETRY_AFTER_LIMIT_MS,
  RETRY_BACKOFF,
  type GenerationEvent,
  type GenerationOptions,
  type ProviderStatus,
} from './provider-registry.js';
export { ProvidersController } from './providers.controller.js';
export { ProvidersModule } from './providers.module.js';
export { BREAKER_STATES, CircuitBreaker, type BreakerState } from './resilience.js';
export { SIMULATED_IMAGE_TOKENS, SimulatedProvider } from './simulated.provider.js';
