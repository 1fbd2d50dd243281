import { Injectable } from '@nestjs/common';
import type { MessageView } from './message.view.js';

/** One server-sent event of a reply: `id` counts from 1 within the reply. */
export interface ReplyEvent {
  readonly id: number;
  readonly type: 'message' | 'reply.started' | 'reply.delta' | 'reply.completed' | 'error';
  readonly data: unknown;
}

/** The events that end a reply's stream. */
export function isFinalEvent(event: ReplyEvent): boolean {
  return event.type === 'reply.completed' || event.type === 'error';
}

/** How long a finished reply's events stay replayable from memory; after that, resume reads the database. */
const RETENTION_MS = 5 * 60_000;

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
 * with Last-Event-ID to replay what it missed. Kept in process memory: a resume must reach
 * the process generating the reply (see README, scale-out).
 */
@Injectable()
export class ReplyStreamHub {
  private readonly replies = new Map<string, LiveReply>();

  /** Registers a reply being generated here, stopped by `abort`. */
  open(messageId: string, abort: AbortController): LiveReply {
    const reply = new LiveReply(abort);
    this.replies.set(messageId, reply);
    void reply.finished.then(() => setTimeout(() => this.replies.delete(messageId), RETENTION_MS).unref());
    return reply;
  }

  get(messageId: string): LiveReply | undefined {
    return this.replies.get(messageId);
  }

  /** Replies still generating, for shutdown to wait on. */
  active(): LiveReply[] {
    return [...this.replies.values()].filter((reply) => !reply.done);
  }
}
