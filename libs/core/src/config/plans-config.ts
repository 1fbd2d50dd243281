import type { EnvReader } from './env-schema.js';

/** Limits of one plan; null means unlimited. Periods are UTC days and calendar months. */
export interface PlanLimits {
  readonly chat: {
    readonly messagesPerDay: number | null;
    /** Input plus output tokens. */
    readonly tokensPerMonth: number | null;
    /** Micro-dollars (1 USD = 1,000,000) from the models' prices. */
    readonly costMicrosPerMonth: number | null;
  };
  readonly media: { readonly uploadsPerDay: number | null; readonly bytesPerMonth: number | null };
  readonly voice: { readonly sttSecondsPerMonth: number | null; readonly ttsCharactersPerMonth: number | null };
  readonly avatar: { readonly secondsPerMonth: number | null; readonly concurrentSessions: number | null };
  readonly requestsPerMinute: number;
  /** Whether `premiumOnly` personas are open to this plan. */
  readonly premiumPersonas: boolean;
}

export interface PlanConfig {
  readonly name: string;
  readonly description: string;
  readonly limits: PlanLimits;
}

const DEFAULT_PLANS: PlanConfig[] = [
  {
    name: 'free',
    description: 'A taste of every persona that is not premium-only.',
    limits: {
      chat: { messagesPerDay: 50, tokensPerMonth: 300_000, costMicrosPerMonth: 1_000_000 },
      media: { uploadsPerDay: 10, bytesPerMonth: 100 * 1024 ** 2 },
      voice: { sttSecondsPerMonth: 600, ttsCharactersPerMonth: 20_000 },
      avatar: { secondsPerMonth: 300, concurrentSessions: 1 },
      requestsPerMinute: 60,
      premiumPersonas: false,
    },
  },
  {
    name: 'premium',
    description: 'Every persona, and room for daily use.',
    limits: {
      chat: { messagesPerDay: 1000, tokensPerMonth: 10_000_000, costMicrosPerMonth: 25_000_000 },
      media: { uploadsPerDay: 200, bytesPerMonth: 5 * 1024 ** 3 },
      voice: { sttSecondsPerMonth: 36_000, ttsCharactersPerMonth: 1_000_000 },
      avatar: { secondsPerMonth: 7200, concurrentSessions: 2 },
      requestsPerMinute: 300,
      premiumPersonas: true,
    },
  },
];

/** A JSON object of plans by name, each a partial PlanLimits over the free plan's defaults, plus a description. */
export function readPlans(read: EnvReader): PlanConfig[] {
  const json = read.json('PLANS', 'PLANS_FILE');
  if (!json) return DEFAULT_PLANS;
  const { value: parsed, source } = json;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    read.reject(source, 'must be a JSON object of plans by name, e.g. {"free": {"chat": {"messagesPerDay": 20}}}');
    return DEFAULT_PLANS;
  }
  const plans: PlanConfig[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)) {
      read.reject(source, `plan name "${name}" must be a short lowercase identifier`);
      continue;
    }
    const problem = limitsProblem(value);
    if (problem) {
      read.reject(source, `plan ${name}: ${problem}`);
      continue;
    }
    const overrides = value as Record<string, unknown>;
    plans.push({
      name,
      description: typeof overrides['description'] === 'string' ? overrides['description'] : '',
      limits: mergeLimits(DEFAULT_PLANS[0]!.limits, overrides),
    });
  }
  return plans.length > 0 ? plans : DEFAULT_PLANS;
}

/** `base` with `overrides` laid over it, one level deep (modalities) and at the top. */
export function mergeLimits(base: PlanLimits, overrides: Record<string, unknown>): PlanLimits {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'description') continue;
    const current = (base as unknown as Record<string, unknown>)[key];
    merged[key] = typeof current === 'object' && current !== null ? { ...current, ...(value as object) } : value;
  }
  return merged as unknown as PlanLimits;
}

const LIMIT_KEYS: Record<string, readonly string[]> = {
  chat: ['messagesPerDay', 'tokensPerMonth', 'costMicrosPerMonth'],
  media: ['uploadsPerDay', 'bytesPerMonth'],
  voice: ['sttSecondsPerMonth', 'ttsCharactersPerMonth'],
  avatar: ['secondsPerMonth', 'concurrentSessions'],
};

/** What is wrong with a (partial) set of limits, or undefined when it is valid. */
export function limitsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object';
  for (const [key, entry] of Object.entries(value)) {
    if (key === 'description') {
      if (typeof entry !== 'string') return 'description must be a string';
    } else if (key === 'requestsPerMinute') {
      if (!Number.isSafeInteger(entry) || (entry as number) < 1) return 'requestsPerMinute must be a positive whole number';
    } else if (key === 'premiumPersonas') {
      if (typeof entry !== 'boolean') return 'premiumPersonas must be true or false';
    } else if (LIMIT_KEYS[key]) {
      if (typeof entry !== 'object' || entry === null) return `${key} must be an object`;
      for (const [limit, amount] of Object.entries(entry)) {
        if (!LIMIT_KEYS[key].includes(limit)) return `${key}.${limit} is not a known limit (${LIMIT_KEYS[key].join(', ')})`;
        // Safe integers only: counters are 64-bit in the database, and JSON numbers past 2^53 are not exact anyway.
        if (amount !== null && (!Number.isSafeInteger(amount) || (amount as number) < 0)) {
          return `${key}.${limit} must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, or null`;
        }
      }
    } else {
      return `"${key}" is not a known limit`;
    }
  }
  return undefined;
}
