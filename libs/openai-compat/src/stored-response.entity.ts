import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';

/**
 * A response of the OpenAI Responses API that was stored (`store`, the default): a pointer to the
 * Chorus exchange it made (the user's message and the persona's reply, in a conversation) and the
 * request's own settings. The text, status and usage are the reply's, read from its message; a
 * chain of responses (`previous_response_id`) is one conversation. Deleting the response deletes
 * this row only: the conversation is the user's, in Chorus, until deleted there (which deletes it).
 */
@Entity({ name: 'openai_responses' })
@Unique('openai_responses_reply_unique', ['replyMessageId'])
@Unique('openai_responses_idempotency_unique', ['userId', 'idempotencyKey'])
@Unique('openai_responses_successor_unique', ['previousResponseId'])
@Index('openai_responses_conversation_idx', ['conversationId'])
export class StoredResponseEntity {
  /** `resp_` and 32 hex digits. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @ManyToOne('ConversationEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: unknown;

  /**
   * The persona's reply this response is (its user message is the reply's `reply_to_id`); null
   * while the response is claimed and its message not yet sent.
   */
  @Column({ name: 'reply_message_id', type: 'uuid', nullable: true })
  replyMessageId!: string | null;

  @ManyToOne('MessageEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'reply_message_id' })
  replyMessage?: unknown;

  /** As the request named it (`persona/<handle>`). */
  @Column({ type: 'varchar', length: 200 })
  model!: string;

  @Column({ type: 'text', nullable: true })
  instructions!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata!: Record<string, string>;

  @Column({ type: 'real', nullable: true })
  temperature!: number | null;

  @Column({ name: 'max_output_tokens', type: 'int', nullable: true })
  maxOutputTokens!: number | null;

  /** The response this one continues; unique, as a chain is one line of turns. */
  @Column({ name: 'previous_response_id', type: 'varchar', length: 40, nullable: true })
  previousResponseId!: string | null;

  /** The request's Idempotency-Key: a retry with it gets this response, never a second reply. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 64, nullable: true })
  idempotencyKey!: string | null;

  /** What the request asked (SHA-256 of its parsed form): a retry with its key must ask the same. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  /** The client id its user message is sent with: how a claim whose process died before attaching its reply finds it. */
  @Column({ name: 'client_message_id', type: 'uuid' })
  clientMessageId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const OPENAI_COMPAT_ENTITIES = [StoredResponseEntity];
