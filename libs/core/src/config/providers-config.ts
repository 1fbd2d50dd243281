import type { EnvReader } from './env-schema.js';

export const PROVIDER_KINDS = ['openai', 'gemini', 'simulated'] as const;
export type ProviderKindConfig = (typeof PROVIDER_KINDS)[number];

/** A model a provider serves: its context window, reply limit and prices (for the usage ledger). */
export interface ModelConfig {
  readonly id: string;
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  /** US dollars per million tokens. */
  readonly inputUsdPerMillion: number;
  readonly outputUsdPerMillion: number;
  /** Whether the model reads images (a message with attachments to one that does not is refused with 422). */
  readonly vision: boolean;
}

export interface ProviderConfig {
  readonly name: string;
  readonly kind: ProviderKindConfig;
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Longest wait for the first token, and between two chunks, before the attempt counts as failed. */
  readonly timeoutMs: number;
  /** Retries of an attempt that failed before its first token. */
  readonly maxRetries: number;
  /** Consecutive failures that open the provider's circuit breaker, and how long it stays open. */
  readonly breakerThreshold: number;
  readonly breakerCooldownMs: number;
  readonly models: readonly ModelConfig[];
}

export interface ProvidersConfig {
  readonly providers: readonly ProviderConfig[];
  /** `provider/model` new personas use unless they name one; the seeded personas use it too. */
  readonly defaultModel: { readonly provider: string; readonly model: string };
  readonly simulated: { readonly firstTokenMs: number; readonly tokensPerSecond: number };
}

/** The built-in simulator's models: one that answers, and two that fail on purpose (tests, demos). */
const SIMULATED_MODELS: ModelConfig[] = ['simulated-chat', 'simulated-fail', 'simulated-fail-midstream'].map((id) => ({
  id,
  contextWindow: 8192,
  maxOutputTokens: 1024,
  inputUsdPerMillion: 0,
  outputUsdPerMillion: 0,
  vision: true,
}));

const PROVIDER_DEFAULTS = { timeoutMs: 30_000, maxRetries: 2, breakerThreshold: 5, breakerCooldownMs: 30_000 };

/**
 * Providers come from PROVIDERS (JSON) or PROVIDERS_FILE (a JSON file), plus shortcuts for
 * the common cases: OPENAI_API_KEY (with OPENAI_BASE_URL for any OpenAI-compatible server)
 * and GEMINI_API_KEY. The simulator is always there, and is the default when nothing else is.
 */
export function readProvidersConfig(read: EnvReader): ProvidersConfig {
  const providers: ProviderConfig[] = [...parseProviderList(read)];
  const shortcut = (name: string, kind: ProviderKindConfig, apiKey: string | undefined, baseUrl: string | undefined, model: ModelConfig) => {
    if (apiKey && !providers.some((provider) => provider.name === name)) {
      providers.push({ name, kind, apiKey, baseUrl, headers: {}, ...PROVIDER_DEFAULTS, models: [model] });
    }
  };
  shortcut('openai', 'openai', read.optionalString('OPENAI_API_KEY'), read.optionalUrl('OPENAI_BASE_URL', ['http', 'https']), {
    id: read.string('OPENAI_MODEL', 'gpt-4o-mini'),
    contextWindow: 128_000,
    maxOutputTokens: 4096,
    inputUsdPerMillion: 0.15,
    outputUsdPerMillion: 0.6,
    vision: true,
  });
  shortcut('gemini', 'gemini', read.optionalString('GEMINI_API_KEY'), read.optionalUrl('GEMINI_BASE_URL', ['http', 'https']), {
    id: read.string('GEMINI_MODEL', 'gemini-2.5-flash'),
    contextWindow: 1_000_000,
    maxOutputTokens: 8192,
    inputUsdPerMillion: 0.3,
    outputUsdPerMillion: 2.5,
    vision: true,
  });
  if (!providers.some((provider) => provider.kind === 'simulated')) {
    providers.push({ name: 'simulated', kind: 'simulated', headers: {}, ...PROVIDER_DEFAULTS, maxRetries: 0, models: SIMULATED_MODELS });
  }

  const real = providers.find((provider) => provider.kind !== 'simulated');
  const fallbackDefault = real ? `${real.name}/${real.models[0]?.id}` : 'simulated/simulated-chat';
  const defaultModelText = read.string('DEFAULT_MODEL', fallbackDefault);
  const [provider = '', ...modelParts] = defaultModelText.split('/');
  const model = modelParts.join('/');
  if (!providers.some((candidate) => candidate.name === provider && candidate.models.some((known) => known.id === model))) {
    read.reject('DEFAULT_MODEL', `must be provider/model of a configured model, got "${defaultModelText}"`);
  }
  return {
    providers,
    defaultModel: { provider, model },
    simulated: {
      firstTokenMs: read.int('SIMULATED_FIRST_TOKEN_MS', 300, { max: 60_000 }),
      tokensPerSecond: read.int('SIMULATED_TOKENS_PER_SECOND', 40, { min: 1, max: 100_000 }),
    },
  };
}

function parseProviderList(read: EnvReader): ProviderConfig[] {
  const json = read.json('PROVIDERS', 'PROVIDERS_FILE');
  if (!json) return [];
  const { value: parsed, source } = json;
  if (!Array.isArray(parsed)) {
    read.reject(source, 'must be a JSON array of providers');
    return [];
  }
  const providers: ProviderConfig[] = [];
  parsed.forEach((entry: unknown, index) => {
    const provider = parseProvider(entry);
    if (typeof provider === 'string') read.reject(source, `entry ${index}: ${provider}`);
    else if (providers.some((known) => known.name === provider.name)) read.reject(source, `entry ${index}: duplicate name "${provider.name}"`);
    else providers.push(provider);
  });
  return providers;
}

/** A provider, or what is wrong with the entry. */
function parseProvider(entry: unknown): ProviderConfig | string {
  if (typeof entry !== 'object' || entry === null) return 'must be an object';
  const value = entry as Record<string, unknown>;
  if (typeof value['name'] !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(value['name'])) return 'name must be a short lowercase identifier';
  if (!PROVIDER_KINDS.includes(value['kind'] as ProviderKindConfig)) return `kind must be one of ${PROVIDER_KINDS.join(', ')}`;
  for (const key of ['baseUrl', 'apiKey'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') return `${key} must be a string`;
  }
  if (value['baseUrl'] !== undefined && !isHttpUrl(value['baseUrl'] as string)) return 'baseUrl must be an http(s) URL';
  const headers = value['headers'] ?? {};
  if (typeof headers !== 'object' || headers === null || Object.values(headers).some((header) => typeof header !== 'string')) {
    return 'headers must be an object of strings';
  }
  const numbers: Record<string, number> = {};
  for (const [key, fallback] of Object.entries(PROVIDER_DEFAULTS)) {
    const number = value[key] ?? fallback;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) return `${key} must be a whole number`;
    numbers[key] = number;
  }
  if (!Array.isArray(value['models']) || value['models'].length === 0) return 'models must be a non-empty array';
  const models: ModelConfig[] = [];
  for (const model of value['models'] as unknown[]) {
    const parsed = parseModel(model);
    if (typeof parsed === 'string') return parsed;
    models.push(parsed);
  }
  return {
    name: value['name'],
    kind: value['kind'] as ProviderKindConfig,
    baseUrl: value['baseUrl'] as string | undefined,
    apiKey: value['apiKey'] as string | undefined,
    headers: headers as Record<string, string>,
    timeoutMs: numbers['timeoutMs']!,
    maxRetries: numbers['maxRetries']!,
    breakerThreshold: numbers['breakerThreshold']!,
    breakerCooldownMs: numbers['breakerCooldownMs']!,
    models,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function parseModel(entry: unknown): ModelConfig | string {
  if (typeof entry !== 'object' || entry === null) return 'each model must be an object';
  const value = entry as Record<string, unknown>;
  if (typeof value['id'] !== 'string' || value['id'].length === 0) return 'each model needs an id';
  const positive = (key: string, fallback?: number): number | string => {
    const number = value[key] ?? fallback;
    return typeof number === 'number' && number >= 0 ? number : `model ${value['id']}: ${key} must be a non-negative number`;
  };
  const contextWindow = positive('contextWindow');
  const maxOutputTokens = positive('maxOutputTokens', 1024);
  const inputUsdPerMillion = positive('inputUsdPerMillion', 0);
  const outputUsdPerMillion = positive('outputUsdPerMillion', 0);
  for (const field of [contextWindow, maxOutputTokens, inputUsdPerMillion, outputUsdPerMillion]) {
    if (typeof field === 'string') return field;
  }
  const vision = value['vision'] ?? false;
  if (typeof vision !== 'boolean') return `model ${value['id']}: vision must be true or false`;
  return {
    id: value['id'],
    contextWindow: contextWindow as number,
    maxOutputTokens: maxOutputTokens as number,
    inputUsdPerMillion: inputUsdPerMillion as number,
    outputUsdPerMillion: outputUsdPerMillion as number,
    vision,
  };
}
