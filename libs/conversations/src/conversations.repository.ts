import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ConversationEntity, MessageEntity, type MessageRole } from './conversation.entity.js';

/** A conversation with its persona, last message and unread count, as the list and detail views need it. */
export interface ConversationRow {
  readonly id: string;
  readonly title: string | null;
  readonly last_message_at: Date;
  readonly created_at: Date;
  readonly influencer_id: string;
  readonly handle: string;
  readonly display_name: string;
  readonly avatar_url: string | null;
  readonly last_role: MessageRole | null;
  readonly last_content: string | null;
  readonly last_created_at: Date | null;
  readonly unread_count: number;
}

/** Where a page of the user's conversations starts: after the one with this `last_message_at` (ISO date) and id. */
export interface ConversationPosition {
  readonly at: string | number;
  readonly id: string | number;
}

/** A history page's bounds, as message positions; both are exclusive. */
export interface HistoryRange {
  readonly after?: string | number;
  readonly before?: string | number;
}

export type NewConversation = Pick<ConversationEntity, 'userId' | 'influencerId' | 'lastMessageAt'>;

export type NewMessage = Pick<MessageEntity, 'conversationId' | 'role' | 'content' | 'status' | 'promptVersion' | 'completedAt'>;

const PREVIEW_LENGTH = 200;

/** The count of replies in the conversation `conversationSql` names that arrived after its user last read it. */
export const UNREAD_COUNT = (conversationSql: string) => `SELECT count(*)::int FROM messages unread JOIN conversations seen ON seen.id = unread.conversation_id
  WHERE unread.conversation_id = ${conversationSql} AND unread.role = 'assistant' AND unread.created_at > coalesce(seen.last_read_at, '-infinity'::timestamptz)`;

/** Conversation rows with their persona, last message and unread count; the caller adds WHERE/ORDER. */
const CONVERSATION_SELECT = `
  SELECT c.id, c.title, c.last_message_at, c.created_at,
         i.id AS influencer_id, i.handle, i.display_name, i.avatar_url,
         last.role AS last_role, left(last.content, ${PREVIEW_LENGTH}) AS last_content, last.created_at AS last_created_at,
         (${UNREAD_COUNT('c.id')}) AS unread_count
    FROM conversations c
    JOIN influencer_profiles i ON i.id = c.influencer_id
    LEFT JOIN LATERAL (
      SELECT m.role, m.content, m.created_at FROM messages m
       WHERE m.conversation_id = c.id AND m.status <> 'streaming' ORDER BY m.position DESC LIMIT 1
    ) last ON true`;

/** Queries on `conversations` and their messages. "Owned" methods find only the given user's conversations. */
@Injectable()
export class ConversationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts a conversation, answering it as stored (with its generated id). */
  insert(conversation: NewConversation, manager: EntityManager = this.dataSource.manager): Promise<ConversationEntity> {
    return manager.getRepository(ConversationEntity).save({ ...conversation });
  }

  /** Inserts a message, answering it as stored (with its generated id, position and creation time). */
  insertMessage(message: NewMessage, manager: EntityManager = this.dataSource.manager): Promise<MessageEntity> {
    return manager.getRepository(MessageEntity).save({ ...message });
  }

  /** The user's conversations by latest activity, newest first, after `after`; at most `take` of them. */
  listPage(userId: string, after: ConversationPosition | undefined, take: number): Promise<ConversationRow[]> {
    const afterCondition = after ? 'AND (c.last_message_at, c.id) < ($3::timestamptz, $4::uuid)' : '';
    return this.dataSource.query(
      `${CONVERSATION_SELECT} WHERE c.user_id = $1 ${afterCondition} ORDER BY c.last_message_at DESC, c.id DESC LIMIT $2`,
      after ? [userId, take, after.at, after.id] : [userId, take],
    );
  }

  async findOwned(userId: string, conversationId: string): Promise<ConversationRow | undefined> {
    const [row]: ConversationRow[] = await this.dataSource.query(`${CONVERSATION_SELECT} WHERE c.id = $1 AND c.user_id = $2`, [conversationId, userId]);
    return row;
  }

  existsOwned(userId: string, conversationId: string): Promise<boolean> {
    return this.dataSource.getRepository(ConversationEntity).exists({ where: { id: conversationId, userId } });
  }

  /** False when the user has no such conversation. */
  async renameOwned(userId: string, conversationId: string, title: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ConversationEntity).update({ id: conversationId, userId }, { title, titleSource: 'user' });
    return Boolean(result.affected);
  }

  /** Marks everything in the conversation read as of now; false when the user has no such conversation. */
  async markReadOwned(userId: string, conversationId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ConversationEntity).update({ id: conversationId, userId }, { lastReadAt: () => 'now()' });
    return Boolean(result.affected);
  }

  /** Deletes the conversation and, by cascade, its messages; false when the user has no such conversation. */
  async deleteOwned(userId: string, conversationId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ConversationEntity).delete({ id: conversationId, userId });
    return Boolean(result.affected);
  }

  /**
   * At most `take` messages of a conversation within `range`: oldest first when it has an `after`
   * bound, newest first otherwise. Each page is one index range scan on (conversation_id, position).
   */
  historyPage(conversationId: string, range: HistoryRange, take: number): Promise<MessageEntity[]> {
    const builder = this.dataSource
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .where('m.conversation_id = :conversationId', { conversationId })
      .orderBy('m.position', range.after === undefined ? 'DESC' : 'ASC')
      .limit(take);
    if (range.after !== undefined) builder.andWhere('m.position > :after', { after: range.after });
    if (range.before !== undefined) builder.andWhere('m.position < :before', { before: range.before });
    return builder.getMany();
  }
}
