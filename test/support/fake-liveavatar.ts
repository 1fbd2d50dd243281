import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ScriptedFake } from './scripted-fake.js';

/**
 * A fake of HeyGen's LiveAvatar session API on 127.0.0.1, wire-compatible with what
 * docs.liveavatar.com documents and its web SDK sends:
 *
 * - `POST /v1/sessions/token` (header `X-API-KEY`; `{mode, avatar_id, max_session_duration, ...}`)
 *   answers `{code: 1000, data: {session_id, session_token}}`;
 * - `POST /v1/sessions/start` (`Authorization: Bearer <session_token>`, no body) answers the
 *   LiveKit room (`livekit_url`, `livekit_client_token`, `max_session_duration`);
 * - `POST /v1/sessions/keep-alive` and `/v1/sessions/stop` (`X-API-KEY`, `{session_id, reason}`);
 *   a session already stopped or never known is a 404.
 *
 * Every envelope is `{code, data, message}`; a wrong key is a 401. Tests script failures per
 * endpoint (`answer({ start: { status: 429 } })`) and read `stops` to prove that every session
 * started was stopped exactly once.
 */

export type LiveAvatarEndpoint = 'token' | 'start' | 'keep-alive' | 'stop';

/** A failure to answer with, in LiveAvatar's envelope; `hang` never answers; `delayMs` alone answers normally, late. */
export interface LiveAvatarFailure {
  readonly delayMs?: number;
  readonly status?: number;
  readonly code?: number;
  readonly message?: string;
  readonly hang?: boolean;
}

/** How requests are answered: normally, or with a failure for the endpoints named. */
export type LiveAvatarAnswer = Partial<Record<LiveAvatarEndpoint, LiveAvatarFailure>>;

export interface LiveAvatarRequest {
  readonly endpoint: LiveAvatarEndpoint | 'unknown';
  readonly headers: IncomingHttpHeaders;
  readonly json?: Record<string, unknown>;
}

export interface FakeLiveAvatarSession {
  readonly id: string;
  readonly token: string;
  readonly request: Record<string, unknown>;
  state: 'created' | 'started' | 'stopped';
  keepAlives: number;
}

const ENDPOINTS: Record<string, LiveAvatarEndpoint> = {
  '/v1/sessions/token': 'token',
  '/v1/sessions/start': 'start',
  '/v1/sessions/keep-alive': 'keep-alive',
  '/v1/sessions/stop': 'stop',
};

export class FakeLiveAvatar extends ScriptedFake<LiveAvatarAnswer, LiveAvatarRequest> {
  readonly sessions = new Map<string, FakeLiveAvatarSession>();
  /** Every stop that stopped a session, with its reason, in order. */
  readonly stops: Array<{ sessionId: string; reason: unknown }> = [];

  private constructor(readonly apiKey: string) {
    super({});
  }

  static start(apiKey = 'liveavatar-test-key'): Promise<FakeLiveAvatar> {
    return new FakeLiveAvatar(apiKey).listen();
  }

  /** Sessions started and not stopped: what a leak would leave. */
  running(): FakeLiveAvatarSession[] {
    return [...this.sessions.values()].filter((session) => session.state === 'started');
  }

  override reset(): void {
    super.reset();
    this.sessions.clear();
    this.stops.length = 0;
  }

  protected async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const endpoint = request.method === 'POST' ? (ENDPOINTS[new URL(request.url ?? '/', this.origin).pathname] ?? 'unknown') : 'unknown';
    this.record({ endpoint, headers: request.headers, json });
    if (endpoint === 'unknown') return send(response, 404, { code: 4004, data: null, message: 'Not Found' });

    const failure = this.takeAnswer()[endpoint];
    if (failure?.hang) return;
    if (failure?.delayMs) await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
    if (failure && Object.keys(failure).some((key) => key !== 'delayMs')) return send(response, failure.status ?? 500, { code: failure.code ?? 5000, data: null, message: failure.message ?? 'scripted failure' });

    if (endpoint === 'start') {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const session = [...this.sessions.values()].find((candidate) => candidate.token === token);
      if (!session) return send(response, 401, { code: 4001, data: null, message: 'Invalid session token' });
      if (session.state !== 'created') return send(response, 400, { code: 4000, data: null, message: 'Session already started' });
      session.state = 'started';
      return send(response, 201, {
        code: 1000,
        data: {
          session_id: session.id,
          livekit_url: 'wss://livekit.fake.example',
          livekit_client_token: `client-${session.id}`,
          livekit_agent_token: null,
          max_session_duration: session.request['max_session_duration'] ?? 600,
          ws_url: null,
        },
        message: 'Session started',
      });
    }
    if (request.headers['x-api-key'] !== this.apiKey) return send(response, 401, { code: 4001, data: null, message: 'Invalid API key' });
    if (endpoint === 'token') {
      if (typeof json?.['avatar_id'] !== 'string') return send(response, 422, { detail: [{ loc: ['body', 'avatar_id'], msg: 'Field required' }] });
      const session: FakeLiveAvatarSession = { id: randomUUID(), token: `token-${randomUUID()}`, request: json, state: 'created', keepAlives: 0 };
      this.sessions.set(session.id, session);
      return send(response, 200, { code: 1000, data: { session_id: session.id, session_token: session.token }, message: 'Session token created' });
    }
    const session = this.sessions.get(String(json?.['session_id']));
    if (!session || session.state === 'stopped') return send(response, 404, { code: 4004, data: null, message: 'Session not found' });
    if (endpoint === 'keep-alive') {
      session.keepAlives += 1;
      return send(response, 200, { code: 1000, data: {}, message: 'Session kept alive' });
    }
    session.state = 'stopped';
    this.stops.push({ sessionId: session.id, reason: json?.['reason'] });
    return send(response, 200, { code: 1000, data: {}, message: 'Session stopped' });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
