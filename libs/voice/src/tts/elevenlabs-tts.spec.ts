import type { TtsProviderConfig } from '#chorus/core';
import { FAKE_ELEVENLABS_VOICES, FakeSpeech, fakeAudio, speechFailure } from '../../../../test/support/fake-speech.js';
import type { SynthesisRequest } from '../speech.types.js';
import { ElevenLabsTextToSpeech } from './elevenlabs-tts.js';

/** Through the real `@elevenlabs/elevenlabs-js` SDK against a fake speaking ElevenLabs' text-to-speech and voices API. */
describe('ElevenLabsTextToSpeech', () => {
  let fake: FakeSpeech;

  const elevenlabs = (overrides: Partial<TtsProviderConfig> = {}) =>
    new ElevenLabsTextToSpeech({
      name: 'elevenlabs',
      kind: 'elevenlabs',
      baseUrl: fake.origin,
      apiKey: 'xi-key',
      model: 'eleven_flash_v2_5',
      timeoutMs: 5_000,
      breakerThreshold: 5,
      breakerCooldownMs: 30_000,
      usdPerMillionCharacters: 50,
      defaultVoice: 'JBFqnCBsd6RMkjVDRZzb',
      ...overrides,
    });
  const request = (overrides: Partial<SynthesisRequest> = {}): SynthesisRequest => ({
    text: 'The weather is nice today.',
    voice: { voiceId: 'JBFqnCBsd6RMkjVDRZzb', stability: 0.4, speed: 1.1, instructions: 'ignored here' },
    format: 'mp3',
    ...overrides,
  });
  const signal = () => AbortSignal.timeout(10_000);

  beforeAll(async () => {
    fake = await FakeSpeech.start({ elevenlabs: 'xi-key' });
    // The SDK is imported once, before any call is timed (as the registry does): a cold import on a busy machine can take seconds.
    await elevenlabs().prepare();
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await fake?.close();
  });

  it.each([
    ['mp3', 'mp3_44100_128', 'audio/mpeg'],
    ['opus', 'opus_48000_64', 'audio/ogg'],
    ['wav', 'wav_24000', 'audio/wav'],
  ] as const)('asks for %s as output_format=%s in the query, and answers its bytes as %s', async (format, outputFormat, contentType) => {
    const synthesis = await elevenlabs().synthesize(request({ format }), signal());
    expect(synthesis).toEqual({ audio: fakeAudio(format), contentType });

    const [received] = fake.requests;
    expect(received!.path).toBe('/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb');
    expect(received!.query.get('output_format')).toBe(outputFormat);
    expect(received!.headers['xi-api-key']).toBe('xi-key');
    expect(received!.json).toEqual({ text: 'The weather is nice today.', model_id: 'eleven_flash_v2_5', voice_settings: { stability: 0.4, speed: 1.1 } });
  });

  it("sends no voice settings when the voice has none (the voice's own apply)", async () => {
    await elevenlabs().synthesize(request({ voice: { voiceId: 'XB0fDUnXU5powFXDhCwa' } }), signal());
    expect(fake.requests[0]!.json).toEqual({ text: 'The weather is nice today.', model_id: 'eleven_flash_v2_5' });
  });

  it('lists the voices of the account from GET /v1/voices, with their languages, and keeps them for a while', async () => {
    const voices = await elevenlabs().voices(signal());
    expect(voices).toEqual([
      { provider: 'elevenlabs', voiceId: FAKE_ELEVENLABS_VOICES[0].voice_id, name: 'George', language: 'en' },
      { provider: 'elevenlabs', voiceId: FAKE_ELEVENLABS_VOICES[1].voice_id, name: 'Charlotte', language: 'fr' },
    ]);
    expect(fake.requests.map((received) => `${received.method} ${received.path}`)).toEqual(['GET /v1/voices']);
    expect(fake.requests[0]!.headers['xi-api-key']).toBe('xi-key');

    const cached = elevenlabs();
    await cached.voices(signal());
    await cached.voices(signal());
    expect(fake.requests).toHaveLength(2);
  });

  it('is unavailable without a key, asking nothing', async () => {
    const keyless = elevenlabs({ apiKey: undefined });
    expect(await keyless.available()).toBe(false);
    expect(await speechFailure(keyless.synthesize(request(), signal()))).toMatchObject({ reason: 'unavailable', provider: 'elevenlabs' });
    expect(fake.requests).toHaveLength(0);
  });

  it('fails on a wrong key as ElevenLabs answers it, naming the key', async () => {
    const failure = await speechFailure(elevenlabs({ apiKey: 'xi-wrong' }).synthesize(request(), signal()));
    expect(failure).toMatchObject({ reason: 'failed', status: 401 });
    expect(failure.message).toMatch(/refused its credentials \(HTTP 401\): check its API key\. Invalid API key/);
  });

  it.each([
    [429, 'failed', /rate limiting \(HTTP 429\), retry after 5 s: Rate limit reached/],
    [500, 'failed', /answered HTTP 500/],
    [422, 'rejected', /^Invalid input$/],
    [400, 'rejected', /^Invalid input$/],
  ] as const)('maps HTTP %i to %s, with the status and what ElevenLabs said, in one attempt', async (status, reason, message) => {
    fake.answer({ status, retryAfterSeconds: status === 429 ? 5 : undefined });
    const failure = await speechFailure(elevenlabs().synthesize(request(), signal()));
    expect(failure).toMatchObject({ reason, provider: 'elevenlabs', status });
    expect(failure.message).toMatch(message);
    expect(fake.requests).toHaveLength(1);
  });

  it('fails to list voices when ElevenLabs fails, and asks again next time', async () => {
    fake.answerNext({ status: 500 });
    const tts = elevenlabs();
    expect(await speechFailure(tts.voices(signal()))).toMatchObject({ reason: 'failed', status: 500 });
    expect(await tts.voices(signal())).toHaveLength(2);
  });

  // The SDK leaves its own timer running after a request that got no answer: these tests keep it
  // short, or it would hold Jest open after the last test.

  it('gives up when its signal times out, closing the request', async () => {
    fake.answer({ hang: true });
    const failure = await speechFailure(elevenlabs({ timeoutMs: 600 }).synthesize(request(), AbortSignal.timeout(300)));
    expect(failure).toMatchObject({ reason: 'failed' });
    expect(failure.message).toMatch(/did not answer in time/);
    expect(await fake.requests[0]!.ended).toBe('client_closed');
  });

  it("gives up after the instance's own timeout", async () => {
    fake.answer({ hang: true });
    const failure = await speechFailure(elevenlabs({ timeoutMs: 300 }).synthesize(request(), signal()));
    expect(failure).toMatchObject({ reason: 'failed', status: undefined });
    expect(failure.message).toMatch(/did not answer within 300 ms/);
    expect(await fake.requests[0]!.ended).toBe('client_closed');
  });

  it('fails when nothing listens', async () => {
    const failure = await speechFailure(elevenlabs({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 300 }).synthesize(request(), signal()));
    expect(failure).toMatchObject({ reason: 'failed', status: undefined });
    expect(failure.message).toMatch(/could not be reached/);
  });
});
