import type { TtsProviderConfig } from '#chorus/core';
import { FakeSpeech, fakeAudio, speechFailure } from '../../../../test/support/fake-speech.js';
import type { SynthesisRequest } from '../speech.types.js';
import { OpenAITextToSpeech } from './openai-tts.js';

/** Through the real `openai` SDK against a fake speaking OpenAI's /v1/audio/speech (bytes, or server-sent events). */
describe('OpenAITextToSpeech', () => {
  let fake: FakeSpeech;

  const openai = (model: string, overrides: Partial<TtsProviderConfig> = {}) =>
    new OpenAITextToSpeech({
      name: 'openai',
      kind: 'openai',
      baseUrl: fake.openaiBaseUrl,
      apiKey: 'sk-tts',
      model,
      timeoutMs: 5_000,
      breakerThreshold: 5,
      breakerCooldownMs: 30_000,
      usdPerMillionCharacters: 15,
      defaultVoice: 'alloy',
      ...overrides,
    });
  const request = (overrides: Partial<SynthesisRequest> = {}): SynthesisRequest => ({
    text: 'The weather is nice today.',
    voice: { voiceId: 'coral', speed: 1.25, instructions: 'Warm and slow.' },
    format: 'mp3',
    ...overrides,
  });
  const signal = () => AbortSignal.timeout(10_000);

  beforeAll(async () => {
    fake = await FakeSpeech.start({ openai: 'sk-tts' });
    // The SDK is imported once, before any call is timed (as the registry does): a cold import on a busy machine can take seconds.
    await openai('tts-1').prepare();
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await fake?.close();
  });

  it.each([
    ['mp3', 'audio/mpeg'],
    ['opus', 'audio/ogg'],
    ['wav', 'audio/wav'],
  ] as const)('asks tts-1 for %s and answers its bytes as %s, without instructions (tts-1 refuses them)', async (format, contentType) => {
    const synthesis = await openai('tts-1').synthesize(request({ format }), signal());
    expect(synthesis).toEqual({ audio: fakeAudio(format), contentType });

    const [received] = fake.requests;
    expect(received!.headers.authorization).toBe('Bearer sk-tts');
    expect(received!.json).toEqual({ model: 'tts-1', voice: 'coral', input: 'The weather is nice today.', response_format: format, speed: 1.25 });
  });

  it("streams gpt-4o-mini-tts's speech as events, with the voice's instructions, and puts its audio together", async () => {
    const synthesis = await openai('gpt-4o-mini-tts').synthesize(request({ format: 'wav' }), signal());
    expect(synthesis).toEqual({ audio: fakeAudio('wav'), contentType: 'audio/wav' });
    expect(fake.requests[0]!.json).toEqual({
      model: 'gpt-4o-mini-tts',
      voice: 'coral',
      input: 'The weather is nice today.',
      response_format: 'wav',
      speed: 1.25,
      stream_format: 'sse',
      instructions: 'Warm and slow.',
    });
  });

  it('sends no instructions when the voice has none, and no speed unless set', async () => {
    await openai('gpt-4o-mini-tts').synthesize(request({ voice: { voiceId: 'ash' } }), signal());
    expect(fake.requests[0]!.json).toEqual({ model: 'gpt-4o-mini-tts', voice: 'ash', input: 'The weather is nice today.', response_format: 'mp3', stream_format: 'sse' });
  });

  it('fails on a speech stream that ends before speech.audio.done, rather than answering part of the audio', async () => {
    fake.answer({ cutShort: true });
    const failure = await speechFailure(openai('gpt-4o-mini-tts').synthesize(request(), signal()));
    expect(failure).toMatchObject({ reason: 'failed', provider: 'openai' });
    expect(failure.message).toMatch(/before speech\.audio\.done/);
  });

  it("lists OpenAI's voices without asking it", async () => {
    const voices = await openai('tts-1').voices();
    expect(voices.map((voice) => voice.voiceId)).toEqual(['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse']);
    expect(voices[0]).toEqual({ provider: 'openai', voiceId: 'alloy', name: 'Alloy' });
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    [401, 'failed', /refused its credentials/],
    [429, 'failed', /rate limiting \(HTTP 429\), retry after 3 s/],
    [500, 'failed', /answered HTTP 500/],
    [400, 'rejected', /Invalid input/],
    [422, 'rejected', /Invalid input/],
  ] as const)('maps HTTP %i to %s, with the status, in one attempt', async (status, reason, message) => {
    fake.answer({ status, retryAfterSeconds: status === 429 ? 3 : undefined });
    const failure = await speechFailure(openai('gpt-4o-mini-tts').synthesize(request(), signal()));
    expect(failure).toMatchObject({ reason, provider: 'openai', status });
    expect(failure.message).toMatch(message);
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up when its signal times out, closing the request', async () => {
    fake.answer({ hang: true });
    const failure = await speechFailure(openai('tts-1').synthesize(request(), AbortSignal.timeout(300)));
    expect(failure).toMatchObject({ reason: 'failed' });
    expect(failure.message).toMatch(/did not answer in time/);
    expect(await fake.requests[0]!.ended).toBe('client_closed');
  });
});
