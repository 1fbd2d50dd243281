import type { SttProviderConfig } from '#chorus/core';
import { FakeSpeech, fakeAudio, speechFailure } from '../../../../test/support/fake-speech.js';
import type { AudioInput } from '../speech.types.js';
import { GeminiSpeechToText, TRANSCRIPTION_INSTRUCTION } from './gemini-stt.js';

/** Through the real `@google/genai` SDK against a fake speaking the Gemini API's generateContent. */
describe('GeminiSpeechToText', () => {
  let fake: FakeSpeech;

  const gemini = (overrides: Partial<SttProviderConfig> = {}) =>
    new GeminiSpeechToText({
      name: 'gemini',
      kind: 'gemini',
      baseUrl: fake.origin,
      apiKey: 'g-key',
      model: 'gemini-2.5-flash',
      timeoutMs: 5_000,
      breakerThreshold: 5,
      breakerCooldownMs: 30_000,
      usdPerMinute: 0.002,
      ...overrides,
    });
  const ogg: AudioInput = { data: fakeAudio('opus'), contentType: 'audio/ogg', filename: 'voice.ogg', durationMs: 900 };
  const signal = () => AbortSignal.timeout(10_000);

  beforeAll(async () => {
    fake = await FakeSpeech.start({ gemini: 'g-key' });
    // The SDK is imported once, before any call is timed (as the registry does): a cold import on a busy machine can take seconds.
    await gemini().prepare();
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await fake?.close();
  });

  it('sends the audio inline with its type and the instruction to transcribe it, and answers the model text, trimmed', async () => {
    fake.answer({ transcript: ' Is it going to rain?\n' });
    await expect(gemini().transcribe(ogg, signal())).resolves.toEqual({ text: 'Is it going to rain?', provider: 'gemini', model: 'gemini-2.5-flash' });

    const [request] = fake.requests;
    expect(request!.path).toMatch(/^\/[\w.]+\/models\/gemini-2\.5-flash:generateContent$/);
    expect(request!.headers['x-goog-api-key']).toBe('g-key');
    expect(request!.json!['contents']).toEqual([
      { role: 'user', parts: [{ inlineData: { mimeType: 'audio/ogg', data: ogg.data.toString('base64') } }, { text: TRANSCRIPTION_INSTRUCTION }] },
    ]);
  });

  it('is unavailable without a key, asking nothing', async () => {
    const keyless = gemini({ apiKey: undefined });
    expect(await keyless.available()).toBe(false);
    expect(await speechFailure(keyless.transcribe(ogg, signal()))).toMatchObject({ reason: 'unavailable', provider: 'gemini' });
    expect(fake.requests).toHaveLength(0);
  });

  it("fails on a wrong key, which Google answers with 400: the key's fault, not the audio's", async () => {
    const failure = await speechFailure(gemini({ apiKey: 'g-wrong' }).transcribe(ogg, signal()));
    expect(failure).toMatchObject({ reason: 'failed', status: 400 });
    expect(failure.message).toMatch(/refused its API key: API key not valid/);
  });

  it.each([
    [403, 'failed'],
    [429, 'failed'],
    [500, 'failed'],
    [400, 'rejected'],
  ] as const)('maps HTTP %i to %s, with the status and what Google said', async (status, reason) => {
    fake.answer({ status });
    const failure = await speechFailure(gemini().transcribe(ogg, signal()));
    expect(failure).toMatchObject({ reason, provider: 'gemini', status });
    expect(failure.message).not.toMatch(/^\{/);
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up when its signal times out, closing the request', async () => {
    fake.answer({ hang: true });
    const failure = await speechFailure(gemini().transcribe(ogg, AbortSignal.timeout(300)));
    expect(failure).toMatchObject({ reason: 'failed' });
    expect(failure.message).toMatch(/did not answer in time/);
    expect(await fake.requests[0]!.ended).toBe('client_closed');
  });
});
