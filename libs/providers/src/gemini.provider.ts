import type { Content, FunctionCall, GenerateContentResponse, GenerateContentResponseUsageMetadata, GoogleGenAI, GoogleGenAIOptions, Part, Tool } from '@google/genai';
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
import { describe, isAbortError, providerErrorForStatus, providerErrorForTransport } from './provider-errors.js';

/** Gemini's finish reasons that mean the reply was withheld or cut for its content. */
const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/**
 * Google's documented stand-in for a thought signature we do not have (a call stored without
 * one): Gemini 3 refuses a function call in the history without a signature.
 */
const UNKNOWN_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

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
    let calls = 0;
    try {
      const client = await this.connect();
      const stream = await client.models.generateContentStream({
        model: request.model,
        contents,
        config: {
          ...(systemInstruction ? { systemInstruction } : {}),
          ...(request.tools?.length ? { tools: toTools(request.tools) } : {}),
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
        // Gemini sends each call whole, in one part.
        for (const part of response.candidates?.[0]?.content?.parts ?? []) {
          if (!part.functionCall) continue;
          streamed = true;
          calls += 1;
          yield { type: 'tool_call', call: toToolCall(part.functionCall, part.thoughtSignature, calls) };
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
    // Gemini ends a reply that calls a function with STOP.
    yield { type: 'finish', reason: calls > 0 && finish === 'stop' ? 'tool_calls' : finish };
  }
}

/**
 * Gemini takes the system prompt apart, calls the assistant `model`, and takes tool results as
 * the user's `functionResponse` parts, named after the call they answer; consecutive turns of
 * one role are merged.
 */
function toContents(messages: readonly ChatMessage[]): { systemInstruction: string; contents: Content[] } {
  const system: string[] = [];
  const contents: Content[] = [];
  // The latest call of each id: a generated id (`call_1`) comes back in every reply that calls.
  const callNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role === 'system') {
      system.push(message.content);
      continue;
    }
    for (const call of message.toolCalls ?? []) callNames.set(call.id, call.name);
    const role = message.role === 'assistant' ? 'model' : 'user';
    const parts = toParts(message, callNames);
    const previous = contents.at(-1);
    if (previous?.role === role) previous.parts = [...(previous.parts ?? []), ...parts];
    else contents.push({ role, parts });
  }
  return { systemInstruction: system.join('\n\n'), contents };
}

function toParts(message: ChatMessage, callNames: ReadonlyMap<string, string>): Part[] {
  if (message.role === 'tool') {
    const name = message.toolCallId === undefined ? undefined : callNames.get(message.toolCallId);
    if (!name) throw new ProviderError('bad_request', 'A tool result answers no earlier tool call', false);
    return [{ functionResponse: { id: message.toolCallId, name, response: { result: message.content } } }];
  }
  const attached: Part[] = [
    ...(message.images ?? []).map((image) => ({ inlineData: { mimeType: image.mediaType, data: image.data.toString('base64') } })),
    ...(message.toolCalls ?? []).map((call, index) => {
      // Gemini signs the first call of a reply only, and requires that one's signature back.
      const signature = call.signature || (index === 0 ? UNKNOWN_THOUGHT_SIGNATURE : undefined);
      return { functionCall: { id: call.id, name: call.name, args: parseArguments(call.arguments) }, ...(signature ? { thoughtSignature: signature } : {}) };
    }),
  ];
  return message.content || attached.length === 0 ? [{ text: message.content }, ...attached] : attached;
}

function toTools(tools: readonly ChatTool[]): Tool[] {
  return [{ functionDeclarations: tools.map((tool) => ({ name: tool.name, description: tool.description, parametersJsonSchema: tool.parameters })) }];
}

/** A call as the contract has it: its id (Gemini's, or `call_<n>` by its place in the reply) and its arguments as JSON text. */
function toToolCall(call: FunctionCall, signature: string | undefined, position: number): ChatToolCall {
  return {
    id: call.id || `call_${position}`,
    name: call.name ?? '',
    arguments: JSON.stringify(call.args ?? {}),
    ...(signature ? { signature } : {}),
  };
}

/**
 * Gemini takes a call's arguments as an object. A call whose text is not one (another provider's
 * model may have written broken JSON earlier in the conversation) goes without arguments rather
 * than making the conversation impossible to continue.
 */
function parseArguments(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: sent without arguments, as below.
  }
  return {};
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
