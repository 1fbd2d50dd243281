import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { StoredResponseEntity } from './stored-response.entity.js';

/** How long a claimed response may wait for its reply to be sent: longer, its process died. */
const UNSENT_CLAIM_SECONDS = 30;
/** How often a retry looks whether its first attempt has sent its reply. */
const CLAIM_POLL_MS = 50;

/** A stored response with the exchange it made, as its reads need it. */
export interface StoredExchange {
  readonly response: StoredResponseEntity;
  readonly reply: {
    readonly content: string;
    readonly status: 'streaming' | 'completed' | 'cancelled' | 'failed';
    readonly finishReason: string | null;
    readonly errorCode: string | null;
    readonly inputTokens: number | null;
    readonly outputTokens: number | null;
    readonly cachedInputTokens: number | null;
    readonly reasoningTokens: number | null;
  };
  readonly asked: { readonly id: string; readonly content: string };
  /** Whether the reply is still the conversation's last message (the chain may go on from it). */
  readonly latest: boolean;
}

/** The queries of stored responses; every read names the user in its query. */
@Injectable()
export class StoredResponsesRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get table(): Repository<StoredResponseEntity> {
    return this.dataSource.getRepository(StoredResponseEntity);
  }

  /**
   * Claims the response's row before its reply is sent; undefined when its Idempotency-Key or
   * its `previous_response_id` (a response has one successor) is taken. Claims a process left
   * unsent (it died before attaching the reply) are cleared first, so that they hold nothing.
   */
  async claim(response: Omit<StoredResponseEntity, 'createdAt' | 'replyMessageId' | 'user' | 'conversation' | 'replyMessage'>): Promise<StoredResponseEntity | undefined> {
    await this.table
      .createQueryBuilder()
      .delete()
      .where('user_id = :userId AND reply_message_id IS NULL AND created_at < now() - make_interval(secs => :seconds)', { userId: response.userId, seconds: UNSENT_CLAIM_SECONDS })
      .execute();
    const inserted = await this.table.createQueryBuilder().insert().values({ ...response, replyMessageId: null }).orIgnore().returning(['created_at']).execute();
    const row = inserted.raw[0] as { created_at: Date | string } | undefined;
    return row ? { ...response, replyMessageId: null, createdAt: new Date(row.created_at) } : undefined;
  }

  /** The claimed response's reply, once sent. */
  async attachReply(id: string, replyMessageId: string): Promise<void> {
    await this.table.update({ id }, { replyMessageId });
  }

  /**
   * The user's response with its exchange once its reply is attached: waits for a claim being
   * sent (a concurrent first attempt), up to UNSENT_CLAIM_SECONDS; undefined if it never is.
   */
  async sentExchange(userId: string, id: string, signal: AbortSignal): Promise<StoredExchange | undefined> {
    const deadline = Date.now() + UNSENT_CLAIM_SECONDS * 1000;
    for (;;) {
      const exchange = await this.exchange(userId, id);
      if (exchange || Date.now() > deadline || signal.aborted) return exchange;
      if (!(await this.table.existsBy({ id, userId }))) return undefined;
      await sleep(CLAIM_POLL_MS);
    }
  }

  findByIdempotencyKey(userId: string, idempotencyKey: string): Promise<StoredResponseEntity | null> {
    return this.table.findOneBy({ userId, idempotencyKey });
  }

  /** The user's response whose reply is `replyMessageId` (what an output item's id names). */
  findByReply(userId: string, replyMessageId: string): Promise<StoredResponseEntity | null> {
    return this.table.findOneBy({ userId, replyMessageId });
  }

  /** The user's response with its exchange, or undefined (another user's too). */
  async exchange(userId: string, id: string): Promise<StoredExchange | undefined> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT r.id, reply.content, reply.status, reply.finish_reason, reply.error_code, reply.input_tokens, reply.output_tokens,
              reply.cached_input_tokens, reply.reasoning_tokens, asked.id AS asked_id, asked.content AS asked_content,
              NOT EXISTS (SELECT 1 FROM messages later WHERE later.conversation_id = reply.conversation_id AND later.position > reply.position) AS latest
         FROM openai_responses r
         JOIN messages reply ON reply.id = r.reply_message_id
         JOIN messages asked ON asked.id = reply.reply_to_id
        WHERE r.id = $1 AND r.user_id = $2`,
      [id, userId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const response = await this.table.findOneByOrFail({ id, userId });
    return {
      response,
      reply: {
        content: row['content'] as string,
        status: row['status'] as StoredExchange['reply']['status'],
        finishReason: row['finish_reason'] as string | null,
        errorCode: row['error_code'] as string | null,
        inputTokens: row['input_tokens'] as number | null,
        outputTokens: row['output_tokens'] as number | null,
        cachedInputTokens: row['cached_input_tokens'] as number | null,
        reasoningTokens: row['reasoning_tokens'] as number | null,
      },
      asked: { id: row['asked_id'] as string, content: row['asked_content'] as string },
      latest: row['latest'] === true,
    };
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const result = await this.table.delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }
}
