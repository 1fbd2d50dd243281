import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, type Repository } from 'typeorm';
import { StoredResponseEntity } from './stored-response.entity.js';

/** A response's row as it is claimed, before its reply is sent. */
export type ResponseClaim = Omit<StoredResponseEntity, 'createdAt' | 'replyMessageId' | 'user' | 'conversation' | 'replyMessage'>;

/** The queries of stored responses; every read names the user in its query. */
@Injectable()
export class StoredResponsesRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get table(): Repository<StoredResponseEntity> {
    return this.dataSource.getRepository(StoredResponseEntity);
  }

  /** Claims the response's row; undefined when its Idempotency-Key or its `previous_response_id` (a response has one successor) is taken. */
  async claim(response: ResponseClaim): Promise<StoredResponseEntity | undefined> {
    const inserted = await this.table.createQueryBuilder().insert().values({ ...response, replyMessageId: null }).orIgnore().returning(['created_at']).execute();
    const row = inserted.raw[0] as { created_at: Date | string } | undefined;
    return row ? { ...response, replyMessageId: null, createdAt: new Date(row.created_at) } : undefined;
  }

  /** The claimed response's reply, once sent; false when the claim is gone. */
  async attachReply(id: string, replyMessageId: string): Promise<boolean> {
    const result = await this.table.update({ id, replyMessageId: IsNull() }, { replyMessageId });
    return (result.affected ?? 0) > 0;
  }

  /** The user's claims whose reply was not attached for `seconds` (their process may have died). */
  unattachedSince(userId: string, seconds: number): Promise<StoredResponseEntity[]> {
    return this.table
      .createQueryBuilder('r')
      .where('r.user_id = :userId AND r.reply_message_id IS NULL AND r.created_at < now() - make_interval(secs => :seconds)', { userId, seconds })
      .getMany();
  }

  find(userId: string, id: string): Promise<StoredResponseEntity | null> {
    return this.table.findOneBy({ id, userId });
  }

  findByIdempotencyKey(userId: string, idempotencyKey: string): Promise<StoredResponseEntity | null> {
    return this.table.findOneBy({ userId, idempotencyKey });
  }

  /** The user's responses whose replies are `replyMessageIds` (what output item ids name). */
  findByReplies(userId: string, replyMessageIds: readonly string[]): Promise<StoredResponseEntity[]> {
    return this.table.findBy({ userId, replyMessageId: In([...replyMessageIds]) });
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const result = await this.table.delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }
}
