import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { PersonaVoiceRecord } from '#chorus/influencers';
import { messageFromJson, type MessageView } from './message.view.js';

/** A streaming reply's text so far, and who is generating it. */
export interface ReplyCheckpoint {
  readonly replyId: string;
  readonly text: string;
  readonly provider: string;
  readonly model: string;
  readonly firstTokenMs: number | null;
}

/** A reply cut off by a dead process, as its recovery needs it. */
export interface InterruptedReplyRow {
  readonly content: string;
  readonly first_token_ms: number | null;
  readonly input_tokens: number | null;
  readonly provider: string | null;
  readonly model: string | null;
  readonly conversation_id: string;
  readonly user_id: string;
}

/**
 * The queries of a reply's life beyond its turn's statements: look-ups, checkpoints of its
 * partial text, what is still streaming, and the recovery of replies a dead process left behind.
 */
@Injectable()
export class RepliesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Saves the text so far of streaming replies, in one statement; a reply that has ended is left
   * as it is. Answers the replies that no longer exist (their conversation or account was deleted).
   */
  async saveCheckpoints(checkpoints: readonly ReplyCheckpoint[]): Promise<string[]> {
    const gone: Array<{ id: string }> = await this.dataSource.query(
      `WITH c AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::varchar[], $4::varchar[], $5::int[]) AS c (id, content, provider, model, first_token_ms)),
            saved AS (
              UPDATE messages m SET content = c.content, provider = c.provider, model = c.model, first_token_ms = c.first_token_ms
                FROM c WHERE m.id = c.id AND m.status = 'streaming' RETURNING m.id)
       SELECT c.id FROM c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = c.id)`,
      [
        checkpoints.map((checkpoint) => checkpoint.replyId),
        checkpoints.map((checkpoint) => checkpoint.text),
        checkpoints.map((checkpoint) => checkpoint.provider),
        checkpoints.map((checkpoint) => checkpoint.model),
        checkpoints.map((checkpoint) => checkpoint.firstTokenMs),
      ],
    );
    return gone.map((row) => row.id);
  }

  /** One of the user's replies in that conversation, with the user message it answers and whether it is the conversation's last message. */
  async findOwned(userId: string, conversationId: string, replyId: string): Promise<{ reply: MessageView; userMessage: MessageView; latest: boolean } | undefined> {
    const [row]: Array<{ reply: Record<string, unknown>; asked: Record<string, unknown>; latest: boolean }> = await this.dataSource.query(
      `SELECT row_to_json(m) AS reply, row_to_json(asked) AS asked,
              NOT EXISTS (SELECT 1 FROM messages later WHERE later.conversation_id = m.conversation_id AND later.position > m.position) AS latest
         FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN messages asked ON asked.id = m.reply_to_id
        WHERE m.id = $1 AND m.conversation_id = $2 AND c.user_id = $3 AND m.role = 'assistant'`,
      [replyId, conversationId, userId],
    );
    return row ? { reply: messageFromJson(row.reply), userMessage: messageFromJson(row.asked), latest: row.latest } : undefined;
  }

  /** One of the user's replies, as it is spoken: its text and status, and its persona's voice (`influencer_profiles`). */
  async spoken(userId: string, conversationId: string, replyId: string): Promise<{ content: string; status: string; voice: PersonaVoiceRecord | null } | undefined> {
    const [row]: Array<{ content: string; status: string; voice: PersonaVoiceRecord | null }> = await this.dataSource.query(
      `SELECT m.content, m.status, p.voice
         FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN influencer_profiles p ON p.id = c.influencer_id
        WHERE m.id = $1 AND m.conversation_id = $2 AND c.user_id = $3 AND m.role = 'assistant'`,
      [replyId, conversationId, userId],
    );
    return row;
  }

  async find(replyId: string): Promise<MessageView | undefined> {
    const [row]: Array<{ reply: Record<string, unknown> }> = await this.dataSource.query('SELECT row_to_json(m) AS reply FROM messages m WHERE m.id = $1', [replyId]);
    return row ? messageFromJson(row.reply) : undefined;
  }

  /** The replies of one of the user's conversations still streaming. */
  async streamingIn(userId: string, conversationId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.id = $1 AND c.user_id = $2 AND m.status = 'streaming'`,
      [conversationId, userId],
    );
    return rows.map((row) => row.id);
  }

  /** Every reply still streaming, or those started more than `olderThan` (an interval) ago. */
  async streamingSince(olderThan: string | undefined): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM messages WHERE status = 'streaming' AND ($1::interval IS NULL OR created_at < now() - $1::interval)`,
      [olderThan ?? null],
    );
    return rows.map((row) => row.id);
  }

  /** Locks a reply still streaming for its recovery; undefined if it ended, or another process is recovering it. */
  async lockStreaming(replyId: string, manager: EntityManager): Promise<InterruptedReplyRow | undefined> {
    const [reply]: InterruptedReplyRow[] = await manager.query(
      `SELECT m.content, m.first_token_ms, m.input_tokens, m.provider, m.model, m.conversation_id, c.user_id
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.id = $1 AND m.status = 'streaming'
          FOR UPDATE OF m SKIP LOCKED`,
      [replyId],
    );
    return reply;
  }
}
