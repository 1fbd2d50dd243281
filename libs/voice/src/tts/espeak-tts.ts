import type { TtsProviderConfig } from '#chorus/core';
import { ConcurrencyLimit, ProcessFailed, installed, runProcess } from '../local-engine.js';
import { AUDIO_FORMAT_TYPES, SpeechProviderError, speechErrorForAbort, type AudioFormat, type Synthesis, type SynthesisRequest, type TextToSpeech, type VoiceInfo } from '../speech.types.js';

/** espeak-ng's own rate, in words per minute, which a voice's speed scales. */
const BASE_WORDS_PER_MINUTE = 175;
/** The rates espeak-ng speaks intelligibly at. */
const WORDS_PER_MINUTE = { min: 80, max: 450 } as const;

/** What `-v` takes: a language (`en-us`), optionally with a variant (`en-us+f3`); never something that reads as an option. */
const VOICE_ID = /^[a-z0-9][a-z0-9_+-]{0,63}$/i;

const NOT_INSTALLED = 'espeak-ng is not installed here: install the Debian package espeak-ng, or configure TTS_PROVIDERS / OPENAI_API_KEY / ELEVENLABS_API_KEY';

/** Synthesis takes a core: more at once would only slow every one down. */
const RUNS = new ConcurrencyLimit(2);

/**
 * eSpeak NG, offline and keyless: robotic, but in about a hundred languages. The text goes in on
 * stdin (never as an argument, so no length limit and nothing read as an option), the WAV comes
 * out on stdout.
 */
export class EspeakTextToSpeech implements TextToSpeech {
  readonly kind = 'espeak-ng' as const;
  readonly formats: readonly AudioFormat[] = ['wav'];
  readonly name: string;
  readonly model: string;
  readonly defaultVoice: string;
  private installation?: Promise<boolean>;
  private voiceList?: Promise<VoiceInfo[]>;

  constructor(config: TtsProviderConfig) {
    this.name = config.name;
    this.model = config.model;
    this.defaultVoice = config.defaultVoice;
  }

  available(): Promise<boolean> {
    this.installation ??= installed('espeak-ng');
    return this.installation;
  }

  /** The languages of `espeak-ng --voices` (the list only changes with the package). */
  async voices(signal: AbortSignal): Promise<VoiceInfo[]> {
    await this.ensureInstalled();
    if (!this.voiceList) {
      this.voiceList = this.call(signal, async () => parseVoices(this.name, (await runProcess('espeak-ng', ['--voices'], { signal })).toString('utf8')));
      // A failed listing is asked again next time.
      this.voiceList.catch(() => (this.voiceList = undefined));
    }
    return this.voiceList;
  }

  async synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<Synthesis> {
    await this.ensureInstalled();
    const { voiceId, speed = 1 } = request.voice;
    if (!VOICE_ID.test(voiceId)) throw new SpeechProviderError('rejected', this.name, `"${voiceId}" is not an espeak-ng voice (e.g. en-us, or en-us+f3)`);
    const wordsPerMinute = Math.round(Math.min(WORDS_PER_MINUTE.max, Math.max(WORDS_PER_MINUTE.min, BASE_WORDS_PER_MINUTE * speed)));
    const wav = await this.call(signal, () =>
      RUNS.run(signal, () => runProcess('espeak-ng', ['--stdout', '--stdin', '-v', voiceId, '-s', String(wordsPerMinute)], { input: request.text, signal })),
    );
    return { audio: withWavSizes(wav), contentType: AUDIO_FORMAT_TYPES.wav };
  }

  private async ensureInstalled(): Promise<void> {
    if (!(await this.available())) throw new SpeechProviderError('unavailable', this.name, NOT_INSTALLED);
  }

  /** Runs `task`, its failures as SpeechProviderError: an unknown voice is the request's fault, anything else espeak-ng's. */
  private async call<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (error) {
      if (signal.aborted) throw speechErrorForAbort(this.name, signal);
      if (error instanceof ProcessFailed && /voice does not exist/i.test(error.stderr)) {
        throw new SpeechProviderError('rejected', this.name, 'espeak-ng has no such voice (GET /voices lists them)');
      }
      throw new SpeechProviderError('failed', this.name, `espeak-ng failed: ${(error as Error).message}`);
    }
  }
}

/** `espeak-ng --voices`: a header, then `Pty Language Age/Gender VoiceName File [Other languages]`, spaces in names written `_`. */
function parseVoices(provider: string, listing: string): VoiceInfo[] {
  const voices: VoiceInfo[] = [];
  for (const line of listing.split('\n').slice(1)) {
    const [, language, name] = /^\s*\d+\s+(\S+)\s+\S+\s+(\S+)/.exec(line) ?? [];
    if (language && name) voices.push({ provider, voiceId: language, name: name.replaceAll('_', ' '), language });
  }
  return voices;
}

/**
 * The WAV with its RIFF and data sizes set. Writing to a pipe, espeak-ng cannot go back to fill
 * them in and leaves placeholders (about 2 GB), which some players take at their word.
 */
function withWavSizes(wav: Buffer): Buffer {
  if (wav.length < 12 || wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 8, 12) !== 'WAVE') return wav;
  wav.writeUInt32LE(wav.length - 8, 4);
  // The chunks before `data` (`fmt `...) have their true sizes; `data` runs to the end.
  for (let offset = 12; offset + 8 <= wav.length; ) {
    const size = wav.readUInt32LE(offset + 4);
    if (wav.toString('latin1', offset, offset + 4) === 'data') {
      wav.writeUInt32LE(wav.length - offset - 8, offset + 4);
      break;
    }
    offset += 8 + size + (size % 2);
  }
  return wav;
}
