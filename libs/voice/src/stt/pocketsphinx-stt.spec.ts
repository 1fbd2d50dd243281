import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AudioInput } from '../speech.types.js';
import { AudioSamples } from '../../../../test/support/audio-samples.js';
import { speechFailure } from '../../../../test/support/fake-speech.js';
import { until } from '../../../../test/support/waiting.js';
import { PocketsphinxSpeechToText } from './pocketsphinx-stt.js';

const run = promisify(execFile);

const CONFIG = { name: 'sphinx', kind: 'pocketsphinx', model: 'en-us', timeoutMs: 30_000, breakerThreshold: 5, breakerCooldownMs: 30_000, usdPerMinute: 0 } as const;
/** Speech to recognise is made by espeak-ng. */
const espeak = await run('espeak-ng', ['--version']).then(
  () => true,
  () => false,
);
const installed = (await new PocketsphinxSpeechToText(CONFIG).available()) && espeak;

/** The real engine (Debian's pocketsphinx, pocketsphinx-en-us and ffmpeg), on speech made by espeak-ng. */
(installed ? describe : describe.skip)(`PocketsphinxSpeechToText${installed ? '' : ' (pocketsphinx, ffmpeg or espeak-ng is not installed)'}`, () => {
  let samples: AudioSamples;
  let wav: AudioInput;
  let ogg: AudioInput;

  /** The engine's temporary folders go here, not to the system's: other test files running at once transcribe too. */
  let temporaryRoot: string;
  let sphinx: PocketsphinxSpeechToText;
  const temporaryDirs = async () => (await readdir(temporaryRoot)).filter((name) => name.startsWith('chorus-stt-'));

  beforeAll(async () => {
    temporaryRoot = await mkdtemp(join(tmpdir(), 'stt-spec-'));
    sphinx = new PocketsphinxSpeechToText(CONFIG, temporaryRoot);
    // A low, slow voice (these options belong to the test): the one pocketsphinx's model recognises best.
    const { stdout } = await run('espeak-ng', ['-v', 'en-us', '-s', '140', '-p', '30', '--stdout', 'the weather is nice today'], { encoding: 'buffer' });
    wav = { data: stdout, contentType: 'audio/wav', filename: 'voice.wav', durationMs: 2000 };
    // Opus in Ogg, as browsers record voice messages.
    samples = await AudioSamples.create();
    const encoded = await samples.encode(stdout, 'opus-ogg');
    if (!encoded) throw new Error('This ffmpeg has no Opus encoder (libopus)');
    ogg = { data: encoded, contentType: 'audio/ogg', filename: 'voice.ogg', durationMs: 2000 };
  });

  afterAll(async () => {
    await samples?.close();
    await rm(temporaryRoot, { recursive: true, force: true });
  });

  it('transcribes speech, removing its temporary file', async () => {
    const before = await temporaryDirs();
    const transcription = await sphinx.transcribe(wav, AbortSignal.timeout(30_000));
    expect(transcription).toMatchObject({ provider: 'sphinx', model: 'en-us' });
    expect(transcription.text).toContain('weather');
    expect(await temporaryDirs()).toEqual(before);
  });

  it('converts what it is given (Opus in Ogg) to the 16 kHz WAV its model reads', async () => {
    expect((await sphinx.transcribe(ogg, AbortSignal.timeout(30_000))).text).toContain('weather');
  });

  it('transcribes several at once, the ones past its limit waiting their turn', async () => {
    const transcriptions = await Promise.all([wav, ogg, wav].map((audio) => sphinx.transcribe(audio, AbortSignal.timeout(60_000))));
    for (const { text } of transcriptions) expect(text).toContain('weather');
  });

  it('refuses what ffmpeg cannot decode', async () => {
    const junk: AudioInput = { data: Buffer.from('this is not audio at all'), contentType: 'audio/wav', filename: 'voice.wav', durationMs: 1000 };
    const failure = await speechFailure(sphinx.transcribe(junk, AbortSignal.timeout(30_000)));
    expect(failure).toMatchObject({ reason: 'rejected', provider: 'sphinx' });
    expect(failure.message).toMatch(/could not be decoded/);
  });

  it('stops when its signal aborts, killing the run and removing its temporary file', async () => {
    const before = await temporaryDirs();
    const controller = new AbortController();
    const transcribing = sphinx.transcribe(wav, controller.signal);
    await until('pocketsphinx to be running on its temporary file', async () => (await temporaryDirs()).length > before.length);
    controller.abort();
    const failure = await speechFailure(transcribing);
    expect(failure).toMatchObject({ reason: 'failed', provider: 'sphinx' });
    expect(failure.message).toMatch(/cancelled/);
    expect(await temporaryDirs()).toEqual(before);
  });
});
