import { fileTypeFromBuffer } from 'file-type';
import { AudioSamples, type AudioEncoding } from '../../../../test/support/audio-samples.js';
import { AudioRejected, audioDurationMs, audioTypeOf, isAudioType, type AudioType } from './audio-probe.js';
import { SNIFF_BYTES } from './image-processor.js';

// Speech made with the machine's espeak-ng and ffmpeg (as the e2e tests make theirs).

/** The type an upload's first bytes say, as the upload path asks. */
async function typeOf(bytes: Buffer): Promise<AudioType | undefined> {
  return audioTypeOf(await fileTypeFromBuffer(bytes.subarray(0, SNIFF_BYTES)));
}

/** `bytes` from `from` on replaced by the same number of bytes of noise (the same every run). */
function garbled(bytes: Buffer, from: number): Buffer {
  const copy = Buffer.from(bytes);
  for (let index = from; index < copy.length; index++) copy[index] = (index * 131 + 7) & 0xff;
  return copy;
}

describe('audio probe', () => {
  let samples: AudioSamples;
  let wav: Buffer;
  /** espeak-ng's WAV, measured once: every encoding of it lasts about as long. */
  let wavMs: number;

  beforeAll(async () => {
    samples = await AudioSamples.create();
    wav = await samples.speak('Hello there, this is a voice message.');
    wavMs = await audioDurationMs(wav, 'audio/wav');
  });

  afterAll(() => samples?.close());

  it('measures a WAV to the millisecond of its header', async () => {
    // espeak-ng writes 16-bit mono PCM at 22,050 Hz after a 44-byte header.
    const expectedMs = Math.round(((wav.length - 44) / 2 / 22_050) * 1000);
    expect(await typeOf(wav)).toBe('audio/wav');
    expect(Math.abs(wavMs - expectedMs)).toBeLessThanOrEqual(1);
    expect(wavMs).toBeGreaterThan(1000);
  });

  it.each<[AudioEncoding, AudioType]>([
    ['webm', 'audio/webm'],
    ['opus-ogg', 'audio/ogg'],
    ['vorbis-ogg', 'audio/ogg'],
    ['mp3', 'audio/mpeg'],
    ['m4a', 'audio/mp4'],
    ['mp4', 'audio/mp4'],
  ])('tells %s by its bytes as %s, and measures it', async (encoding, type) => {
    const bytes = await samples.encode(wav, encoding);
    // Without the encoder in this ffmpeg (libmp3lame, say) there is nothing to test.
    if (!bytes) return;
    expect(await typeOf(bytes)).toBe(type);
    // Encoders pad a little (priming samples, whole frames).
    expect(Math.abs((await audioDurationMs(bytes, type)) - wavMs)).toBeLessThan(150);
  });

  it('accepts no other type', async () => {
    expect(audioTypeOf(undefined)).toBeUndefined();
    expect(audioTypeOf({ ext: 'flac' })).toBeUndefined();
    // Ogg FLAC and Speex: not Opus or Vorbis.
    expect(audioTypeOf({ ext: 'oga' })).toBeUndefined();
    expect(audioTypeOf({ ext: 'spx' })).toBeUndefined();
    expect(audioTypeOf({ ext: 'png' })).toBeUndefined();
    expect(audioTypeOf({ ext: 'constructor' })).toBeUndefined();
    expect(await typeOf(Buffer.from('just some text, not audio at all'))).toBeUndefined();
    expect(isAudioType('audio/webm')).toBe(true);
    expect(isAudioType('video/webm')).toBe(false);
    expect(isAudioType(null)).toBe(false);
  });

  it('refuses a WebM with a video track as unsupported', async () => {
    const video = await samples.encode(wav, 'video-webm');
    if (!video) return;
    // Its first bytes say WebM like an audio-only one: only parsing it tells.
    expect(await typeOf(video)).toBe('audio/webm');
    await expect(audioDurationMs(video, 'audio/webm')).rejects.toMatchObject({ name: 'AudioRejected', code: 'unsupported_media_type' });
  });

  it('refuses a WAV whose header is garbage after RIFF/WAVE: the parser finds no duration', async () => {
    const corrupt = garbled(wav, 12);
    expect(await typeOf(corrupt)).toBe('audio/wav');
    await expect(audioDurationMs(corrupt, 'audio/wav')).rejects.toMatchObject({ code: 'audio_unreadable' });
  });

  it('refuses audio the parser fails on, keeping its error as the cause', async () => {
    const m4a = await samples.encode(wav, 'm4a');
    if (!m4a) return;
    // The first box after `ftyp` claims far more bytes than there are.
    const corrupt = garbled(m4a, m4a.readUInt32BE(0));
    const rejection: unknown = await audioDurationMs(corrupt, 'audio/mp4').catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(AudioRejected);
    expect(rejection).toMatchObject({ code: 'audio_unreadable', cause: expect.any(Error) });
  });

  it('refuses a header with no audio after it', async () => {
    await expect(audioDurationMs(wav.subarray(0, 44), 'audio/wav')).rejects.toMatchObject({ code: 'audio_unreadable' });
    await expect(audioDurationMs(Buffer.alloc(0), 'audio/mpeg')).rejects.toMatchObject({ code: 'audio_unreadable' });
  });
});
