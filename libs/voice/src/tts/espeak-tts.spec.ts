import { parseBuffer } from 'music-metadata';
import { speechFailure } from '../../../../test/support/fake-speech.js';
import type { SynthesisRequest } from '../speech.types.js';
import { EspeakTextToSpeech } from './espeak-tts.js';

const espeak = new EspeakTextToSpeech({
  name: 'espeak-ng',
  kind: 'espeak-ng',
  model: 'espeak-ng',
  timeoutMs: 30_000,
  breakerThreshold: 5,
  breakerCooldownMs: 30_000,
  usdPerMillionCharacters: 0,
  defaultVoice: 'en-us',
});
const installed = await espeak.available();

/** The real engine (Debian's espeak-ng): what it says is decoded back by music-metadata. */
(installed ? describe : describe.skip)(`EspeakTextToSpeech${installed ? '' : ' (espeak-ng is not installed)'}`, () => {
  const request = (overrides: Partial<SynthesisRequest['voice']> = {}): SynthesisRequest => ({ text: 'the weather is nice today', voice: { voiceId: 'en-us', ...overrides }, format: 'wav' });
  const signal = () => AbortSignal.timeout(30_000);
  const durationOf = async (audio: Buffer) => (await parseBuffer(audio, { mimeType: 'audio/wav' })).format.duration ?? Number.NaN;

  it('speaks the text as a WAV of a plausible length, its sizes filled in', async () => {
    const { audio, contentType } = await espeak.synthesize(request(), signal());
    expect(contentType).toBe('audio/wav');
    const { format } = await parseBuffer(audio, { mimeType: 'audio/wav' });
    expect(format).toMatchObject({ container: 'WAVE', numberOfChannels: 1 });
    expect(format.duration).toBeGreaterThan(0.5);
    expect(format.duration).toBeLessThan(5);
    // Written to a pipe, espeak-ng leaves placeholders (about 2 GB) where the sizes go.
    expect(audio.readUInt32LE(4)).toBe(audio.length - 8);
    expect(audio.toString('latin1', 36, 40)).toBe('data');
    expect(audio.readUInt32LE(40)).toBe(audio.length - 44);
  });

  it('scales its words per minute by the voice speed', async () => {
    const slow = await durationOf((await espeak.synthesize(request({ speed: 0.6 }), signal())).audio);
    const fast = await durationOf((await espeak.synthesize(request({ speed: 2 }), signal())).audio);
    expect(slow).toBeGreaterThan(fast * 2);
  });

  it('reads the text from stdin, as text: what looks like an option is spoken', async () => {
    const { audio } = await espeak.synthesize({ ...request(), text: '--version -w /tmp/owned.wav' }, signal());
    expect(await durationOf(audio)).toBeGreaterThan(0.5);
  });

  it('speaks in a variant of a voice', async () => {
    expect(await durationOf((await espeak.synthesize(request({ voiceId: 'en-us+f3' }), signal())).audio)).toBeGreaterThan(0.5);
  });

  it.each([
    ['an unknown voice', 'xx-nowhere', /no such voice/],
    ['a voice that reads as an option', '--stdout', /not an espeak-ng voice/],
  ])('refuses %s', async (_label, voiceId, message) => {
    const failure = await speechFailure(espeak.synthesize(request({ voiceId }), signal()));
    expect(failure).toMatchObject({ reason: 'rejected', provider: 'espeak-ng' });
    expect(failure.message).toMatch(message);
  });

  it('lists its languages as voices', async () => {
    const voices = await espeak.voices(signal());
    expect(voices.length).toBeGreaterThan(50);
    expect(voices).toContainEqual({ provider: 'espeak-ng', voiceId: 'en-us', name: 'English (America)', language: 'en-us' });
    expect(await espeak.voices(signal())).toBe(voices);
  });

  it('stops when its signal aborts', async () => {
    const failure = await speechFailure(espeak.synthesize(request(), AbortSignal.abort()));
    expect(failure).toMatchObject({ reason: 'failed' });
    expect(failure.message).toMatch(/cancelled/);
  });
});
