import type { SttProviderConfig } from '#chorus/core';
import { FAKE_TRANSCRIPT, FakeSpeech, fakeAudio, speechFailure } from '../../../../test/support/fake-speech.js';
import type { AudioInput } from '../speech.types.js';
import { OpenAISpeechToText } from './openai-stt.js';

/** Through the real `openai` SDK against a fake speaking OpenAI's /v1/audio/transcriptions. */
describe('OpenAISpeechToText', () => {
  let fake: FakeSpeech;

  const whisper = (overrides: Partial<SttProviderConfig> = {}) =>
    new OpenAISpeechToText({
      name: 'whisper',
      kind: 'openai',
      baseUrl: fake.openaiBaseUrl,
      apiKey: 'sk-stt',
      model: 'whisper-1',
      timeoutMs: 5_000,
      breakerThreshold: 5,
      breakerCooldownMs: 30_000,
      usdPerMinute: 0.006,
      ...overrides,
    });
  const wav: AudioInput = { data: fakeAudio('wav'), contentType: 'audio/wav', filename: 'voice.wav', durationMs: 250 };
  const webm: AudioInput = { data: Buffer.from('\x1aE\xdf\xa3 webm clusters'), contentType: 'audio/webm', filename: 'voice.webm', durationMs: 1200 };
  const signal = () => AbortSignal.timeout(10_000);

  beforeAll(async () => {
    fake = await FakeSpeech.start({ openai: 'sk-stt' });
    // The SDK is imported once, before any call is timed (as the registry does): a cold import on a busy machine can take seconds.
    await whisper().prepare();
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await fake?.close();
  });

  it.each([
    ['a WAV', wav],
    ['a WebM', webm],
  ])('sends %s with its name and type, by which the server tells its format, and answers the transcript', async (_label, audio) => {
    fake.answer({ transcript: 'hello there' });
    await expect(whisper().transcribe(audio, signal())).resolves.toEqual({ text: 'hello there', provider: 'whisper', model: 'whisper-1' });

    const [request] = fake.requests;
    expect(request!.headers.authorization).toBe('Bearer sk-stt');
    expect(request!.fields).toEqual({ model: 'whisper-1' });
    expect(request!.file).toEqual({ filename: audio.filename, contentType: audio.contentType, size: audio.data.length });
  });

  it('speaks to a keyless compatible server named by its base URL (speaches, whisper.cpp)', async () => {
    const keyless = await FakeSpeech.start();
    try {
      const local = whisper({ apiKey: undefined, baseUrl: keyless.openaiBaseUrl, model: 'Systran/faster-whisper-small' });
      expect(await local.available()).toBe(true);
      expect((await local.transcribe(wav, signal())).text).toBe(FAKE_TRANSCRIPT);
      expect(keyless.requests[0]!.fields).toEqual({ model: 'Systran/faster-whisper-small' });
    } finally {
      await keyless.close();
    }
  });

  it('is unavailable without a key or a base URL, asking nothing', async () => {
    const unconfigured = whisper({ apiKey: undefined, baseUrl: undefined });
    expect(await unconfigured.available()).toBe(false);
    expect(await speechFailure(unconfigured.transcribe(wav, signal()))).toMatchObject({ reason: 'unavailable', provider: 'whisper' });
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    [401, 'failed', /refused its credentials \(HTTP 401\): check its API key/],
    [403, 'failed', /refused its credentials \(HTTP 403\)/],
    [429, 'failed', /rate limiting \(HTTP 429\), retry after 7 s/],
    [500, 'failed', /answered HTTP 500/],
    [503, 'failed', /answered HTTP 503/],
    [400, 'rejected', /Invalid input/],
    [413, 'rejected', /Invalid input/],
    [415, 'rejected', /Invalid input/],
  ] as const)('maps HTTP %i to %s, with the status, in one attempt', async (status, reason, message) => {
    fake.answer({ status, retryAfterSeconds: status === 429 ? 7 : undefined });
    const failure = await speechFailure(whisper().transcribe(wav, signal()));
    expect(failure).toMatchObject({ reason, provider: 'whisper', status });
    expect(failure.message).toMatch(message);
    expect(fake.requests).toHaveLength(1);
  });

  it('fails on a wrong key as OpenAI answers it', async () => {
    expect(await speechFailure(whisper({ apiKey: 'sk-wrong' }).transcribe(wav, signal()))).toMatchObject({ reason: 'failed', status: 401 });
  });

  it('gives up when its signal times out, closing the request', async () => {
    fake.answer({ hang: true });
    const failure = await speechFailure(whisper().transcribe(wav, AbortSignal.timeout(300)));
    expect(failure).toMatchObject({ reason: 'failed', status: undefined });
    expect(failure.message).toMatch(/did not answer in time/);
    expect(await fake.requests[0]!.ended).toBe('client_closed');
  });

  it("gives up after the instance's own timeout", async () => {
    fake.answer({ hang: true });
    // Its message is not checked: under Jest's VM the SDK cannot tell undici's abort (a DOMException
    // of another realm) for its timeout, and reports a connection error (Node reports the timeout).
    expect(await speechFailure(whisper({ timeoutMs: 300 }).transcribe(wav, signal()))).toMatchObject({ reason: 'failed' });
    expect(await fake.requests[0]!.ended).toBe('client_closed');
  });

  it('fails when nothing listens', async () => {
    const failure = await speechFailure(whisper({ baseUrl: 'http://127.0.0.1:9/v1' }).transcribe(wav, signal()));
    expect(failure).toMatchObject({ reason: 'failed' });
    expect(failure.message).toMatch(/could not be reached/);
  });
});
