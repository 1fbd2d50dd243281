import type { AvatarStopReason } from '../avatar-session.entity.js';
import { AvatarProviderError, type AvatarProvider, type AvatarSessionSpec, type OpenedAvatarSession, type StartedAvatarSession } from './avatar-provider.js';

/** LiveAvatar's envelope around every answer: `code` 1000 is success (its SDK's test; some documents show 100). */
interface Envelope<T> {
  readonly code?: number;
  readonly data?: T | null;
  readonly message?: string;
}

const SUCCESS_CODES = new Set([1000, 100]);

/** Our reasons as LiveAvatar's `SessionEndReasonEnum` names them. */
const END_REASONS: Record<AvatarStopReason, string> = {
  user: 'USER_CLOSED',
  admin: 'USER_CLOSED',
  max_duration: 'MAX_DURATION_REACHED',
  quota: 'NO_CREDITS',
  idle: 'IDLE_TIMEOUT',
  provider: 'UNKNOWN',
  start_failed: 'SERVER_ERROR',
  abandoned: 'ZOMBIE_SESSION_REAP',
  account_deleted: 'USER_CLOSED',
  user_banned: 'USER_CLOSED',
  persona_gone: 'AVATAR_DELETED',
};

/**
 * HeyGen's LiveAvatar (https://docs.liveavatar.com), over plain HTTP: `POST /v1/sessions/token`
 * (X-API-KEY) creates a FULL-mode session with the persona's avatar, voice and language and no
 * context of LiveAvatar's own, so that it says only what it is told; `POST /v1/sessions/start`
 * (Bearer session token) gives the LiveKit room a client joins; keep-alive and stop go with the
 * API key and the session id, which lets any process stop any session. The client makes the
 * avatar speak Chorus's replies with `avatar.speak_text` on the room's `agent-control` topic.
 */
export class LiveAvatarProvider implements AvatarProvider {
  constructor(private readonly options: { readonly baseUrl: string; readonly apiKey: string; readonly sandbox: boolean }) {}

  async open(spec: AvatarSessionSpec, signal: AbortSignal): Promise<OpenedAvatarSession> {
    const persona: Record<string, string> = { language: spec.language };
    if (spec.voiceId) persona['voice_id'] = spec.voiceId;
    const data = await this.call<{ session_id?: string; session_token?: string }>(
      '/v1/sessions/token',
      { 'X-API-KEY': this.options.apiKey },
      {
        mode: 'FULL',
        avatar_id: spec.avatarId,
        is_sandbox: this.options.sandbox,
        video_settings: { quality: spec.quality },
        max_session_duration: spec.maxSeconds,
        avatar_persona: persona,
      },
      signal,
    );
    if (typeof data.session_id !== 'string' || typeof data.session_token !== 'string') throw new AvatarProviderError('LiveAvatar answered a token without a session', 'unavailable');
    return { providerSessionId: data.session_id, startCredential: data.session_token };
  }

  async start(session: OpenedAvatarSession, signal: AbortSignal): Promise<StartedAvatarSession> {
    const data = await this.call<{ livekit_url?: string; livekit_client_token?: string; max_session_duration?: number | null }>(
      '/v1/sessions/start',
      { Authorization: `Bearer ${session.startCredential}` },
      undefined,
      signal,
    );
    if (typeof data.livekit_url !== 'string' || typeof data.livekit_client_token !== 'string') throw new AvatarProviderError('LiveAvatar started a session without a room', 'unavailable');
    const maxSeconds = typeof data.max_session_duration === 'number' && data.max_session_duration > 0 ? data.max_session_duration : null;
    return { join: { transport: 'livekit', url: data.livekit_url, token: data.livekit_client_token }, maxSeconds };
  }

  async keepAlive(providerSessionId: string, signal: AbortSignal): Promise<void> {
    await this.call('/v1/sessions/keep-alive', { 'X-API-KEY': this.options.apiKey }, { session_id: providerSessionId }, signal);
  }

  async stop(providerSessionId: string, reason: AvatarStopReason, signal: AbortSignal): Promise<void> {
    try {
      await this.call('/v1/sessions/stop', { 'X-API-KEY': this.options.apiKey }, { session_id: providerSessionId, reason: END_REASONS[reason] }, signal);
    } catch (error) {
      if (error instanceof AvatarProviderError && error.kind === 'gone') return;
      throw error;
    }
  }

  /** POSTs `body` and returns the envelope's data; any failure becomes an AvatarProviderError that names no credential. */
  private async call<T>(path: string, auth: Record<string, string>, body: unknown, signal: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.options.baseUrl), {
        method: 'POST',
        headers: { ...auth, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw new AvatarProviderError(`LiveAvatar ${path} unreachable: ${signal.aborted ? 'timed out' : (error as Error).message}`, 'unavailable');
    }
    const envelope = (await response.json().catch(() => ({}))) as Envelope<T>;
    const said = typeof envelope.message === 'string' ? envelope.message.slice(0, 300) : `HTTP ${response.status}`;
    if (response.ok && envelope.data != null && (envelope.code === undefined || SUCCESS_CODES.has(envelope.code))) return envelope.data;
    throw new AvatarProviderError(`LiveAvatar ${path}: ${said}`, failureKind(response.status), response.status);
  }
}

function failureKind(status: number): AvatarProviderError['kind'] {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'gone';
  if (status === 402 || status === 429) return 'capacity';
  if (status >= 400 && status < 500) return 'rejected';
  return 'unavailable';
}
