import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CoreProblems, ProblemException, decodeCursor, encodeCursor, toCursorPage, type CursorPage } from '#chorus/core';
import { InfluencersService } from '#chorus/influencers';
import { MediaAttachments } from '#chorus/media';
import { Inbox } from '#chorus/realtime';
import { QuotaService, type Caller } from '#chorus/usage';
import { ConversationsRepository, type ConversationPosition, type ConversationRow } from './conversations.repository.js';
import { toMessageView, withAttachments, type ConversationView, type MessagePage, type MessageView } from './message.view.js';
import { RepliesRepository } from './replies.repository.js';
import { ReplyStreamHub } from './reply-stream-hub.js';

/** The sort key of the conversation list, as its cursors hold it: `{ at: last_message_at, id }`. */
const LIST_CURSOR = { at: 'timestamp', id: 'uuid' } as const;
/** A history page's bound: a message's position. */
const HISTORY_CURSOR = { p: 'integer' } as const;

@Injectable()
export class ConversationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly influencers: InfluencersService,
    private readonly quota: QuotaService,
    private readonly hub: ReplyStreamHub,
    private readonly replies: RepliesRepository,
    private readonly inbox: Inbox,
    private readonly media: MediaAttachments,
  ) {}

  /** Starts a conversation with an active persona; its greeting is the first message. */
  async create(caller: Caller, influencerId: string): Promise<{ conversation: ConversationView; greeting: MessageView }> {
    const { userId } = caller;
    const influencer = await this.influencers.get(influencerId, false);
    await this.quota.assertPersonaAllowed(caller, influencer.premiumOnly);
    const greeting = await this.dataSource.transaction(async (manager) => {
      const conversation = await this.conversations.insert({ userId, influencerId, lastMessageAt: new Date() }, manager);
      return this.conversations.insertMessage(
        {
          conversationId: conversation.id,
          role: 'assistant',
          content: influencer.greeting,
          status: 'completed',
          promptVersion: influencer.promptVersion,
          completedAt: new Date(),
        },
        manager,
      );
    });
    return { conversation: await this.get(userId, greeting.conversationId), greeting: toMessageView(greeting) };
  }

  /** The user's conversations, most recent activity first. */
  async list(userId: string, limit: number, cursor?: string): Promise<CursorPage<ConversationView>> {
    const rows = await this.conversations.listPage(userId, cursor ? listPosition(cursor) : undefined, limit + 1);
    return toCursorPage(rows, limit, (row) => ({ at: row.last_message_at.toISOString(), id: row.id }), toConversationView);
  }

  /** One of the user's conversations; another user's is not found. */
  async get(userId: string, conversationId: string): Promise<ConversationView> {
    const row = await this.conversations.findOwned(userId, conversationId);
    if (!row) throw notFound();
    return toConversationView(row);
  }

  async rename(userId: string, conversationId: string, title: string): Promise<ConversationView> {
    if (!(await this.conversations.renameOwned(userId, conversationId, title))) throw notFound();
    return this.get(userId, conversationId);
  }

  /**
   * Deletes the conversation and its messages. A reply still being generated, by any process,
   * is stopped (the provider call ends); it is billed for what it generated, as a cancelled one
   * would be.
   */
  async remove(userId: string, conversationId: string): Promise<void> {
    const streaming = await this.replies.streamingIn(userId, conversationId);
    if (!(await this.conversations.deleteOwned(userId, conversationId))) throw notFound();
    // A stop that cannot reach its process (Redis down) leaves the reply to end by itself: it is then billed as deleted.
    await Promise.all(streaming.map((id) => this.hub.stop(id).catch(() => undefined)));
  }

  /** Marks it read; the user's other devices are told through their inbox. */
  async markRead(userId: string, conversationId: string): Promise<ConversationView> {
    if (!(await this.conversations.markReadOwned(userId, conversationId))) throw notFound();
    const view = await this.get(userId, conversationId);
    void this.inbox.publish(userId, { type: 'conversation.unread', conversationId, unreadCount: view.unreadCount });
    return view;
  }

  /** A page of history, oldest first, with its attachments: the newest messages by default, or those before/after a cursor. */
  async history(caller: Caller, conversationId: string, query: { limit: number; before?: string; after?: string }): Promise<MessagePage> {
    await this.assertOwned(caller.userId, conversationId);
    const rows = await this.conversations.historyPage(
      conversationId,
      {
        after: query.after ? decodeCursor(query.after, HISTORY_CURSOR)['p'] : undefined,
        before: query.before ? decodeCursor(query.before, HISTORY_CURSOR)['p'] : undefined,
      },
      query.limit + 1,
    );
    const newerFirst = !query.after;
    const hasMore = rows.length > query.limit;
    const page = await withAttachments(rows.slice(0, query.limit).map(toMessageView), (ids) => this.media.viewsOf(ids, () => this.quota.premiumPersonasOpen(caller)));
    if (newerFirst) page.reverse();
    const first = page[0];
    const last = page.at(-1);
    const cursor = (message: MessageView | undefined) => (message ? encodeCursor({ p: message.position }) : null);
    return {
      items: page,
      // Going back, "older" exists only while pages are full; "newer" is always offered, to poll for new messages.
      olderCursor: newerFirst ? (hasMore ? cursor(first) : null) : cursor(first),
      newerCursor: cursor(last) ?? (query.after ?? null),
    };
  }

  async assertOwned(userId: string, conversationId: string): Promise<void> {
    if (!(await this.conversations.existsOwned(userId, conversationId))) throw notFound();
  }
}

/** A client's list cursor (400 `invalid_cursor` when it is not one). */
function listPosition(cursor: string): ConversationPosition {
  const position = decodeCursor(cursor, LIST_CURSOR);
  return { at: position['at'], id: position['id'] };
}

function toConversationView(row: ConversationRow): ConversationView {
  return {
    id: row.id,
    title: row.title,
    influencer: { id: row.influencer_id, handle: row.handle, displayName: row.display_name, avatarUrl: row.avatar_url },
    lastMessage: row.last_role && row.last_created_at ? { role: row.last_role, content: row.last_content ?? '', createdAt: row.last_created_at } : null,
    unreadCount: row.unread_count,
    lastMessageAt: row.last_message_at,
    createdAt: row.created_at,
  };
}

function notFound(): ProblemException {
  return new ProblemException(CoreProblems.notFound, 'No such conversation.');
}
