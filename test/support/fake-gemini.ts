import { FakeUpstream, type Exchange, type RecordedRequest, type StreamScript } from './fake-upstream.js';

export { type ExchangeOutcome, type RecordedRequest } from './fake-upstream.js';
export { within } from './waiting.js';

/** `usageMetadata` as the Gemini API reports it. */
export interface GeminiUsageMetadata {
  readonly promptTokenCount: number;
  readonly candidatesTokenCount: number;
  readonly totalTokenCount?: number;
  readonly cachedContentTokenCount?: number;
  readonly thoughtsTokenCount?: number;
}

/** A function call as Gemini sends it: whole, in one part (Gemini 3 signs the first call of a reply). */
export interface GeminiFunctionCallScript {
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly id?: string;
  readonly thoughtSignature?: string;
}

export interface GeminiReply extends StreamScript {
  /** Reported complete in the last chunk (earlier chunks carry running counts); null never reports it. */
  readonly usageMetadata: GeminiUsageMetadata | null;
  readonly finishReason: 'STOP' | 'MAX_TOKENS' | 'SAFETY' | 'OTHER';
  /** Thought summaries sent before the reply (parts with `thought: true`), which are not reply text. */
  readonly thoughts?: readonly string[];
  /**
   * Sent after the tokens, together in one chunk that counts as a token for the timing, `stallAfter`
   * and `destroyAfter`; the reply still ends with the finish reason (STOP, as Gemini's calling replies do).
   */
  readonly functionCalls?: readonly GeminiFunctionCallScript[];
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * A local server speaking the Gemini API's wire protocol:
 * `POST /{version}/models/{model}:streamGenerateContent?alt=sse` streamed as `data: {response}`
 * events with `candidates[].content.parts[].text` and `usageMetadata` (and `GET /{version}/models`),
 * so the real `@google/genai` SDK and our adapter are both exercised. Any API version is accepted
 * (the SDK's default changes between releases) and recorded in the request URL.
 */
export class FakeGeminiServer extends FakeUpstream<GeminiReply> {
  /** Answered by `GET /{version}/models`. */
  models: string[] = ['gemini-fake', 'gemini-fake-lite'];

  private constructor(private readonly apiKey: string | undefined) {
    super({ usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 13 }, finishReason: 'STOP' });
  }

  /** Starts on 127.0.0.1, port 0. With `apiKey`, requests with another `x-goog-api-key` get 400 like Google's. */
  static async start(options: { apiKey?: string } = {}): Promise<FakeGeminiServer> {
    const server = new FakeGeminiServer(options.apiKey);
    await server.listen();
    return server;
  }

  /** The base URL to configure (the SDK adds the version and path). */
  get baseUrl(): string {
    return this.origin;
  }

  override reset(defaults: Partial<GeminiReply> = {}): void {
    super.reset({ thoughts: undefined, functionCalls: undefined, ...defaults });
  }

  protected override errorBody(status: number): unknown {
    const message = status === 429 ? 'Resource has been exhausted (e.g. check quota).' : status >= 500 ? 'An internal error has occurred.' : 'Request failed.';
    return { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } };
  }

  protected override async handle(request: RecordedRequest, reply: GeminiReply, exchange: Exchange): Promise<void> {
    if (this.apiKey !== undefined && request.headers['x-goog-api-key'] !== this.apiKey) {
      // Google answers a wrong API key with 400 INVALID_ARGUMENT (API_KEY_INVALID).
      exchange.json(400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } });
      return;
    }
    const [path = '', query = ''] = request.url.split('?');
    if (request.method === 'GET' && /^\/[\w.]+\/models$/.test(path)) {
      exchange.json(200, { models: this.models.map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ['generateContent'] })) });
      return;
    }
    const route = /^\/[\w.]+\/models\/([^/:]+):streamGenerateContent$/.exec(path);
    if (request.method !== 'POST' || !route || !new URLSearchParams(query).has('alt', 'sse')) {
      exchange.json(404, { error: { code: 404, message: `Unknown route ${request.method} ${request.url}`, status: 'NOT_FOUND' } });
      return;
    }
    const modelVersion = decodeURIComponent(route[1]!);
    const usage = reply.usageMetadata && {
      totalTokenCount: reply.usageMetadata.promptTokenCount + reply.usageMetadata.candidatesTokenCount + (reply.usageMetadata.thoughtsTokenCount ?? 0),
      ...reply.usageMetadata,
    };
    const response = (parts: unknown[], finishReason?: string, usageMetadata?: unknown) =>
      JSON.stringify({
        candidates: [{ content: { parts, role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 }],
        ...(usageMetadata ? { usageMetadata } : {}),
        modelVersion,
        responseId: 'fake-response',
      });
    // Until the last chunk, the counts are running totals.
    const running = (tokens: number) =>
      usage ? { promptTokenCount: usage.promptTokenCount, candidatesTokenCount: tokens, totalTokenCount: usage.promptTokenCount + tokens } : undefined;
    await exchange.sse(
      {
        opening: (reply.thoughts ?? []).map((thought) => response([{ text: thought, thought: true }], undefined, running(0))),
        tokens: [
          ...reply.tokens.map((token, index) => response([{ text: token }], undefined, running(index + 1))),
          ...(reply.functionCalls ? [response(reply.functionCalls.map(toFunctionCallPart), undefined, running(reply.tokens.length))] : []),
        ],
        closing: [response([{ text: '' }], reply.finishReason, usage)],
      },
      reply,
      // Google's servers separate events with CRLF pairs.
      '\r\n\r\n',
    );
  }
}

function toFunctionCallPart({ name, args, id, thoughtSignature }: GeminiFunctionCallScript): unknown {
  return { functionCall: { name, args, ...(id ? { id } : {}) }, ...(thoughtSignature ? { thoughtSignature } : {}) };
}
