import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import busboy from 'busboy';
import { SpeechProviderError } from '../../libs/voice/src/speech.types.js';
import { ScriptedFake } from './scripted-fake.js';

/**
 * A fake of the speech providers on 127.0.0.1, speaking three wire protocols so that the real
 * SDKs and our adapters are both exercised:
 *
 * - OpenAI: `POST /v1/audio/transcriptions` (multipart: the file's name, type and size are
 *   recorded) and `POST /v1/audio/speech` (JSON: the bytes of `response_format`, or with
 *   `stream_format: 'sse'` the audio in `speech.audio.delta` events ended by `speech.audio.done`);
 * - ElevenLabs: `POST /v1/text-to-speech/{voice_id}` and `.../stream` (the bytes of the
 *   `output_format` query parameter) and `GET /v1/voices`;
 * - Gemini: `POST /{version}/models/{model}:generateContent`, answering the transcript as the
 *   model's text (fake-gemini.ts streams only).
 *
 * Each test scripts the answers (a transcript, an error status with Retry-After, a request left
 * hanging) and reads the requests received. It is not built on FakeUpstream, which reads bodies
 * as UTF-8 text (an upload's audio is binary) and scripts token streams.
 */

export type SpeechProtocol = 'openai' | 'elevenlabs' | 'gemini';

/** How a request is answered. */
export interface SpeechAnswer {
  /** The transcript (OpenAI transcriptions, Gemini). */
  readonly transcript?: string;
  /** An error of this status instead, in the protocol's error document. */
  readonly status?: number;
  /** Sent with `status` as Retry-After. */
  readonly retryAfterSeconds?: number;
  /** Never answered: the exchange ends when the client gives up. */
  readonly hang?: boolean;
  /** A speech event stream that ends without `speech.audio.done` (a connection cut short). */
  readonly cutShort?: boolean;
}

export interface SpeechRequest {
  readonly protocol: SpeechProtocol;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** A JSON body, parsed. */
  readonly json?: Record<string, unknown>;
  /** A multipart body's text fields (`model`...). */
  readonly fields?: Readonly<Record<string, string>>;
  /** A multipart body's file, as received. */
  readonly file?: { readonly filename: string; readonly contentType: string; readonly size: number };
  /** Resolves once the exchange is over: the whole response sent, or the client gone first. */
  readonly ended: Promise<'completed' | 'client_closed'>;
}

/** The formats answered, by the name OpenAI's `response_format` or the start of ElevenLabs' `output_format` gives. */
export type FakeAudioFormat = 'mp3' | 'opus' | 'wav' | 'pcm';

/** The bytes answered for a format: a valid WAV (0.25 s of silence), and recognisable stand-ins for the others. */
export function fakeAudio(format: FakeAudioFormat): Buffer {
  switch (format) {
    case 'wav': {
      const samples = Buffer.alloc(4000);
      const header = Buffer.alloc(44);
      header.write('RIFF', 0, 'latin1');
      header.writeUInt32LE(36 + samples.length, 4);
      header.write('WAVEfmt ', 8, 'latin1');
      header.writeUInt32LE(16, 16);
      header.writeUInt16LE(1, 20); // PCM
      header.writeUInt16LE(1, 22); // mono
      header.writeUInt32LE(8000, 24);
      header.writeUInt32LE(16_000, 28); // bytes per second
      header.writeUInt16LE(2, 32);
      header.writeUInt16LE(16, 34);
      header.write('data', 36, 'latin1');
      header.writeUInt32LE(samples.length, 40);
      return Buffer.concat([header, samples]);
    }
    case 'mp3':
      return Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), Buffer.from('fake mp3 frames '.repeat(8))]);
    case 'opus':
      return Buffer.concat([Buffer.from('OggS'), Buffer.from('fake opus pages '.repeat(8))]);
    case 'pcm':
      return Buffer.alloc(2000);
  }
}

/** The SpeechProviderError a call rejects with (failing the test when it resolves, or rejects with something else). */
export async function speechFailure(call: Promise<unknown>): Promise<SpeechProviderError> {
  const outcome = await call.then(
    () => new Error('expected a SpeechProviderError, but the call succeeded'),
    (error: unknown) => error,
  );
  if (outcome instanceof SpeechProviderError) return outcome;
  throw outcome;
}

/** What `GET /v1/voices` answers, as ElevenLabs sends it (its newer voices say their languages in `verified_languages`). */
export const FAKE_ELEVENLABS_VOICES = [
  { voice_id: 'JBFqnCBsd6RMkjVDRZzb', name: 'George', category: 'premade', labels: { accent: 'british', gender: 'male', language: 'en' } },
  { voice_id: 'XB0fDUnXU5powFXDhCwa', name: 'Charlotte', category: 'premade', labels: { gender: 'female' }, verified_languages: [{ language: 'fr', model_id: 'eleven_multilingual_v2' }] },
] as const;

/** The transcript answered unless a script says otherwise. */
export const FAKE_TRANSCRIPT = 'the weather is nice today';

const GOOGLE_STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

export class FakeSpeech extends ScriptedFake<SpeechAnswer, SpeechRequest> {
  private constructor(private readonly keys: { readonly openai?: string; readonly elevenlabs?: string; readonly gemini?: string }) {
    super({});
  }

  /** Starts on 127.0.0.1, port 0. A protocol given a key answers other keys as its provider does (401; Gemini: 400). `origin` is ElevenLabs' and Gemini's base URL (their SDKs add the version). */
  static start(keys: { openai?: string; elevenlabs?: string; gemini?: string } = {}): Promise<FakeSpeech> {
    return new FakeSpeech(keys).listen();
  }

  protected async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const protocol = protocolOf(request.method ?? 'GET', url.pathname);
    const ended = new Promise<'completed' | 'client_closed'>((resolve) => response.on('close', () => resolve(response.writableFinished ? 'completed' : 'client_closed')));
    if (!protocol) {
      await drain(request);
      return send(response, 404, { error: { message: `No route ${request.method} ${url.pathname}` } });
    }
    const body: Pick<SpeechRequest, 'json' | 'fields' | 'file'> = (request.headers['content-type'] ?? '').startsWith('multipart/form-data')
      ? await readMultipart(request)
      : await readJson(request);
    this.record({ protocol, method: request.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: request.headers, ...body, ended });

    const answer = this.takeAnswer();
    if (answer.hang) {
      await ended;
      return;
    }
    if (!this.authorised(protocol, request.headers)) return this.fail(response, protocol, protocol === 'gemini' ? 400 : 401, 'invalid key');
    if (answer.status) return this.fail(response, protocol, answer.status, undefined, answer.retryAfterSeconds);
    const json = body.json ?? {};
    const transcript = answer.transcript ?? FAKE_TRANSCRIPT;
    if (protocol === 'gemini') return send(response, 200, geminiAnswer(transcript, url.pathname));
    if (protocol === 'openai' && url.pathname === '/v1/audio/transcriptions') return send(response, 200, { text: transcript });
    if (protocol === 'openai') return speech(response, fakeAudio(openAIFormat(json['response_format'])), json['stream_format'] === 'sse', answer.cutShort === true);
    if (url.pathname === '/v1/voices') return send(response, 200, { voices: FAKE_ELEVENLABS_VOICES });
    const format = elevenLabsFormat(url.searchParams.get('output_format'));
    response.writeHead(200, { 'content-type': format === 'mp3' ? 'audio/mpeg' : format === 'opus' ? 'audio/ogg' : format === 'wav' ? 'audio/wav' : 'audio/pcm' });
    response.end(fakeAudio(format));
  }

  private authorised(protocol: SpeechProtocol, headers: IncomingHttpHeaders): boolean {
    const key = this.keys[protocol];
    if (key === undefined) return true;
    if (protocol === 'openai') return headers.authorization === `Bearer ${key}`;
    return headers[protocol === 'elevenlabs' ? 'xi-api-key' : 'x-goog-api-key'] === key;
  }

  /** An error as each provider words it. */
  private fail(response: ServerResponse, protocol: SpeechProtocol, status: number, reason?: string, retryAfterSeconds?: number): void {
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
    const message =
      reason === 'invalid key'
        ? protocol === 'gemini'
          ? 'API key not valid. Please pass a valid API key.'
          : 'Invalid API key'
        : status === 429
          ? 'Rate limit reached'
          : status >= 500
            ? 'The server had an error while processing your request'
            : 'Invalid input';
    if (protocol === 'openai') return send(response, status, { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null } }, headers);
    if (protocol === 'gemini') return send(response, status, { error: { code: status, message, status: GOOGLE_STATUS_NAMES[status] ?? 'UNKNOWN' } }, headers);
    if (status === 422) return send(response, status, { detail: [{ loc: ['body', 'text'], msg: message, type: 'value_error' }] }, headers);
    return send(response, status, { detail: { status: reason === 'invalid key' ? 'invalid_api_key' : 'error', message } }, headers);
  }
}

function protocolOf(method: string, path: string): SpeechProtocol | undefined {
  if (method === 'POST' && (path === '/v1/audio/transcriptions' || path === '/v1/audio/speech')) return 'openai';
  if ((method === 'POST' && /^\/v1\/text-to-speech\/[^/]+(\/stream)?$/.test(path)) || (method === 'GET' && path === '/v1/voices')) return 'elevenlabs';
  if (method === 'POST' && /^\/[\w.]+\/models\/[^/:]+:generateContent$/.test(path)) return 'gemini';
  return undefined;
}

/** OpenAI's `response_format` (mp3 unless given), as one of the fake's formats. */
function openAIFormat(value: unknown): FakeAudioFormat {
  return value === 'opus' || value === 'wav' || value === 'pcm' ? value : 'mp3';
}

/** ElevenLabs' `output_format` (`mp3_44100_128` unless given) by its codec. */
function elevenLabsFormat(value: string | null): FakeAudioFormat {
  const codec = (value ?? 'mp3_44100_128').split('_')[0];
  return codec === 'opus' || codec === 'wav' || codec === 'pcm' ? codec : 'mp3';
}

/** The audio: whole, or in three `speech.audio.delta` events (base64) and `speech.audio.done` with usage. */
function speech(response: ServerResponse, audio: Buffer, events: boolean, cutShort: boolean): void {
  if (!events) {
    response.writeHead(200, { 'content-type': 'audio/mpeg' });
    response.end(audio);
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const third = Math.ceil(audio.length / 3);
  for (let offset = 0; offset < audio.length; offset += third) {
    response.write(`data: ${JSON.stringify({ type: 'speech.audio.delta', audio: audio.subarray(offset, offset + third).toString('base64') })}\n\n`);
  }
  if (!cutShort) response.write(`data: ${JSON.stringify({ type: 'speech.audio.done', usage: { input_tokens: 14, output_tokens: 101, total_tokens: 115 } })}\n\n`);
  response.end();
}

function geminiAnswer(transcript: string, path: string): unknown {
  return {
    candidates: [{ content: { parts: [{ text: transcript }], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 180, candidatesTokenCount: 6, totalTokenCount: 186 },
    modelVersion: decodeURIComponent(/models\/([^/:]+):/.exec(path)![1]!),
    responseId: 'fake-transcription',
  };
}

async function drain(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readJson(request: IncomingMessage): Promise<Pick<SpeechRequest, 'json'>> {
  const text = (await drain(request)).toString('utf8');
  return text ? { json: JSON.parse(text) as Record<string, unknown> } : {};
}

/** The fields and the file of a multipart body, the file's bytes counted. */
function readMultipart(request: IncomingMessage): Promise<Pick<SpeechRequest, 'fields' | 'file'>> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: SpeechRequest['file'];
    const parser = busboy({ headers: request.headers });
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (_name, stream, info) => {
      let size = 0;
      stream.on('data', (chunk: Buffer) => (size += chunk.length));
      stream.on('end', () => (file = { filename: info.filename ?? '', contentType: info.mimeType, size }));
    });
    parser.on('close', () => resolve({ fields, ...(file ? { file } : {}) }));
    parser.on('error', reject);
    request.pipe(parser);
  });
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
