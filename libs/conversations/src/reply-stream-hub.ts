import { Injectable } from '@nestjs/common';

/** One server-sent event of a reply: `id` counts from 1 within the reply. */
export interface ReplyEvent {
  readonly id: number;
  readonly type: 'message' | 'reply.started' | 'reply.delta' | 'reply.completed' | 'error';
  readonly data: unknown;
}

/** How long a finished reply's events stay replayable from memory; after that, resume reads the database. */
const RETENTION_MS = 5 * 60_000;

/** A reply being generated in this process: its events so far, who listens, and how to stop it. */
export class LiveReply {
  readonly events: ReplyEvent[] = [];
  readonly abort = new AbortController();
  private readonly listeners = new Set<(event: ReplyEvent) => void>();
  private settle!: () => void;
  /** Resolves when the reply is persisted and its last event published. */
  readonly finished = new Promise<void>((resolve) => (this.settle = resolve));
  done = false;

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

  open(messageId: string): LiveReply {
    const reply = new LiveReply();
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
