/**
 * The contract between Chorus and the AI backends. An adapter turns one provider's wire
 * protocol into this stream; the registry adds resilience and fallback on top of it.
 */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** An image a user message carries, as cleaned and stored by the media lib (its bytes, never a client's URL). */
export interface ChatImage {
  /** `image/jpeg`, `image/png`, `image/webp` or `image/gif`. */
  readonly mediaType: string;
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

/** A function the model may call, described by a JSON schema of its arguments. */
export interface ChatTool {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** A call the model made: `arguments` is its JSON text, as the model wrote it. */
export interface ChatToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
  /**
   * Opaque state the provider attached to the call and wants back with it in the next request
   * (Gemini's `thoughtSignature`); keep it with the call when storing the conversation.
   */
  readonly signature?: string;
}

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
  /** On a user message: images to show a vision-capable model. */
  readonly images?: readonly ChatImage[];
  /** On an assistant message: the tool calls it made (its `content` may be empty). */
  readonly toolCalls?: readonly ChatToolCall[];
  /** On a `tool` message: the call it answers (its `content` is the result). */
  readonly toolCallId?: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly maxOutputTokens?: number;
  /** Functions the model may call; a call ends the response with `tool_calls`. */
  readonly tools?: readonly ChatTool[];
  /** Aborting closes the upstream connection, so the provider stops generating (and billing). */
  readonly signal: AbortSignal;
}

/** Token counts as the provider reported them. */
export interface ChatUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
  readonly reasoningTokens?: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'cancelled' | 'error';

export type ChatChunk =
  | { readonly type: 'delta'; readonly text: string }
  /** A whole tool call, once its streamed arguments are complete. */
  | { readonly type: 'tool_call'; readonly call: ChatToolCall }
  | { readonly type: 'usage'; readonly usage: ChatUsage }
  | { readonly type: 'finish'; readonly reason: FinishReason };

/** One configured backend (an OpenAI-compatible server, Gemini, or the simulator). */
export interface ChatProvider {
  readonly name: string;
  readonly kind: ProviderKind;
  /** Streams the reply. Throws ProviderError on failure; ends early when `signal` aborts. */
  stream(request: ChatRequest): AsyncIterable<ChatChunk>;
  /** The model ids the backend offers (for GET /providers). */
  listModels(): Promise<string[]>;
}

export type ProviderKind = 'openai' | 'gemini' | 'simulated';

/** Why a provider call failed; `retryable` ones may be retried or fall back before the first token. */
export class ProviderError extends Error {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** How long the provider asked us to wait before trying again (Retry-After), when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export type ProviderErrorCode =
  | 'rate_limited'
  | 'unavailable'
  | 'timeout'
  | 'bad_request'
  | 'authentication'
  | 'circuit_open'
  | 'interrupted'
  | 'unknown';

/** A model of a provider, as a persona's model policy names it. */
export interface ModelRef {
  readonly provider: string;
  readonly model: string;
}

/** How a persona's replies are generated: a primary model, then fallbacks in order. */
export interface ModelPolicy {
  readonly primary: ModelRef;
  readonly fallbacks: readonly ModelRef[];
  readonly temperature?: number;
  readonly maxReplyTokens?: number;
}
