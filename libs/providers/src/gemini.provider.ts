import type { Content, GenerateContentResponse, GenerateContentResponseUsageMetadata, GoogleGenAI, GoogleGenAIOptions } from '@google/genai';
import type { ProviderConfig } from '#chorus/core';
import { ProviderError, type ChatChunk, type ChatMessage, type ChatProvider, type ChatRequest, type ChatUsage, type FinishReason } from './chat-provider.js';
import { LazyModule } from './lazy-module.js';
import { describe, isAbortError, providerErrorForStatus, providerErrorForTransport } from './provider-errors.js';

/** Gemini's finish reasons that mean the reply was withheld or cut for its content. */
const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/** The SDK (several MB of code and heap, with Google's auth library) is imported when the first Gemini provider is set up. */
const sdk = new LazyModule(() => import('@google/genai'));

/**
 * Chat over Google's `@google/genai` SDK (the Gemini API). System messages become the system
 * instruction and assistant turns the `model` role. The SDK retries nothing unless asked to,
 * and the registry does the retrying.
 */
export class GeminiProvider implements ChatProvider {
  readonly kind = 'gemini' as const;
  readonly name: string;
  private readonly options: GoogleGenAIOptions;
  private client?: GoogleGenAI;

  constructor(config: ProviderConfig) {
    this.name = config.name;
    // Checked here, or the SDK would look for keys and a Vertex AI switch in the environment itself.
    if (!config.apiKey) throw new Error('a gemini provider needs an apiKey');
    this.options = {
      apiKey: config.apiKey,
      vertexai: false,
      httpOptions: {
        ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
        headers: { ...config.headers },
        // No `timeout`: the SDK's would also cut a long reply; the registry bounds each chunk instead.
        // The runtime's fetch, given explicitly: otherwise the SDK reaches for undici's global
        // dispatcher through a private symbol, which sandboxed realms (Jest's VM among them) lack.
        // Undici's own limits (300 s for headers, and between body chunks) are far above timeoutMs.
        fetch: (input, init) => fetch(input, init),
      },
    };
    // Imported now, in the background, so that the first reply does not wait for it; a failure shows at first use.
    sdk.load().catch(() => undefined);
  }

  private async connect(): Promise<GoogleGenAI> {
    if (!this.client) {
      const { GoogleGenAI: Client } = await sdk.load();
      this.client ??= new Client(this.options);
    }
    return this.client;
  }

  async listModels(): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const model of await (await this.connect()).models.list()) {
        if (model.name) ids.push(model.name.replace(/^models\//, ''));
      }
      return ids;
    } catch (error) {
      throw toProviderError(error, false);
    }
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatChunk> {
    // The SDK does not cancel the response body when its iterator is left early: our own signal does.
    const local = new AbortController();
    const signal = AbortSignal.any([request.signal, local.signal]);
    const { systemInstruction, contents } = toContents(request.messages);
    let finish: FinishReason | undefined;
    let usage: GenerateContentResponseUsageMetadata | undefined;
    let streamed = false;
    try {
      const client = await this.connect();
      const stream = await client.models.generateContentStream({
        model: request.model,
        contents,
        config: {
          ...(systemInstruction ? { systemInstruction } : {}),
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...(request.maxOutputTokens === undefined ? {} : { maxOutputTokens: request.maxOutputTokens }),
          abortSignal: signal,
        },
      });
      for await (const response of stream) {
        // Each chunk repeats the running totals; the last one is complete.
        if (response.usageMetadata) usage = response.usageMetadata;
        const text = textOf(response);
        if (text) {
          streamed = true;
          yield { type: 'delta', text };
        }
        const reason = response.candidates?.[0]?.finishReason ?? (response.promptFeedback?.blockReason ? 'SAFETY' : undefined);
        if (reason) finish = toFinishReason(reason);
      }
    } catch (error) {
      if (signal.aborted) return;
      if (!finish) throw toProviderError(error, streamed);
    } finally {
      local.abort();
    }
    if (request.signal.aborted) return;
    if (!finish) throw new ProviderError(streamed ? 'interrupted' : 'unavailable', 'The stream ended before the model finished its reply', !streamed);
    if (usage) yield { type: 'usage', usage: toChatUsage(usage) };
    yield { type: 'finish', reason: finish };
  }
}

/** Gemini takes the system prompt apart, and calls the assistant `model`; consecutive turns of one role are merged. */
function toContents(messages: readonly ChatMessage[]): { systemInstruction: string; contents: Content[] } {
  const system: string[] = [];
  const contents: Content[] = [];
  for (const message of messages) {
    if (message.role === 'system') {
      system.push(message.content);
      continue;
    }
    const role = message.role === 'assistant' ? 'model' : 'user';
    const previous = contents.at(-1);
    if (previous?.role === role) previous.parts = [...(previous.parts ?? []), { text: message.content }];
    else contents.push({ role, parts: [{ text: message.content }] });
  }
  return { systemInstruction: system.join('\n\n'), contents };
}

/** The reply text of a chunk, without the model's thought summaries. */
function textOf(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((part) => typeof part.text === 'string' && !part.thought)
    .map((part) => part.text)
    .join('');
}

/** Gemini counts thinking apart from the reply; both are billed as output, as OpenAI's completion tokens include reasoning. */
function toChatUsage(usage: GenerateContentResponseUsageMetadata): ChatUsage {
  const thoughts = usage.thoughtsTokenCount;
  return {
    inputTokens: usage.promptTokenCount ?? 0,
    outputTokens: (usage.candidatesTokenCount ?? 0) + (thoughts ?? 0),
    ...(usage.cachedContentTokenCount === undefined ? {} : { cachedInputTokens: usage.cachedContentTokenCount }),
    ...(thoughts === undefined ? {} : { reasoningTokens: thoughts }),
  };
}

function toFinishReason(reason: string): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return 'stop';
}

function toProviderError(error: unknown, midStream: boolean): ProviderError {
  if (error instanceof ProviderError) return error;
  if (sdk.loaded && error instanceof sdk.loaded.ApiError) {
    const body = parseErrorBody(error.message);
    return providerErrorForStatus(error.status, body?.message ?? error.message, body?.retryAfterMs);
  }
  if (isAbortError(error)) return providerErrorForTransport(error, midStream);
  return providerErrorForTransport(new Error(describe(error)), midStream);
}

/** The SDK puts the response body in the message: Google's `{ error: { message, details: [RetryInfo...] } }`. */
function parseErrorBody(text: string): { message?: string; retryAfterMs?: number } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = (parsed as { error?: { message?: unknown; details?: unknown } } | null)?.error;
  if (!error) return undefined;
  const details = Array.isArray(error.details) ? (error.details as Array<Record<string, unknown>>) : [];
  const delay = details.find((detail) => String(detail['@type']).endsWith('google.rpc.RetryInfo'))?.['retryDelay'];
  const seconds = typeof delay === 'string' ? Number.parseFloat(delay) : Number.NaN;
  return {
    message: typeof error.message === 'string' ? error.message : undefined,
    retryAfterMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined,
  };
}
