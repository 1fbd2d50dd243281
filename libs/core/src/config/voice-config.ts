import type { EnvReader } from './env-schema.js';

export const STT_KINDS = ['openai', 'gemini', 'pocketsphinx'] as const;
export type SttKind = (typeof STT_KINDS)[number];
export const TTS_KINDS = ['openai', 'elevenlabs', 'espeak-ng'] as const;
export type TtsKind = (typeof TTS_KINDS)[number];

/** What every speech provider instance has: where it is, how it is called, and how it is guarded. */
interface SpeechProviderBase {
  /** The instance's name, as personas, `GET /voices` and the ledger name it. */
  readonly name: string;
  readonly baseUrl?: string;
  readonly apiKey?: string;
  /** The model asked for (`whisper-1`, `gpt-4o-mini-tts`, `eleven_flash_v2_5`...); the engine's name for local ones. */
  readonly model: string;
  readonly timeoutMs: number;
  readonly breakerThreshold: number;
  readonly breakerCooldownMs: number;
}

export interface SttProviderConfig extends SpeechProviderBase {
  readonly kind: SttKind;
  /** What a minute of audio costs, in USD (recorded in the ledger in micros). */
  readonly usdPerMinute: number;
}

export interface TtsProviderConfig extends SpeechProviderBase {
  readonly kind: TtsKind;
  /** What a million characters cost, in USD. */
  readonly usdPerMillionCharacters: number;
  /** The voice used when a persona names none. */
  readonly defaultVoice: string;
}

export interface VoiceConfig {
  /** Speech-to-text instances, local ones included (each is used only when its engine is installed). */
  readonly stt: readonly SttProviderConfig[];
  /** The instance voice messages are transcribed by. */
  readonly defaultStt: string;
  readonly tts: readonly TtsProviderConfig[];
  /** The instance personas without a voice of their own speak with. */
  readonly defaultTts: string;
  /** The longest voice message, in seconds (measured from the audio, never the client's claim). */
  readonly maxSeconds: number;
  /** The largest voice message, in bytes. */
  readonly maxBytes: number;
  /** The longest a spoken reply's text may be, in characters (longer replies are refused with 422). */
  readonly maxSpeechCharacters: number;
}

const GUARD_DEFAULTS = { timeoutMs: 30_000, breakerThreshold: 5, breakerCooldownMs: 30_000 };

/**
 * Speech providers come from STT_PROVIDERS and TTS_PROVIDERS (JSON arrays, or the files
 * STT_PROVIDERS_FILE / TTS_PROVIDERS_FILE), plus shortcuts: OPENAI_API_KEY (with OPENAI_BASE_URL)
 * adds `openai` to both, ELEVENLABS_API_KEY adds `elevenlabs`. The local engines (`pocketsphinx`,
 * `espeak-ng`) are always listed and are the defaults when nothing else is configured.
 */
export function readVoiceConfig(read: EnvReader): VoiceConfig {
  const stt = parseList(read, 'STT_PROVIDERS', 'STT_PROVIDERS_FILE', STT_MODELS, (value, base) => {
    const usdPerMinute = value['usdPerMinute'] ?? (base.kind === 'openai' ? 0.006 : 0);
    if (typeof usdPerMinute !== 'number' || usdPerMinute < 0) return 'usdPerMinute must be a non-negative number';
    return { ...base, usdPerMinute };
  });
  const tts = parseList(read, 'TTS_PROVIDERS', 'TTS_PROVIDERS_FILE', TTS_MODELS, (value, base) => {
    const usdPerMillionCharacters = value['usdPerMillionCharacters'] ?? 0;
    if (typeof usdPerMillionCharacters !== 'number' || usdPerMillionCharacters < 0) return 'usdPerMillionCharacters must be a non-negative number';
    const defaultVoice = value['defaultVoice'] ?? DEFAULT_VOICES[base.kind];
    if (typeof defaultVoice !== 'string' || defaultVoice.length === 0) return 'defaultVoice must be a voice id';
    return { ...base, usdPerMillionCharacters, defaultVoice };
  });

  const openaiKey = read.optionalString('OPENAI_API_KEY');
  const openaiBaseUrl = read.optionalUrl('OPENAI_BASE_URL', ['http', 'https']);
  if (openaiKey && !stt.some((provider) => provider.name === 'openai')) {
    stt.push({ name: 'openai', kind: 'openai', apiKey: openaiKey, baseUrl: openaiBaseUrl, model: read.string('STT_OPENAI_MODEL', 'gpt-4o-mini-transcribe'), ...GUARD_DEFAULTS, usdPerMinute: 0.003 });
  }
  if (openaiKey && !tts.some((provider) => provider.name === 'openai')) {
    tts.push({
      name: 'openai',
      kind: 'openai',
      apiKey: openaiKey,
      baseUrl: openaiBaseUrl,
      model: read.string('TTS_OPENAI_MODEL', 'gpt-4o-mini-tts'),
      ...GUARD_DEFAULTS,
      usdPerMillionCharacters: 15,
      defaultVoice: DEFAULT_VOICES.openai,
    });
  }
  const elevenlabsKey = read.optionalString('ELEVENLABS_API_KEY');
  if (elevenlabsKey && !tts.some((provider) => provider.name === 'elevenlabs')) {
    tts.push({
      name: 'elevenlabs',
      kind: 'elevenlabs',
      apiKey: elevenlabsKey,
      baseUrl: read.optionalUrl('ELEVENLABS_BASE_URL', ['http', 'https']),
      model: read.string('TTS_ELEVENLABS_MODEL', 'eleven_flash_v2_5'),
      ...GUARD_DEFAULTS,
      usdPerMillionCharacters: 50,
      defaultVoice: read.string('ELEVENLABS_DEFAULT_VOICE', DEFAULT_VOICES.elevenlabs),
    });
  }
  if (!stt.some((provider) => provider.kind === 'pocketsphinx')) {
    stt.push({ name: 'pocketsphinx', kind: 'pocketsphinx', model: 'en-us', ...GUARD_DEFAULTS, usdPerMinute: 0 });
  }
  if (!tts.some((provider) => provider.kind === 'espeak-ng')) {
    tts.push({ name: 'espeak-ng', kind: 'espeak-ng', model: 'espeak-ng', ...GUARD_DEFAULTS, usdPerMillionCharacters: 0, defaultVoice: DEFAULT_VOICES['espeak-ng'] });
  }

  const defaultStt = read.string('STT_DEFAULT', stt.find((provider) => provider.kind !== 'pocketsphinx')?.name ?? 'pocketsphinx');
  if (!stt.some((provider) => provider.name === defaultStt)) read.reject('STT_DEFAULT', `must name a speech-to-text provider, got "${defaultStt}"`);
  const defaultTts = read.string('TTS_DEFAULT', tts.find((provider) => provider.kind !== 'espeak-ng')?.name ?? 'espeak-ng');
  if (!tts.some((provider) => provider.name === defaultTts)) read.reject('TTS_DEFAULT', `must name a text-to-speech provider, got "${defaultTts}"`);
  return {
    stt,
    defaultStt,
    tts,
    defaultTts,
    maxSeconds: read.int('VOICE_MAX_SECONDS', 120, { min: 1, max: 3600 }),
    maxBytes: read.bytes('VOICE_MAX_BYTES', 10 * 1024 * 1024),
    maxSpeechCharacters: read.int('VOICE_MAX_SPEECH_CHARACTERS', 8000, { min: 100, max: 100_000 }),
  };
}

/** Each engine's voice for personas that name none. */
const DEFAULT_VOICES: Record<TtsKind, string> = { openai: 'alloy', elevenlabs: 'JBFqnCBsd6RMkjVDRZzb', 'espeak-ng': 'en-us' };

/** The model an instance that names none uses, by kind (which also lists the kinds). */
const STT_MODELS: Record<SttKind, string> = { openai: 'gpt-4o-mini-transcribe', gemini: 'gemini-2.5-flash', pocketsphinx: 'en-us' };
const TTS_MODELS: Record<TtsKind, string> = { openai: 'gpt-4o-mini-tts', elevenlabs: 'eleven_flash_v2_5', 'espeak-ng': 'espeak-ng' };

/** The entries of a provider list, each checked by the rules all share and then by `extra`; problems are recorded against `name`. */
function parseList<K extends string, T>(
  read: EnvReader,
  name: string,
  fileName: string,
  defaultModels: Record<K, string>,
  extra: (value: Record<string, unknown>, base: SpeechProviderBase & { kind: K }) => T | string,
): T[] {
  const json = read.json(name, fileName);
  if (!json) return [];
  if (!Array.isArray(json.value)) {
    read.reject(json.source, 'must be a JSON array of providers');
    return [];
  }
  const parsed: Array<T & { name: string }> = [];
  json.value.forEach((entry: unknown, index) => {
    const base = parseBase(entry, defaultModels);
    const provider = typeof base === 'string' ? base : extra(entry as Record<string, unknown>, base);
    if (typeof provider === 'string') read.reject(json.source, `entry ${index}: ${provider}`);
    else if (parsed.some((known) => known.name === (base as SpeechProviderBase).name)) read.reject(json.source, `entry ${index}: duplicate name "${(base as SpeechProviderBase).name}"`);
    else parsed.push(provider as T & { name: string });
  });
  return parsed;
}

function parseBase<K extends string>(entry: unknown, defaultModels: Record<K, string>): (SpeechProviderBase & { kind: K }) | string {
  const kinds = Object.keys(defaultModels) as K[];
  if (typeof entry !== 'object' || entry === null) return 'must be an object';
  const value = entry as Record<string, unknown>;
  if (typeof value['name'] !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(value['name'])) return 'name must be a short lowercase identifier';
  if (!kinds.includes(value['kind'] as K)) return `kind must be one of ${kinds.join(', ')}`;
  for (const key of ['baseUrl', 'apiKey', 'model'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') return `${key} must be a string`;
  }
  if (value['baseUrl'] !== undefined && !/^https?:\/\//.test(value['baseUrl'] as string)) return 'baseUrl must be an http(s) URL';
  const numbers: Record<string, number> = {};
  for (const [key, fallback] of Object.entries(GUARD_DEFAULTS)) {
    const number = value[key] ?? fallback;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) return `${key} must be a whole number`;
    numbers[key] = number;
  }
  const kind = value['kind'] as K;
  return {
    name: value['name'],
    kind,
    baseUrl: value['baseUrl'] as string | undefined,
    apiKey: value['apiKey'] as string | undefined,
    model: (value['model'] as string | undefined) ?? defaultModels[kind],
    timeoutMs: numbers['timeoutMs']!,
    breakerThreshold: numbers['breakerThreshold']!,
    breakerCooldownMs: numbers['breakerCooldownMs']!,
  };
}
