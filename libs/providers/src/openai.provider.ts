import type OpenAI from 'openai';
import type { ClientOptions } from 'openai';
import type { ProviderConfig } from '#chorus/core';
import {
  ProviderError,
  type ChatChunk,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ChatTool,
  type ChatToolCall,
  type ChatUsage,
  type FinishReason,
} from './chat-provider.js';
import { LazyModule } from './lazy-module.js';
import { describe, isAbortError, providerErrorForStatus, providerErrorForTransport, retryAfterMs } from './provider-errors.js';

/** api.openai.com, the base URL the SDK uses when none is configured. */
const OPENAI_HOST = 'api.openai.com';

/** The SDK (several MB of code and heap) is imported when the first OpenAI provider is set up. */
const sdk = new LazyModule(() => import('openai'));

/**
 * Chat over the official `openai` SDK: OpenAI itself, or any OpenAI-compatible server (OpenRouter,
 * Ollama, vLLM, LM Studio, Groq...) named by its base URL. The SDK's own retries are off: the
 * registry retries, because only it knows whether a token has already reached the user.
 */
export class OpenAIProvider implements ChatProvider {
  readonly kind = 'openai' as const;
  readonly name: string;
  private readonly options: ClientOptions;
  private client?: OpenAI;
  /** OpenAI deprecated `max_tokens` (its reasoning models refuse it); many compatible servers only know it. */
  private readonly limitField: 'max_completion_tokens' | 'max_tokens';

  constructor(config: ProviderConfig) {
    this.name = config.name;
    if (!config.apiKey && !config.baseUrl) throw new Error('an openai provider needs an apiKey (or the baseUrl of a server that needs none)');
    this.options = {
      // Keyless local servers (Ollama, vLLM) ignore the key, but the SDK insists on one; it must
      // not fall back to reading OPENAI_API_KEY itself, as configuration is read in one place.
      apiKey: config.apiKey ?? 'unused',
      baseURL: config.baseUrl ?? `https://${OPENAI_HOST}/v1`,
      defaultHeaders: { ...config.headers },
      maxRetries: 0,
      // Bounds connecting and the response headers; the registry bounds the wait for each chunk.
      timeout: config.timeoutMs > 0 ? config.timeoutMs : undefined,
    };
    this.limitField = new URL(config.baseUrl ?? `https://${OPENAI_HOST}`).hostname === OPENAI_HOST ? 'max_completion_tokens' : 'max_tokens';
    // Imported now, in the background, so that the first reply does not wait for it; a failure shows at first use.
    sdk.load().catch(() => undefined);
  }

  private async connect(): Promise<OpenAI> {
    if (!this.client) {
      const { default: Client } = await sdk.load();
      this.client ??= new Client(this.options);
    }
    return this.client;
  }

  async listModels(): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const model of (await this.connect()).models.list()) ids.push(model.id);
      return ids;
    } catch (error) {
      throw toProviderError(error, false);
    }
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatChunk> {
    // Our own controller as well as the caller's: leaving the loop early must close the connection too.
    const local = new AbortController();
    const signal = AbortSignal.any([request.signal, local.signal]);
    let finish: FinishReason | undefined;
    let usage: ChatUsage | undefined;
    let streamed = false;
    const calls = new ToolCallAssembler();
    try {
      const client = await this.connect();
      const stream = await client.chat.completions.create(
        {
          model: request.model,
          messages: request.messages.map(toMessageParam),
          ...(request.tools?.length ? { tools: request.tools.map(toToolParam) } : {}),
          stream: true,
          stream_options: { include_usage: true },
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...(request.maxOutputTokens === undefined ? {} : { [this.limitField]: request.maxOutputTokens }),
        },
        { signal },
      );
      for await (const chunk of stream) {
        if (chunk.usage) usage = toChatUsage(chunk.usage);
        const choice = chunk.choices[0];
        const text = choice?.delta?.content;
        if (text) {
          streamed = true;
          yield { type: 'delta', text };
        }
        for (const fragment of choice?.delta?.tool_calls ?? []) {
          streamed = true;
          calls.add(fragment);
        }
        if (choice?.finish_reason) {
          const completed = calls.complete();
          for (const call of completed) yield { type: 'tool_call', call };
          // Some compatible servers (older Ollama) end a tool call with `stop`.
          finish = completed.length > 0 && choice.finish_reason === 'stop' ? 'tool_calls' : toFinishReason(choice.finish_reason);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      // A connection dropped after the last token but before the usage chunk still finished the reply.
      if (!finish) throw toProviderError(error, streamed);
    } finally {
      local.abort();
    }
    // Cancelled: the SDK ends its stream quietly; the registry reports the cancellation.
    if (request.signal.aborted) return;
    if (!finish) throw new ProviderError(streamed ? 'interrupted' : 'unavailable', 'The stream ended before the model finished its reply', !streamed);
    if (usage) yield { type: 'usage', usage };
    yield { type: 'finish', reason: finish };
  }
}

/** Our message as the Chat Completions API takes it: images as data URLs, tool calls and results by call id. */
function toMessageParam(message: ChatMessage): OpenAI.ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      if (!message.images?.length) return { role: 'user', content: message.content };
      return {
        role: 'user',
        content: [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...message.images.map((image) => ({
            type: 'image_url' as const,
            image_url: { url: `data:${image.mediaType};base64,${image.data.toString('base64')}` },
          })),
        ],
      };
    case 'assistant':
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
      };
    case 'tool':
      if (!message.toolCallId) throw new ProviderError('bad_request', 'A tool result does not name the call it answers', false);
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toToolParam(tool: ChatTool): OpenAI.ChatCompletionTool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/**
 * Puts streamed tool calls together: each arrives in fragments tagged with its index, the id and
 * name in the first, the JSON arguments in pieces over the following ones.
 */
class ToolCallAssembler {
  private readonly pending = new Map<number, { id: string; name: string; arguments: string }>();

  add(fragment: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall): void {
    const call = this.pending.get(fragment.index) ?? { id: '', name: '', arguments: '' };
    call.id ||= fragment.id ?? '';
    call.name ||= fragment.function?.name ?? '';
    call.arguments += fragment.function?.arguments ?? '';
    this.pending.set(fragment.index, call);
  }

  /** The calls received so far, in index order; the model has finished them. */
  complete(): ChatToolCall[] {
    const calls = [...this.pending.entries()].sort(([left], [right]) => left - right).map(([, call]) => call);
    this.pending.clear();
    return calls;
  }
}

function toChatUsage(usage: OpenAI.CompletionUsage): ChatUsage {
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    ...(cached === undefined || cached === null ? {} : { cachedInputTokens: cached }),
    ...(reasoning === undefined || reasoning === null ? {} : { reasoningTokens: reasoning }),
  };
}

function toFinishReason(reason: string): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'content_filter';
  if (reason === 'tool_calls') return 'tool_calls';
  return 'stop';
}

function toProviderError(error: unknown, midStream: boolean): ProviderError {
  if (error instanceof ProviderError) return error;
  if (sdk.loaded && error instanceof sdk.loaded.APIConnectionTimeoutError) return new ProviderError('timeout', 'The provider did not answer in time', true);
  if ((sdk.loaded && error instanceof sdk.loaded.APIConnectionError) || isAbortError(error)) return providerErrorForTransport(error, midStream);
  if (sdk.loaded && error instanceof sdk.loaded.APIError) {
    // An error event inside a 200 stream has no status (OpenRouter reports upstream failures so).
    if (error.status === undefined) return providerErrorForTransport(error, midStream);
    return providerErrorForStatus(error.status, error.message, retryAfterMs(error.headers));
  }
  return providerErrorForTransport(new Error(describe(error)), midStream);
}
