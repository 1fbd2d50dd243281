import { Logger } from '@nestjs/common';
import { loadConfig } from '#chorus/core';
import { CapturedLogger } from '../../../test/support/captured-logger.js';
import { FAKE_TRANSCRIPT, FakeSpeech, fakeAudio, speechFailure } from '../../../test/support/fake-speech.js';
import { SpeechRegistry } from './speech-registry.js';
import type { AudioInput, SynthesisRequest } from './speech.types.js';
import { ElevenLabsTextToSpeech } from './tts/elevenlabs-tts.js';
import { EspeakTextToSpeech } from './tts/espeak-tts.js';
import { OpenAITextToSpeech } from './tts/openai-tts.js';
import { GeminiSpeechToText } from './stt/gemini-stt.js';
import { OpenAISpeechToText } from './stt/openai-stt.js';
import { PocketsphinxSpeechToText } from './stt/pocketsphinx-stt.js';

/**
 * The registry over every kind of instance, configured as the environment configures it, with
 * the remote ones at a fake: which instance answers, and how each call is guarded (timeout,
 * circuit breaker, what counts as the provider's failure).
 */
describe('SpeechRegistry', () => {
  let fake: FakeSpeech;
  const logger = new CapturedLogger();

  const wav: AudioInput = { data: fakeAudio('wav'), contentType: 'audio/wav', filename: 'voice.wav', durationMs: 250 };
  const greeting: SynthesisRequest = { text: 'Hello there.', voice: { voiceId: 'alloy' }, format: 'mp3' };

  /** Every kind, the remote ones at the fake; `guard` tunes the OpenAI instances' timeout and breaker. */
  function registry(guard: { timeoutMs?: number; breakerThreshold?: number; breakerCooldownMs?: number } = {}): SpeechRegistry {
    const openai = { kind: 'openai', baseUrl: fake.openaiBaseUrl, apiKey: 'sk-voice', timeoutMs: 5_000, breakerThreshold: 2, breakerCooldownMs: 60_000, ...guard };
    return new SpeechRegistry(
      loadConfig({
        STT_PROVIDERS: JSON.stringify([
          { name: 'whisper', model: 'whisper-1', ...openai },
          { name: 'gemini', kind: 'gemini', baseUrl: fake.origin, apiKey: 'g-key' },
        ]),
        TTS_PROVIDERS: JSON.stringify([
          { name: 'openai', model: 'tts-1', ...openai },
          { name: 'elevenlabs', kind: 'elevenlabs', baseUrl: fake.origin, apiKey: 'xi-key' },
          { name: 'keyless', kind: 'elevenlabs' },
        ]),
        STT_DEFAULT: 'whisper',
        TTS_DEFAULT: 'openai',
      }),
    );
  }

  beforeAll(async () => {
    fake = await FakeSpeech.start();
    Logger.overrideLogger(logger);
  });

  afterEach(() => {
    fake.reset();
    logger.lines.length = 0;
  });

  afterAll(async () => {
    Logger.overrideLogger(new Logger());
    await fake?.close();
  });

  it('creates every configured instance by its kind, the local engines included', () => {
    const speech = registry();
    expect(speech.stt()).toBeInstanceOf(OpenAISpeechToText);
    expect(speech.stt('gemini')).toBeInstanceOf(GeminiSpeechToText);
    expect(speech.stt('pocketsphinx')).toBeInstanceOf(PocketsphinxSpeechToText);
    expect(speech.tts()).toBeInstanceOf(OpenAITextToSpeech);
    expect(speech.tts('elevenlabs')).toBeInstanceOf(ElevenLabsTextToSpeech);
    expect(speech.tts('espeak-ng')).toBeInstanceOf(EspeakTextToSpeech);
    expect(speech.tts('openai')).toMatchObject({ name: 'openai', model: 'tts-1', defaultVoice: 'alloy', formats: ['mp3', 'opus', 'wav'] });
  });

  it('refuses an unknown name as unavailable', async () => {
    const speech = registry();
    expect(() => speech.tts('nobody')).toThrow(expect.objectContaining({ reason: 'unavailable', message: expect.stringMatching(/No text-to-speech provider is named "nobody"/) }));
    expect(() => speech.stt('nobody')).toThrow(expect.objectContaining({ reason: 'unavailable' }));
    expect(await speechFailure(speech.transcribe(wav, 'nobody'))).toMatchObject({ reason: 'unavailable' });
    expect(await speechFailure(speech.synthesize(greeting, 'nobody'))).toMatchObject({ reason: 'unavailable' });
  });

  it('transcribes and speaks with the default instances, or the ones named', async () => {
    const speech = registry();
    await expect(speech.transcribe(wav)).resolves.toEqual({ text: FAKE_TRANSCRIPT, provider: 'whisper', model: 'whisper-1' });
    await expect(speech.transcribe(wav, 'gemini')).resolves.toMatchObject({ provider: 'gemini', model: 'gemini-2.5-flash' });
    await expect(speech.synthesize(greeting)).resolves.toEqual({ audio: fakeAudio('mp3'), contentType: 'audio/mpeg' });
    await expect(speech.synthesize({ ...greeting, format: 'opus' }, 'elevenlabs')).resolves.toEqual({ audio: fakeAudio('opus'), contentType: 'audio/ogg' });
    expect(fake.requests.map((request) => request.path)).toEqual(['/v1/audio/transcriptions', expect.stringMatching(/:generateContent$/), '/v1/audio/speech', '/v1/text-to-speech/alloy']);
  });

  it('refuses a format the instance does not speak, asking nothing', async () => {
    const failure = await speechFailure(registry().synthesize({ ...greeting, format: 'mp3' }, 'espeak-ng'));
    expect(failure).toMatchObject({ reason: 'rejected', provider: 'espeak-ng' });
    expect(failure.message).toMatch(/speaks wav, not mp3/);
  });

  it("gives up after the instance's timeout, counting it against the provider", async () => {
    fake.answer({ hang: true });
    const speech = registry({ timeoutMs: 300, breakerThreshold: 1 });
    const failure = await speechFailure(speech.transcribe(wav));
    expect(failure).toMatchObject({ reason: 'failed', provider: 'whisper' });
    expect(failure.message).toBe('whisper did not answer within 300 ms');
    expect(await fake.requests[0]!.ended).toBe('client_closed');
    expect(await breakerOf(speech, 'whisper')).toBe('open');
  });

  it('opens the circuit after consecutive failures, then fails at once without calling the provider', async () => {
    fake.answerNext({ status: 500 }, { status: 500 });
    const speech = registry();
    for (let attempt = 0; attempt < 2; attempt += 1) expect(await speechFailure(speech.synthesize(greeting))).toMatchObject({ reason: 'failed', status: 500 });
    expect(logger.messages({ level: 'warn', text: 'Speech provider openai: circuit open' })).toHaveLength(1);

    const refused = await speechFailure(speech.synthesize(greeting));
    expect(refused).toMatchObject({ reason: 'failed', provider: 'openai', status: undefined });
    expect(refused.message).toMatch(/circuit is open after 2 failures in a row/);
    expect(fake.requests).toHaveLength(2);
    expect(await breakerOf(speech, 'openai')).toBe('open');
    // Each instance has its own circuit.
    await expect(speech.transcribe(wav)).resolves.toMatchObject({ provider: 'whisper' });
  });

  it('lets a trial call through after the cooldown, whose success closes the circuit', async () => {
    fake.answerNext({ status: 503 });
    const speech = registry({ breakerThreshold: 1, breakerCooldownMs: 1 });
    expect(await speechFailure(speech.transcribe(wav))).toMatchObject({ reason: 'failed', status: 503 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(speech.transcribe(wav)).resolves.toMatchObject({ text: FAKE_TRANSCRIPT });
    expect(await breakerOf(speech, 'whisper')).toBe('closed');
  });

  it('does not count input the provider refused, nor a call its caller cancelled', async () => {
    const speech = registry({ breakerThreshold: 1 });
    fake.answerNext({ status: 400 });
    expect(await speechFailure(speech.transcribe(wav))).toMatchObject({ reason: 'rejected', status: 400 });

    fake.answerNext({ hang: true });
    const caller = new AbortController();
    const cancelled = speech.transcribe(wav, undefined, caller.signal);
    await fake.waitForRequests(2);
    caller.abort();
    expect(await speechFailure(cancelled)).toMatchObject({ reason: 'failed', message: 'The call to whisper was cancelled' });

    expect(await breakerOf(speech, 'whisper')).toBe('closed');
    await expect(speech.transcribe(wav)).resolves.toMatchObject({ provider: 'whisper' });
  });

  it('lists the voices of every available instance, leaving out (and logging) one that fails', async () => {
    fake.answer({ status: 500 });
    const voices = await registry().voices();
    const providers = new Set(voices.map((voice) => voice.provider));
    expect(providers.has('openai')).toBe(true);
    expect(providers.has('elevenlabs')).toBe(false);
    // Unavailable (no key): not even asked.
    expect(providers.has('keyless')).toBe(false);
    expect(providers.has('espeak-ng')).toBe(await registry().tts('espeak-ng').available());
    expect(logger.messages({ level: 'warn', text: 'The voices of elevenlabs are left out' })).toEqual([expect.stringMatching(/answered HTTP 500/)]);
    expect(fake.requests.map((request) => request.path)).toEqual(['/v1/voices']);

    fake.answer({});
    expect((await registry().voices()).filter((voice) => voice.provider === 'elevenlabs')).toHaveLength(2);
  });

  it("reports every instance: its kind, model, whether it can be used here, and its circuit's state", async () => {
    const status = await registry().status();
    expect(status.map(({ direction, name, kind }) => `${direction} ${name} ${kind}`)).toEqual([
      'stt whisper openai',
      'stt gemini gemini',
      'stt pocketsphinx pocketsphinx',
      'tts openai openai',
      'tts elevenlabs elevenlabs',
      'tts keyless elevenlabs',
      'tts espeak-ng espeak-ng',
    ]);
    expect(status.find((instance) => instance.name === 'whisper')).toEqual({ direction: 'stt', name: 'whisper', kind: 'openai', model: 'whisper-1', available: true, breaker: 'closed' });
    expect(status.find((instance) => instance.name === 'keyless')).toMatchObject({ available: false });
  });
});

async function breakerOf(registry: SpeechRegistry, name: string): Promise<string | undefined> {
  return (await registry.status()).find((instance) => instance.name === name)?.breaker;
}
