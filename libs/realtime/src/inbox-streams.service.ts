import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Gauge } from 'prom-client';
import { AuthProblems, Authenticator, RevocationList, type Principal } from '#chorus/auth';
import { MetricsService, ProblemException, SSE_HEARTBEAT_MS, writeServerSentEvents, type LoggedEvent, type ServerSentEvent } from '#chorus/core';
import { STREAM_END_EVENTS } from './inbox-events.js';
import { Inbox } from './inbox.service.js';

export interface InboxStreamOptions {
  /** How often an idle stream sends a comment line, and re-checks the credential that opened it. */
  readonly heartbeatMs: number;
}

/**
 * Provided (by a global module) to change how inbox streams run; SSE_HEARTBEAT_MS otherwise.
 * Tests shorten the heartbeat with it.
 */
export const INBOX_STREAM_OPTIONS = Symbol('INBOX_STREAM_OPTIONS');

const REVOKED: ServerSentEvent = {
  type: STREAM_END_EVENTS.revoked,
  data: { code: AuthProblems.tokenRevoked.code, detail: 'This session has ended: sign in again.' },
};

/**
 * The open GET /me/events streams of this process. Each follows its user's inbox until the
 * client leaves, or until the credential that opened it stops standing: told at once by the
 * revocation list's announcements (logout, password change, ban, account deletion, in any
 * process), and re-checked at every heartbeat as the guard would (an access token that expired,
 * a deleted API key, an announcement missed), the stream then ends with a last event saying why.
 */
@Injectable()
export class InboxStreams implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Inbox');
  private readonly open = new Set<InboxStream>();
  private readonly heartbeatMs: number;
  private closing = false;

  constructor(
    private readonly inbox: Inbox,
    private readonly revocations: RevocationList,
    private readonly authenticator: Authenticator,
    metrics: MetricsService,
    @Optional() @Inject(INBOX_STREAM_OPTIONS) options?: Partial<InboxStreamOptions>,
  ) {
    this.heartbeatMs = options?.heartbeatMs ?? SSE_HEARTBEAT_MS;
    const streamsOpen: Gauge = metrics.gauge({
      name: 'chorus_inbox_streams_open',
      help: 'Inbox event streams (GET /me/events) open to clients on this process now.',
      collect: () => streamsOpen.set(this.open.size),
    });
  }

  /** Streams the caller's inbox to `response`, after `lastEventId` when given (else live only), until it ends. */
  async serve(caller: Principal, request: Request, response: Response, lastEventId: string | undefined): Promise<void> {
    // Before the 200: a store out of reach is answered as an error, not as an empty stream.
    const after = await this.inbox.startAfter(caller.userId, lastEventId);
    const stream = new InboxStream();
    const stopWatching = await this.revocations.watch(caller, () => stream.end(REVOKED));
    this.open.add(stream);
    // Shutting down: the client reconnects (with its Last-Event-ID) to a process that stays.
    if (this.closing) stream.end();
    let checking = false;
    const recheck = () => {
      if (checking || stream.ended) return;
      checking = true;
      void this.recheckCredential(request)
        .then((last) => last && stream.end(last))
        .finally(() => (checking = false));
    };
    try {
      await writeServerSentEvents(response, (clientGone) => stream.events((stop) => this.inbox.follow(caller.userId, after, stop), clientGone), {
        heartbeatMs: this.heartbeatMs,
        onHeartbeat: recheck,
      });
    } finally {
      this.open.delete(stream);
      stopWatching();
    }
  }

  /** Ends every stream, so that the server can close; clients reconnect elsewhere. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const stream of this.open) stream.end();
  }

  /**
   * Whether the credential that opened the stream would still be let in now: undefined when it
   * would (or when that cannot be told at the moment), else the stream's last event.
   */
  private async recheckCredential(request: Request): Promise<ServerSentEvent | undefined> {
    try {
      // The same request asked about again: the Authenticator remembers its answer per request object.
      await this.authenticator.authenticate(Object.create(request) as Request);
      return undefined;
    } catch (error) {
      if (error instanceof ProblemException && error.problem.status === 401) {
        const type = error.problem.code === AuthProblems.tokenExpired.code ? STREAM_END_EVENTS.expired : STREAM_END_EVENTS.revoked;
        return { type, data: { code: error.problem.code, detail: error.detail } };
      }
      // The database or Redis out of reach: the announcements still work, and the next heartbeat asks again.
      this.logger.warn(`Could not re-check the credential of an inbox stream: ${(error as Error).message}`);
      return undefined;
    }
  }
}

/** One client's stream: its inbox events, then, when it ends for a reason the client must know, a last event saying so. */
class InboxStream {
  private readonly stop = new AbortController();
  private last?: ServerSentEvent;

  get ended(): boolean {
    return this.stop.signal.aborted;
  }

  /** Nothing more is sent from the inbox; `last`, if given, is sent before the stream closes. */
  end(last?: ServerSentEvent): void {
    if (this.ended) return;
    this.last = last;
    this.stop.abort();
  }

  async *events(follow: (stop: AbortSignal) => AsyncIterable<LoggedEvent>, clientGone: AbortSignal): AsyncIterable<ServerSentEvent> {
    const leave = () => this.end();
    clientGone.addEventListener('abort', leave);
    if (clientGone.aborted) this.end();
    try {
      for await (const event of follow(this.stop.signal)) {
        if (this.ended) break;
        yield event;
      }
      if (this.last && !clientGone.aborted) yield this.last;
    } finally {
      clientGone.removeEventListener('abort', leave);
    }
  }
}
