import type { EnvReader } from './env-schema.js';

export const AVATAR_KINDS = ['simulated', 'liveavatar'] as const;
export type AvatarKind = (typeof AVATAR_KINDS)[number];

/** A streaming-avatar provider instance: where it is, what a minute costs, and how it is guarded. */
export interface AvatarProviderConfig {
  /** The instance's name, as personas' avatar settings and the ledger name it. */
  readonly name: string;
  readonly kind: AvatarKind;
  readonly baseUrl?: string;
  readonly apiKey?: string;
  /** LiveAvatar's sandbox: free, about a minute long, one avatar only (for trying a key). */
  readonly sandbox: boolean;
  /** What a minute of a session costs the operator, in USD (recorded in the ledger in micros). */
  readonly usdPerMinute: number;
  readonly timeoutMs: number;
  readonly breakerThreshold: number;
  readonly breakerCooldownMs: number;
}

export interface AvatarConfig {
  /** `simulated` is always listed; `liveavatar` when LIVEAVATAR_API_KEY is set. */
  readonly providers: readonly AvatarProviderConfig[];
  /** The instance personas' avatars use when their settings name none. */
  readonly defaultProvider: string;
  /** The longest a session may last, in seconds (asked of the provider, and reserved from the plan's minutes). */
  readonly maxSessionSeconds: number;
  /** The shortest session worth starting: a user with fewer seconds left is refused (429) rather than started. */
  readonly minSessionSeconds: number;
  /** A session with no keep-alive for this long is stopped by the server (the client is gone). */
  readonly idleTimeoutSeconds: number;
  /** A session still `starting` this long after it was asked for belongs to a process that died mid-start. */
  readonly startTimeoutSeconds: number;
  /** How often the sweeper looks for sessions to stop. */
  readonly sweepIntervalMs: number;
}

/**
 * Streaming avatars: the simulated provider is always there (the embedded default, no video);
 * LIVEAVATAR_API_KEY adds `liveavatar` (LIVEAVATAR_BASE_URL, LIVEAVATAR_SANDBOX,
 * LIVEAVATAR_USD_PER_MINUTE) and makes it the default unless AVATAR_DEFAULT says otherwise.
 */
export function readAvatarConfig(read: EnvReader): AvatarConfig {
  const guard = {
    timeoutMs: read.int('AVATAR_PROVIDER_TIMEOUT_MS', 15_000, { min: 100, max: 120_000 }),
    breakerThreshold: read.int('AVATAR_BREAKER_THRESHOLD', 5, { min: 0, max: 1000 }),
    breakerCooldownMs: read.int('AVATAR_BREAKER_COOLDOWN_MS', 30_000, { min: 0, max: 3_600_000 }),
  };
  const providers: AvatarProviderConfig[] = [{ name: 'simulated', kind: 'simulated', sandbox: false, usdPerMinute: 0, ...guard }];
  const liveAvatarKey = read.optionalString('LIVEAVATAR_API_KEY');
  if (liveAvatarKey) {
    const usdPerMinute = Number(read.string('LIVEAVATAR_USD_PER_MINUTE', '0'));
    if (!(usdPerMinute >= 0)) read.reject('LIVEAVATAR_USD_PER_MINUTE', 'must be a non-negative number');
    providers.push({
      name: 'liveavatar',
      kind: 'liveavatar',
      apiKey: liveAvatarKey,
      baseUrl: read.optionalUrl('LIVEAVATAR_BASE_URL', ['http', 'https']) ?? 'https://api.liveavatar.com',
      sandbox: read.bool('LIVEAVATAR_SANDBOX', false),
      usdPerMinute: usdPerMinute >= 0 ? usdPerMinute : 0,
      ...guard,
    });
  }
  const defaultProvider = read.string('AVATAR_DEFAULT', liveAvatarKey ? 'liveavatar' : 'simulated');
  if (!providers.some((provider) => provider.name === defaultProvider)) read.reject('AVATAR_DEFAULT', `must name an avatar provider, got "${defaultProvider}"`);
  const maxSessionSeconds = read.int('AVATAR_MAX_SESSION_SECONDS', 600, { min: 10, max: 4 * 3600 });
  return {
    providers,
    defaultProvider,
    maxSessionSeconds,
    minSessionSeconds: read.int('AVATAR_MIN_SESSION_SECONDS', 60, { min: 1, max: maxSessionSeconds }),
    idleTimeoutSeconds: read.int('AVATAR_IDLE_TIMEOUT_SECONDS', 90, { min: 5, max: 3600 }),
    startTimeoutSeconds: read.int('AVATAR_START_TIMEOUT_SECONDS', 60, { min: 5, max: 3600 }),
    sweepIntervalMs: read.int('AVATAR_SWEEP_INTERVAL_MS', 5_000, { min: 100, max: 600_000 }),
  };
}
