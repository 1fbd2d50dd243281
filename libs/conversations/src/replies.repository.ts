import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** A reply cut off by a dead process, as its recovery needs it. */
export interface InterruptedReplyRow {
  readonly content: string;
  readonly input_tokens: number | null;
  readonly provider: string | null;
  readonly model: string | null;
  readonly conversation_id: string;
  readonly user_id: string;
}

/**
 * The queries of a reply's life beyond the send itself: checkpoints of its partial text, what
 * is still streaming, and the recovery of replies a dead process left behind.
 */
@Injectable()
export class RepliesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Saves a streaming reply's text so far; a reply that has ended is left as it is. */
  async saveCheckpoint(replyId: string, checkpoint: { text: string; provider: string; model: string; firstTokenMs: number | null }): Promise<void> {
    await this.dataSource.query(
      `UPDATE messages SET content = $2, provider = $3, model = $4, first_token_ms = $5 WHERE id = $1 AND status = 'streaming'`,
      [replyId, checkpoint.text, checkpoint.provider, checkpoint.model, checkpoint.firstTokenMs],
    );
  }

  async exists(replyId: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return (await manager.query('SELECT 1 FROM messages WHERE id = $1', [replyId])).length > 0;
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
      `SELECT m.content, m.input_tokens, m.provider, m.model, m.conversation_id, c.user_id
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.id = $1 AND m.status = 'streaming'
          FOR UPDATE OF m SKIP LOCKED`,
      [replyId],
    );
    return reply;
  }

  async markInterrupted(replyId: string, billed: { inputTokens: number; outputTokens: number }, manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE messages SET status = 'failed', error_code = 'interrupted', finish_reason = 'error',
              input_tokens = $2, output_tokens = $3, completed_at = now()
        WHERE id = $1`,
      [replyId, billed.inputTokens, billed.outputTokens],
    );
  }
}
