import { Injectable, Logger } from '@nestjs/common';
import { EventLog, compareIds, type LogBounds, type LoggedEvent } from '#chorus/core';
import type { InboxEvent } from './inbox-events.js';

/**
 * What an inbox keeps for clients that reconnect: the last 100 events, for an hour after the
 * last one (events carry whole messages: this bounds the memory a user's inbox takes). The
 * database holds everything; the inbox only spares clients a reload after a short gap.
 */
export const INBOX_BOUNDS: LogBounds = { maxLength: 100, ttlMs: 60 * 60 * 1000 };

/** The log of one user's inbox; derived from the authenticated user's id only, never from input. */
function inboxKey(userId: string): string {
  return `inbox:${userId}`;
}

/**
 * Each user's inbox of live events: features publish to it, the user's clients follow it on
 * GET /me/events. Kept in the shared EventLog (Redis when configured), so an event published by
 * one process reaches the user's streams on every process.
 */
@Injectable()
export class Inbox {
  private readonly logger = new Logger('Inbox');

  constructor(private readonly log: EventLog) {}

  /**
   * Appends `event` to the user's inbox; it reaches the user's open streams at once. Never
   * throws: the inbox is best effort (what it tells is in the database), so a failure is logged
   * and the caller goes on. Resolves once appended; a caller on a hot path need not wait for it.
   */
  async publish(userId: string, event: InboxEvent): Promise<void> {
    const { type, ...payload } = event;
    try {
      // As JSON now, whatever the store: what the caller changes afterwards is not what was told, and a
      // payload that cannot be sent fails here rather than in every stream that replays it.
      const data = JSON.parse(JSON.stringify(payload)) as unknown;
      await this.log.append(inboxKey(userId), { type, data }, INBOX_BOUNDS);
    } catch (error) {
      this.logger.warn(`Inbox event ${type} for user ${userId} not published: ${(error as Error).message}`);
    }
  }

  /**
   * Where a client's stream starts: after `lastEventId` (what it missed is replayed), or, without
   * one, after the last event kept (live only).
   */
  async startAfter(userId: string, lastEventId?: string): Promise<string> {
    const last = await this.log.last(inboxKey(userId));
    if (!last) return '0';
    if (lastEventId === undefined) return last.id;
    // Ahead of the log: the log was lost (a restart without Redis) and numbered anew, so everything in it is news to the client.
    return compareIds(lastEventId, last.id) > 0 ? '0' : lastEventId;
  }

  /** The user's events after `afterId`, those kept then new ones as they come, until `stop`. */
  follow(userId: string, afterId: string, stop: AbortSignal): AsyncIterable<LoggedEvent> {
    return this.log.read(inboxKey(userId), afterId, { stop });
  }
}
