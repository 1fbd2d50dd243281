import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SttProviderConfig } from '#chorus/core';
import { ConcurrencyLimit, ProcessFailed, installed, runProcess } from '../local-engine.js';
import { SpeechProviderError, speechErrorForAbort, type AudioInput, type SpeechToText, type Transcription } from '../speech.types.js';

/** Where Debian's pocketsphinx-en-us puts the model pocketsphinx_continuous uses by default. */
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us/en-us';

const NOT_INSTALLED =
  'pocketsphinx is not installed here: install the Debian packages pocketsphinx pocketsphinx-en-us and ffmpeg, or configure STT_PROVIDERS / OPENAI_API_KEY';

/** Each run takes a core for about as long as the audio lasts: more at once would only slow every one down. */
const RUNS = new ConcurrencyLimit(2);

/**
 * CMU Sphinx, offline and keyless (English only, and rough): the audio is converted by ffmpeg to
 * the 16 kHz mono 16-bit WAV the model was trained on, then recognised by pocketsphinx_continuous,
 * which reads only files. Each utterance it hears is a line of the transcript.
 */
export class PocketsphinxSpeechToText implements SpeechToText {
  readonly kind = 'pocketsphinx' as const;
  readonly name: string;
  readonly model: string;
  /** Installing the packages takes a restart to be noticed: asking once is enough. */
  private installation?: Promise<boolean>;

  /** `temporaryRoot`: where each run's temporary folder is made (the system's by default). */
  constructor(
    config: SttProviderConfig,
    private readonly temporaryRoot: string = tmpdir(),
  ) {
    this.name = config.name;
    this.model = config.model;
  }

  available(): Promise<boolean> {
    this.installation ??= Promise.all([
      installed('ffmpeg'),
      installed('pocketsphinx_continuous'),
      access(MODEL_DIR).then(
        () => true,
        () => false,
      ),
    ]).then((found) => found.every(Boolean));
    return this.installation;
  }

  async transcribe(audio: AudioInput, signal: AbortSignal): Promise<Transcription> {
    if (!(await this.available())) throw new SpeechProviderError('unavailable', this.name, NOT_INSTALLED);
    try {
      const text = await RUNS.run(signal, async () => this.recognise(await this.toWav(audio, signal), signal));
      return { text, provider: this.name, model: this.model };
    } catch (error) {
      if (error instanceof SpeechProviderError) throw error;
      if (signal.aborted) throw speechErrorForAbort(this.name, signal);
      throw new SpeechProviderError('failed', this.name, `pocketsphinx failed: ${(error as Error).message}`);
    }
  }

  /**
   * The audio as 16 kHz mono 16-bit PCM WAV with a plain 44-byte header (no metadata chunk, which
   * pocketsphinx would read as sound), after 250 ms of silence: its voice detection and cepstral
   * normalisation settle on the start of the audio, and mishear speech that begins at once.
   */
  private async toWav(audio: AudioInput, signal: AbortSignal): Promise<Buffer> {
    const args = ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-vn', '-ac', '1', '-ar', '16000', '-af', 'adelay=250:all=1', '-c:a', 'pcm_s16le'];
    try {
      return await runProcess('ffmpeg', [...args, '-fflags', '+bitexact', '-map_metadata', '-1', '-f', 'wav', 'pipe:1'], { input: audio.data, signal });
    } catch (error) {
      if (!(error instanceof ProcessFailed) || signal.aborted) throw error;
      throw new SpeechProviderError('rejected', this.name, `The audio could not be decoded: ${error.stderr.split('\n').at(-1) || 'ffmpeg failed'}`);
    }
  }

  /** The transcript of a WAV, from a temporary file that is always removed. */
  private async recognise(wav: Buffer, signal: AbortSignal): Promise<string> {
    const dir = await mkdtemp(join(this.temporaryRoot, 'chorus-stt-'));
    try {
      // Named .wav: pocketsphinx_continuous checks the header (and its sample rate) only of files so named.
      const file = join(dir, 'audio.wav');
      await writeFile(file, wav);
      const output = await runProcess('pocketsphinx_continuous', ['-infile', file, '-logfn', '/dev/null'], { signal });
      return output
        .toString('utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .join(' ');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
