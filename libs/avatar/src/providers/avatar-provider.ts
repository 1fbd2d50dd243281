import type { AvatarQuality } from '#chorus/influencers';
import type { AvatarStopReason } from '../avatar-session.entity.js';

/** What a session is asked for: the persona's avatar settings and the longest it may last. */
export interface AvatarSessionSpec {
  readonly avatarId: string;
  readonly quality: AvatarQuality;
  readonly language: string;
  /** The persona's voice at the provider, when its voice settings name one there. */
  readonly voiceId?: string;
  readonly maxSeconds: number;
}

/** A session the provider has created but not started: its id (what the server stops it by) and what starting it takes. */
export interface OpenedAvatarSession {
  readonly providerSessionId: string;
  /** LiveAvatar's session token: used once, to start, and never stored. */
  readonly startCredential: string;
}

/** What a client needs to join the session's video room, and nothing more (no provider key). */
export interface AvatarJoinInfo {
  /** `livekit`: join `url` with `token` (a LiveKit client); `none`: the simulated provider has no video. */
  readonly transport: 'livekit' | 'none';
  readonly url: string | null;
  readonly token: string | null;
}

export interface StartedAvatarSession {
  readonly join: AvatarJoinInfo;
  /** The provider's own limit on the session's length, when it states one (seconds). */
  readonly maxSeconds: number | null;
}

/**
 * Why a provider call failed: `auth` (the deployment's key was refused), `capacity` (the provider
 * is out of sessions, credits or rate), `rejected` (it refused what was asked, e.g. an unknown
 * avatar), `gone` (the session is already over there), `unavailable` (timeout, network, 5xx,
 * breaker open).
 */
export type AvatarFailureKind = 'auth' | 'capacity' | 'rejected' | 'gone' | 'unavailable';

export class AvatarProviderError extends Error {
  constructor(
    message: string,
    readonly kind: AvatarFailureKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AvatarProviderError';
  }
}

/**
 * A streaming-avatar provider, driven by the server only: it opens, starts, keeps alive and stops
 * sessions with the deployment's key, which never leaves the server. Every call takes a signal
 * that aborts it at the registry's timeout.
 */
export interface AvatarProvider {
  open(spec: AvatarSessionSpec, signal: AbortSignal): Promise<OpenedAvatarSession>;
  start(session: OpenedAvatarSession, signal: AbortSignal): Promise<StartedAvatarSession>;
  keepAlive(providerSessionId: string, signal: AbortSignal): Promise<void>;
  /** Stops the session at the provider; a session already over there is stopped (no error). */
  stop(providerSessionId: string, reason: AvatarStopReason, signal: AbortSignal): Promise<void>;
}
