import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CoreProblems, ProblemException, decodeCursor, encodeCursor, type CursorPage } from '#chorus/core';
import { InfluencersService } from '#chorus/influencers';
import { QuotaService, type Caller } from '#chorus/usage';
import { ConversationEntity, MessageEntity, type MessageRole } from './conversation.entity.js';
import { RepliesRepository } from './replies.repository.js';
import { ReplyStreamHub } from './reply-stream-hub.js';

export type MessageView = Omit<MessageEntity, 'conversation' | 'position'> & { position: number };

export interface ConversationView {
  readonly id: string;
  readonly title: string | null;
  readonly influencer: { id: string; handle: string; displayName: string; avatarUrl: string | null };
  readonly lastMessage: { role: MessageRole; content: string; createdAt: Date } | null;
  readonly unreadCount: number;
  readonly lastMessageAt: Date;
  readonly createdAt: Date;
}

export interface MessagePage {
  readonly items: MessageView[];
  readonly olderCursor: string | null;
  readonly newerCursor: string | null;
}

const PREVIEW_LENGTH = 200;

/** Conversation rows with their persona, last message and unread count; the caller adds WHERE/ORDER. */
const CONVERSATION_SELECT = `
  SELECT c.id, c.title, c.last_message_at, c.created_at,
         i.id AS influencer_id, i.handle, i.display_name, i.avatar_url,
         last.role AS last_role, left(last.content, ${PREVIEW_LENGTH}) AS last_content, last.created_at AS last_created_at,
         (SELECT count(*)::int FROM messages r
           WHERE r.conversation_id = c.id AND r.role = 'assistant'
             AND r.created_at > coalesce(c.last_read_at, '-infinity'::timestamptz)) AS unread_count
    FROM conversations c
    JOIN influencers i ON i.id = c.influencer_id
    LEFT JOIN LATERAL (
      SELECT m.role, m.content, m.created_at FROM messages m
       WHERE m.conversation_id = c.id AND m.status <> 'streaming' ORDER BY m.position DESC LIMIT 1
    ) last ON true`;

interface ConversationRow {
  id: string;
  title: string | null;
  last_message_at: Date;
  created_at: Date;
  influencer_id: string;
  handle: string;
  display_name: string;
  avatar_url: string | null;
  last_role: MessageRole | null;
  last_content: string | null;
  last_created_at: Date | null;
  unread_count: number;
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly influencers: InfluencersService,
    private readonly quota: QuotaService,
    private readonly hub: ReplyStreamHub,
    private readonly replies: RepliesRepository,
  ) {}

  /** Starts a conversation with an active persona; its greeting is the first message. */
  async create(caller: Caller, influencerId: string): Promise<{ conversation: ConversationView; greeting: MessageView }> {
    const { userId } = caller;
    const influencer = await this.influencers.get(influencerId, false);
    await this.quota.assertPersonaAllowed(caller, influencer.premiumOnly);
    const greeting = await this.dataSource.transaction(async (manager) => {
      const conversation = await manager.getRepository(ConversationEntity).save({ userId, influencerId, lastMessageAt: new Date() });
      return manager.getRepository(MessageEntity).save({
        conversationId: conversation.id,
        role: 'assistant',
        content: influencer.greeting,
        status: 'completed',
        promptVersion: influencer.promptVersion,
        completedAt: new Date(),
      });
    });
    return { conversation: await this.get(userId, greeting.conversationId), greeting: toMessageView(greeting) };
  }

  /** The user's conversations, most recent activity first. */
  async list(userId: string, limit: number, cursor?: string): Promise<CursorPage<ConversationView>> {
    const parameters: unknown[] = [userId, limit + 1];
    let after = '';
    if (cursor) {
      const position = decodeCursor(cursor, ['at', 'id']);
      parameters.push(position['at'], position['id']);
      after = 'AND (c.last_message_at, c.id) < ($3::timestamptz, $4::uuid)';
    }
    const rows: ConversationRow[] = await this.dataSource.query(
      `${CONVERSATION_SELECT} WHERE c.user_id = $1 ${after} ORDER BY c.last_message_at DESC, c.id DESC LIMIT $2`,
      parameters,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toConversationView),
      nextCursor: rows.length > limit && last ? encodeCursor({ at: last.last_message_at.toISOString(), id: last.id }) : null,
    };
  }

  /** One of the user's conversations; another user's is not found. */
  async get(userId: string, conversationId: string): Promise<ConversationView> {
    const [row]: ConversationRow[] = await this.dataSource.query(`${CONVERSATION_SELECT} WHERE c.id = $1 AND c.user_id = $2`, [conversationId, userId]);
    if (!row) throw notFound();
    return toConversationView(row);
  }

  async rename(userId: string, conversationId: string, title: string): Promise<ConversationView> {
    const result = await this.dataSource.getRepository(ConversationEntity).update({ id: conversationId, userId }, { title });
    if (!result.affected) throw notFound();
    return this.get(userId, conversationId);
  }

  /**
   * Deletes the conversation and its messages. A reply still being generated here is stopped
   * (the provider call ends); it is billed for what it generated, as a cancelled one would be.
   */
  async remove(userId: string, conversationId: string): Promise<void> {
    const streaming = await this.replies.streamingIn(userId, conversationId);
    const result = await this.dataSource.getRepository(ConversationEntity).delete({ id: conversationId, userId });
    if (!result.affected) throw notFound();
    for (const id of streaming) this.hub.get(id)?.abort.abort();
  }

  async markRead(userId: string, conversationId: string): Promise<ConversationView> {
    const result = await this.dataSource.getRepository(ConversationEntity).update({ id: conversationId, userId }, { lastReadAt: () => 'now()' });
    if (!result.affected) throw notFound();
    return this.get(userId, conversationId);
  }

  /**
   * A page of history, oldest first: the newest messages by default, or those before/after a
   * cursor. Each page is one index range scan on (conversation_id, position).
   */
  async history(userId: string, conversationId: string, query: { limit: number; before?: string; after?: string }): Promise<MessagePage> {
    await this.assertOwned(userId, conversationId);
    const repository = this.dataSource.getRepository(MessageEntity);
    const builder = repository.createQueryBuilder('m').where('m.conversation_id = :conversationId', { conversationId }).limit(query.limit + 1);
    const newerFirst = !query.after;
    if (query.after) builder.andWhere('m.position > :after', { after: decodeCursor(query.after, ['p'])['p'] });
    if (query.before) builder.andWhere('m.position < :before', { before: decodeCursor(query.before, ['p'])['p'] });
    builder.orderBy('m.position', newerFirst ? 'DESC' : 'ASC');
    const rows = await builder.getMany();
    const hasMore = rows.length > query.limit;
    const page = rows.slice(0, query.limit).map(toMessageView);
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
    const exists = await this.dataSource.getRepository(ConversationEntity).exists({ where: { id: conversationId, userId } });
    if (!exists) throw notFound();
  }
}

export function toMessageView(message: MessageEntity): MessageView {
  const { conversation: _conversation, position, ...rest } = message;
  return { ...rest, position: Number(position) };
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
