import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScriptedFake } from './scripted-fake.js';

/**
 * A fake moderation service on 127.0.0.1 speaking two wire protocols, so that the real SDKs and
 * our adapters are both exercised: OpenAI's `POST /v1/moderations`, and Rekognition's JSON
 * protocol (`POST /` with `X-Amz-Target: RekognitionService.DetectModerationLabels`). Each test
 * scripts the answer (clean, flagged, an error status, slow) and reads the requests it got.
 */

/** OpenAI's categories, each scored in every answer. */
export const OPENAI_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/instructions',
  'self-harm/intent',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;

/** What an unremarkable input scores for every category. */
export const CLEAN_SCORE = 0.0002;

export interface RekognitionLabel {
  readonly Name: string;
  readonly ParentName: string;
  readonly Confidence: number;
  readonly TaxonomyLevel?: number;
}

/** How requests are answered. */
export interface ModerationAnswer {
  /** OpenAI: scores for these categories (the others score CLEAN_SCORE). */
  readonly scores?: Readonly<Record<string, number>>;
  /** Rekognition: these labels. */
  readonly labels?: readonly RekognitionLabel[];
  /** An error of this status instead (a 5xx: the service is down). */
  readonly status?: number;
  /** Waits this long before answering (a slow service). */
  readonly delayMs?: number;
}

export interface ModerationRequest {
  readonly protocol: 'openai' | 'rekognition';
  readonly headers: IncomingHttpHeaders;
  /** The JSON body, parsed. */
  readonly body: Record<string, unknown>;
  /** The image sent, decoded (an OpenAI data URL's, or Rekognition's `Image.Bytes`). */
  readonly image?: { readonly type: string | undefined; readonly bytes: Buffer };
  /** The text sent to OpenAI. */
  readonly text?: string;
}

const REKOGNITION_TARGET = 'RekognitionService.DetectModerationLabels';

export class FakeModeration extends ScriptedFake<ModerationAnswer, ModerationRequest> {
  private constructor() {
    super({});
  }

  /** Starts on 127.0.0.1, port 0; `origin` is Rekognition's endpoint. `{}` answers are clean. */
  static start(): Promise<FakeModeration> {
    return new FakeModeration().listen();
  }

  protected async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const target = request.headers['x-amz-target'];
    const protocol = request.method === 'POST' && request.url === '/v1/moderations' ? 'openai' : request.method === 'POST' && request.url === '/' && target ? 'rekognition' : undefined;
    if (!protocol) return send(response, 404, 'application/json', { error: { message: `No route ${request.method} ${request.url}` } });
    if (protocol === 'rekognition' && (target !== REKOGNITION_TARGET || request.headers['content-type'] !== 'application/x-amz-json-1.1')) {
      return send(response, 400, 'application/x-amz-json-1.1', { __type: 'UnknownOperationException', message: `Unexpected ${String(target)}` });
    }
    this.record({ protocol, headers: request.headers, body, ...inputOf(protocol, body) });
    const answer = this.takeAnswer();
    if (answer.delayMs) {
      const gone = new AbortController();
      response.on('close', () => gone.abort());
      await sleep(answer.delayMs, undefined, { signal: gone.signal }).catch(() => undefined);
    }
    // The client gave up waiting: there is no one to answer.
    if (response.destroyed) return;
    if (protocol === 'openai') {
      if (answer.status) return send(response, answer.status, 'application/json', { error: { message: 'The server had an error processing your request.', type: 'server_error', code: null } });
      return send(response, 200, 'application/json', openaiAnswer(answer.scores ?? {}));
    }
    if (answer.status) {
      return send(response, answer.status, 'application/x-amz-json-1.1', { __type: 'InternalServerError', message: 'Internal server error' }, { 'x-amzn-errortype': 'InternalServerError' });
    }
    return send(response, 200, 'application/x-amz-json-1.1', { ModerationLabels: answer.labels ?? [], ModerationModelVersion: '7.0' });
  }
}

/** The image or text a request carries. */
function inputOf(protocol: ModerationRequest['protocol'], body: Record<string, unknown>): Pick<ModerationRequest, 'image' | 'text'> {
  if (protocol === 'rekognition') {
    const bytes = (body['Image'] as { Bytes?: string } | undefined)?.Bytes;
    return bytes ? { image: { type: undefined, bytes: Buffer.from(bytes, 'base64') } } : {};
  }
  const input = body['input'];
  const parts = (typeof input === 'string' ? [{ type: 'text', text: input }] : (input as Array<Record<string, unknown>>)) ?? [];
  const text = parts.find((part) => part['type'] === 'text')?.['text'] as string | undefined;
  const url = (parts.find((part) => part['type'] === 'image_url')?.['image_url'] as { url?: string } | undefined)?.url;
  const dataUrl = url && /^data:([^;]+);base64,(.*)$/s.exec(url);
  return { ...(text === undefined ? {} : { text }), ...(dataUrl ? { image: { type: dataUrl[1], bytes: Buffer.from(dataUrl[2]!, 'base64') } } : {}) };
}

function openaiAnswer(scores: Readonly<Record<string, number>>): unknown {
  const categoryScores = Object.fromEntries(OPENAI_CATEGORIES.map((category) => [category, scores[category] ?? CLEAN_SCORE]));
  const categories = Object.fromEntries(OPENAI_CATEGORIES.map((category) => [category, categoryScores[category]! >= 0.5]));
  const appliedTypes = Object.fromEntries(OPENAI_CATEGORIES.map((category) => [category, ['image']]));
  return {
    id: 'modr-fake',
    model: 'omni-moderation-latest',
    results: [{ flagged: Object.values(categories).some(Boolean), categories, category_scores: categoryScores, category_applied_input_types: appliedTypes }],
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': contentType, ...headers });
  response.end(JSON.stringify(body));
}
