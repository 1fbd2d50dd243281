import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventLog, Leases, PubSub, type LoggedEvent } from '#chorus/core';
import type { MessageView } from './message.view.js';

/** One server-sent event of a reply: `id` counts from 1 within the reply. */
export interface ReplyEvent {
  readonly id: number;
  readonly type: 'message' | 'reply.started' | 'reply.delta' | 'reply.media' | 'reply.audio' | 'reply.audio.failed' | 'reply.completed' | 'error';
  readonly data: unknown;
}

/** The events that end a reply's stream. */
export function isFinalEvent(event: { readonly type: string }): boolean {
  return event.type === 'reply.completed' || event.type === 'error';
}

/** How long a finished reply's events stay replayable; after that, resume reads the database. */
const RETENTION_MS = 5 * 60_000;
/**
 * A reply's shared log: generously above the events of the longest reply (one per streamed
 * chunk), and kept for a while after its last event should its process die without ending it.
 */
const SHARED_LOG_BOUNDS = { maxLength: 20_000, ttlMs: 15 * 60_000 };
/**
 * A generating process renews its leases every LEASE_RENEWAL_MS; a reply whose lease has lapsed
 * (LEASE_TTL_MS after its last renewal) and stayed free for LEASE_GRACE_MS is taken for
 * abandoned by a dead process.
 */
export const LEASE_TTL_MS = 4_000;
const LEASE_RENEWAL_MS = 1_200;
const LEASE_GRACE_MS = 2_000;
/** The channel on which a cancel reaches the process generating the reply. */
const CANCEL_CHANNEL = 'replies:cancel';

/** A reply being generated in this process: its events so far, who listens, and how to stop it. */
export class LiveReply {
  readonly events: ReplyEvent[] = [];
  private readonly listeners = new Set<(event: ReplyEvent) => void>();
  private settle!: () => void;
  /** Resolves when the reply is persisted and its last event published. */
  readonly finished = new Promise<void>((resolve) => (this.settle = resolve));
  done = false;
  /** The reply as saved when it ended (undefined when it stores nothing, or could not be saved). */
  saved: MessageView | undefined;

  /** `abort` stops the generation (cancel, shutdown, or a stateless request's client leaving). */
  constructor(readonly abort: AbortController = new AbortController()) {}

  publish(type: ReplyEvent['type'], data: unknown): void {
    const event = { id: this.events.length + 1, type, data };
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Replays the events after `afterId`, then follows live ones. Returns the way to stop listening. */
  subscribe(afterId: number, listener: (event: ReplyEvent) => void): () => void {
    for (const event of this.events) if (event.id > afterId) listener(event);
    if (this.done) return () => undefined;
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events after `afterId`, replayed then followed, up to the final one; `stop` ends the reading early. */
  async *read(afterId: number, stop?: AbortSignal): AsyncIterable<ReplyEvent> {
    const queue: ReplyEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.subscribe(afterId, (event) => {
      queue.push(event);
      wake?.();
    });
    const onStop = () => wake?.();
    stop?.addEventListener('abort', onStop);
    void this.finished.then(onStop);
    try {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          if (isFinalEvent(next)) return;
        } else if (this.done || stop?.aborted) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      }
    } finally {
      unsubscribe();
      stop?.removeEventListener('abort', onStop);
    }
  }

  end(): void {
    this.done = true;
    this.listeners.clear();
    this.settle();
  }
}

/**
 * The replies being generated, by assistant message id. Generation is detached from the HTTP
 * request that started it: a client that disconnects does not stop it, and can come back
 * with Last-Event-ID to replay what it missed.
 *
 * A reply generating here lives in this process's memory, and its events are read from there.
 * When the deployment shares Redis, each event is also appended to the reply's log in Redis,
 * so that any process can replay and follow it; a cancel reaches the generating process by
 * pub/sub; and the generating process holds a lease on the reply, renewed while it streams,
 * whose lapse tells the others the process died. Without Redis, all of this is the one
 * process's memory.
 */
@Injectable()
export class ReplyStreamHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Replies');
  private readonly replies = new Map<string, LiveReply>();
  private renewal: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly log: EventLog,
    private readonly pubsub: PubSub,
    private readonly leases: Leases,
  ) {}

  /** Whether other processes see the replies generating here. */
  get shared(): boolean {
    return this.log.shared;
  }

  async onModuleInit(): Promise<void> {
    if (!this.shared) return;
    const stopCancels = await this.pubsub.subscribe(CANCEL_CHANNEL, (replyId) => this.replies.get(replyId)?.abort.abort());
    // Back from a Redis outage (or a Redis restarted empty), leases are taken again at once, before another process finds them lapsed.
    const stopReconnects = this.pubsub.onReconnected(() => void this.renewLeases());
    this.stopListening = () => {
      stopCancels();
      stopReconnects();
    };
    this.renewal = setInterval(() => void this.renewLeases(), LEASE_RENEWAL_MS);
    this.renewal.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.renewal);
    this.stopListening?.();
  }

  /** Registers a reply being generated here, stopped by `abort`. */
  open(messageId: string, abort: AbortController): LiveReply {
    const reply = new LiveReply(abort);
    this.replies.set(messageId, reply);
    if (this.shared) this.share(messageId, reply);
    void reply.finished.then(() => setTimeout(() => this.replies.delete(messageId), RETENTION_MS).unref());
    return reply;
  }

  /** The reply, when it is generating (or recently ended) in this process. */
  get(messageId: string): LiveReply | undefined {
    return this.replies.get(messageId);
  }

  generatingHere(messageId: string): boolean {
    return this.replies.get(messageId)?.done === false;
  }

  /** Replies still generating here, for shutdown to wait on. */
  active(): LiveReply[] {
    return [...this.replies.values()].filter((reply) => !reply.done);
  }

  /**
   * The reply's events after `afterId` from its shared log, replayed then followed up to the
   * final one, whichever process generates it; undefined without Redis, when the log of a
   * reply that has ended (`ended`) is not kept whole (expired), or when the client saw its end.
   */
  async follow(messageId: string, afterId: number, ended: boolean): Promise<((stop?: AbortSignal) => AsyncIterable<ReplyEvent>) | undefined> {
    if (!this.shared) return undefined;
    const key = keyOf(messageId);
    const last = await this.log.last(key);
    const endKept = last !== undefined && isFinalEvent(last);
    // Still streaming, its events are (or will be) in its log: its process appends them, or a recovery its end.
    if (ended && !endKept) return undefined;
    // A client that saw the final event is answered from the database (its final event, numbered after its last).
    if (endKept && afterId >= Number(last.id)) return undefined;
    return (stop) => toReplyEvents(this.log.read(key, String(afterId), { stop, isLast: isFinalEvent }));
  }

  /** Resolves once the reply's shared log has its final event (at once if it has), or `stop` aborts. */
  async ended(messageId: string, stop: AbortSignal): Promise<void> {
    if (!this.shared) return;
    const key = keyOf(messageId);
    const last = await this.log.last(key);
    // From the last event on (it may be the final one already), or from the start of a log still empty.
    const from = last ? String(Number(last.id) - 1) : '0';
    for await (const _event of this.log.read(key, from, { stop, isLast: isFinalEvent }));
  }

  /** Stops the reply wherever it is generated: aborted here, or asked of the other processes. */
  async stop(messageId: string): Promise<void> {
    const live = this.replies.get(messageId);
    if (live) live.abort.abort();
    else if (this.shared) await this.pubsub.publish(CANCEL_CHANNEL, messageId);
  }

  /**
   * Which of the replies no living process generates: not this one, and (shared) none holds its
   * lease, nor has for LEASE_GRACE_MS (a lapse caused by Redis itself, restarted or unreachable
   * for a moment, leaves the generating process time to take its lease again).
   */
  async abandoned(messageIds: readonly string[]): Promise<string[]> {
    const notHere = messageIds.filter((id) => !this.generatingHere(id));
    if (!this.shared) return notHere;
    const lapsed = await this.leases.lapsed(notHere.map(keyOf), LEASE_GRACE_MS);
    return notHere.filter((_id, index) => lapsed[index]);
  }

  /**
   * Ends the shared log of a reply whose process died with `final` (its error), so that the
   * clients following it from other processes are told.
   */
  async interrupted(messageId: string, final: Pick<ReplyEvent, 'type' | 'data'>): Promise<void> {
    if (!this.shared) return;
    const key = keyOf(messageId);
    const last = await this.log.last(key);
    // No log (its process died before sharing an event, or it expired): its followers learn the end from the database.
    if (!last || isFinalEvent(last)) return;
    await this.log.append(key, final, SHARED_LOG_BOUNDS, Number(last.id) + 1);
    await this.log.expire(key, RETENTION_MS);
  }

  /**
   * Mirrors the reply's events to its shared log, one append at a time so that they land in
   * order, and holds its lease while it generates.
   */
  private share(messageId: string, reply: LiveReply): void {
    const key = keyOf(messageId);
    let appended: Promise<unknown> = this.leases.hold([keyOf(messageId)], LEASE_TTL_MS);
    let failed = false;
    reply.subscribe(0, (event) => {
      appended = appended
        .then(() => this.log.append(key, { type: event.type, data: event.data }, SHARED_LOG_BOUNDS, event.id))
        .catch((error: Error) => {
          // Logged once per reply: followers elsewhere stall until the reply ends in the database.
          if (!failed) this.logger.warn(`Reply ${messageId}: events could not be shared through Redis (${error.message})`);
          failed = true;
        });
    });
    void reply.finished.then(async () => {
      await appended;
      await Promise.all([this.log.expire(key, RETENTION_MS), this.leases.release(keyOf(messageId))]).catch(() => undefined);
    });
  }

  private async renewLeases(): Promise<void> {
    const generating = [...this.replies].filter(([, reply]) => !reply.done).map(([id]) => keyOf(id));
    await this.leases.hold(generating, LEASE_TTL_MS).catch((error: Error) => this.logger.warn(`Reply leases could not be renewed: ${error.message}`));
  }
}

/** A reply's key, for its shared log and its lease. */
function keyOf(messageId: string): string {
  return `reply:${messageId}`;
}

async function* toReplyEvents(events: AsyncIterable<LoggedEvent>): AsyncIterable<ReplyEvent> {
  for await (const event of events) yield { id: Number(event.id), type: event.type as ReplyEvent['type'], data: event.data };
}
