import { FakeUpstream, type Exchange, type RecordedRequest, type StreamScript } from './fake-upstream.js';
import type { ProviderEntry } from './fake-providers.js';

export { type ExchangeOutcome, type RecordedRequest } from './fake-upstream.js';
export { within } from './waiting.js';

/** The fake server's model `gpt-fake` as a provider lists it: $2 and $10 per million input and output tokens. */
export const GPT_FAKE = { id: 'gpt-fake', contextWindow: 16_000, maxOutputTokens: 500, inputUsdPerMillion: 2, outputUsdPerMillion: 10 } as const;

/** GPT_FAKE as a persona's model policy (or DEFAULT_MODEL) names it, with fakeOpenAIProviders. */
export const FAKE_MODEL = { provider: 'fake', model: GPT_FAKE.id } as const;

/** Provider `fake` as a test configures it: its key, and what it changes of the defaults below. */
export type FakeOpenAIProvider = Partial<ProviderEntry> & { readonly apiKey: string };

/**
 * PROVIDERS for an application whose provider `fake` is the FakeOpenAIServer at `baseUrl`:
 * serving GPT_FAKE, with no retries (each attempt is one upstream request) unless `provider`
 * says otherwise.
 */
export function fakeOpenAIProviders(baseUrl: string, provider: FakeOpenAIProvider): string {
  return JSON.stringify([{ name: FAKE_MODEL.provider, kind: 'openai', baseUrl, maxRetries: 0, models: [GPT_FAKE], ...provider } satisfies ProviderEntry]);
}

/** The environment of an application answered by `upstream`: its PROVIDERS (fakeOpenAIProviders), and FAKE_MODEL by default. */
export const fakeOpenAIEnv = (upstream: FakeOpenAIServer, provider: FakeOpenAIProvider): Record<string, string> => ({
  PROVIDERS: fakeOpenAIProviders(upstream.baseUrl, provider),
  DEFAULT_MODEL: `${FAKE_MODEL.provider}/${FAKE_MODEL.model}`,
});

/** `usage` as the Chat Completions API reports it. */
export interface OpenAIWireUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens?: number;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number; readonly audio_tokens?: number };
  readonly completion_tokens_details?: { readonly reasoning_tokens?: number };
}

/** A tool call as OpenAI streams it: a first fragment with its id and name, then its JSON arguments in pieces. */
export interface OpenAIToolCallScript {
  readonly id: string;
  readonly name: string;
  /** Concatenated, the JSON arguments; each piece is a chunk of its own. */
  readonly argumentFragments: readonly string[];
}

export interface OpenAIReply extends StreamScript {
  /** Reported in the final chunk when the request asks for `stream_options.include_usage`; null never reports it. */
  readonly usage: OpenAIWireUsage | null;
  readonly finishReason: 'stop' | 'length' | 'content_filter' | 'tool_calls';
  /**
   * Streamed after the tokens, one call after the other, each fragment a chunk that counts as a
   * token for the timing, `stallAfter` and `destroyAfter` (set `finishReason: 'tool_calls'` too).
   */
  readonly toolCalls?: readonly OpenAIToolCallScript[];
}

interface ChatCompletionRequest {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

/**
 * A local server speaking OpenAI's Chat Completions wire protocol (`POST /v1/chat/completions`,
 * streamed as `data: {chunk}` events ending with `data: [DONE]`, plus `GET /v1/models`), so that
 * the real `openai` SDK and our adapter are both exercised. Also stands in for any
 * OpenAI-compatible server (Ollama, vLLM, OpenRouter...).
 */
export class FakeOpenAIServer extends FakeUpstream<OpenAIReply> {
  /** Answered by `GET /v1/models`. */
  models: string[] = ['gpt-fake', 'gpt-fake-mini'];

  private constructor(private readonly apiKey: string | undefined) {
    super({ usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 }, finishReason: 'stop' });
  }

  /** Starts on 127.0.0.1, port 0. With `apiKey`, other bearer tokens get 401 like OpenAI's. */
  static async start(options: { apiKey?: string } = {}): Promise<FakeOpenAIServer> {
    const server = new FakeOpenAIServer(options.apiKey);
    await server.listen();
    return server;
  }

  /** The base URL to configure: `http://127.0.0.1:port/v1`. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  override reset(defaults: Partial<OpenAIReply> = {}): void {
    super.reset({ toolCalls: undefined, ...defaults });
  }

  protected override errorBody(status: number): unknown {
    const [type, message] =
      status === 429
        ? ['rate_limit_error', 'Rate limit reached for requests']
        : status === 401
          ? ['invalid_request_error', 'Incorrect API key provided']
          : status >= 500
            ? ['server_error', 'The server had an error while processing your request']
            : ['invalid_request_error', 'Invalid request'];
    return { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } };
  }

  protected override async handle(request: RecordedRequest, reply: OpenAIReply, exchange: Exchange): Promise<void> {
    if (this.apiKey !== undefined && request.headers.authorization !== `Bearer ${this.apiKey}`) {
      exchange.json(401, this.errorBody(401));
      return;
    }
    const path = request.url.split('?')[0];
    if (request.method === 'GET' && path === '/v1/models') {
      exchange.json(200, { object: 'list', data: this.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })) });
      return;
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      exchange.json(404, { error: { message: `Unknown route ${request.method} ${path}`, type: 'invalid_request_error', param: null, code: null } });
      return;
    }
    const body = (request.body ?? {}) as ChatCompletionRequest;
    const model = body.model ?? 'unknown';
    const base = { id: 'chatcmpl-fake', created: 1_700_000_000, model, system_fingerprint: 'fp_fake' };
    const includeUsage = body.stream_options?.include_usage === true;
    const usage = reply.usage && { total_tokens: reply.usage.prompt_tokens + reply.usage.completion_tokens, ...reply.usage };
    if (body.stream !== true) {
      exchange.json(200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: reply.tokens.join(''), refusal: null }, logprobs: null, finish_reason: reply.finishReason }],
        ...(usage ? { usage } : {}),
      });
      return;
    }
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...(includeUsage ? { usage: null } : {}), ...extra });
    const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finishReason });
    await exchange.sse(
      {
        opening: [chunk([choice({ role: 'assistant', content: '', refusal: null })])],
        tokens: [
          ...reply.tokens.map((token) => chunk([choice({ content: token })])),
          ...(reply.toolCalls ?? []).flatMap(({ id, name, argumentFragments }, index) => [
            chunk([choice({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] })]),
            ...argumentFragments.map((fragment) => chunk([choice({ tool_calls: [{ index, function: { arguments: fragment } }] })])),
          ]),
        ],
        closing: [
          chunk([choice({}, reply.finishReason)]),
          ...(includeUsage && usage ? [chunk([], { usage })] : []),
          '[DONE]',
        ],
      },
      reply,
    );
  }
}
