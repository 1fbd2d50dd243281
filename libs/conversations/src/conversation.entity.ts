import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Generated,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

export const MESSAGE_ROLES = ['user', 'assistant'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

export const MESSAGE_STATUSES = ['streaming', 'completed', 'cancelled', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const TITLE_SOURCES = ['user', 'message', 'model'] as const;
/** Who named a conversation: its user, its first message (until the model names it), or the persona's model. */
export type TitleSource = (typeof TITLE_SOURCES)[number];

/** A user's chat with one persona. */
@Entity({ name: 'conversations' })
@Index('conversations_user_activity_idx', ['userId', 'lastMessageAt', 'id'])
@Check('conversations_title_source_check', `"title_source" IN ('user', 'message', 'model')`)
export class ConversationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne('UserEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ name: 'influencer_id', type: 'uuid' })
  influencerId!: string;

  @ManyToOne('InfluencerEntity')
  @JoinColumn({ name: 'influencer_id' })
  influencer?: unknown;

  @Column({ type: 'varchar', length: 120, nullable: true })
  title!: string | null;

  @Column({ name: 'title_source', type: 'varchar', length: 16, nullable: true })
  titleSource!: TitleSource | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  /** Millisecond precision, like the JavaScript dates in list cursors. */
  @Column({ name: 'last_message_at', type: 'timestamptz', precision: 3 })
  lastMessageAt!: Date;

  @Column({ name: 'last_read_at', type: 'timestamptz', nullable: true })
  lastReadAt!: Date | null;
}

/**
 * One message. User messages carry the client's id (retries are idempotent on it); assistant
 * messages carry how they were generated. `position` orders a conversation's messages and
 * makes history pages index range scans whatever the conversation's length.
 */
@Entity({ name: 'messages' })
@Unique('messages_client_message_key', ['conversationId', 'clientMessageId'])
@Index('messages_conversation_position_idx', ['conversationId', 'position'], { unique: true })
/** Replies still being generated, by age: crash recovery finds them without scanning the history. */
@Index('messages_streaming_idx', ['createdAt'], { where: `"status" = 'streaming'` })
/** Replies by the message they answer: contexts skip regenerated ones, and retried sends find theirs. */
@Index('messages_reply_to_idx', ['replyToId'])
/** At most one reply per user message is generated at a time: a second regenerate is refused, never run twice. */
@Index('messages_one_streaming_reply_idx', ['replyToId'], { unique: true, where: `"status" = 'streaming'` })
@Check('messages_role_check', `"role" IN ('user', 'assistant')`)
@Check('messages_status_check', `"status" IN ('streaming', 'completed', 'cancelled', 'failed')`)
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint' })
  @Generated('increment')
  position!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => ConversationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: ConversationEntity;

  @Column({ type: 'varchar', length: 16 })
  role!: MessageRole;

  @Column({ type: 'text' })
  content!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: MessageStatus;

  @Column({ name: 'client_message_id', type: 'varchar', length: 64, nullable: true })
  clientMessageId!: string | null;

  /** For a reply: the user message it answers (several replies when regenerated). */
  @Column({ name: 'reply_to_id', type: 'uuid', nullable: true })
  replyToId!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  provider!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  model!: string | null;

  @Column({ name: 'prompt_version', type: 'int', nullable: true })
  promptVersion!: number | null;

  @Column({ name: 'input_tokens', type: 'int', nullable: true })
  inputTokens!: number | null;

  @Column({ name: 'output_tokens', type: 'int', nullable: true })
  outputTokens!: number | null;

  @Column({ name: 'cached_input_tokens', type: 'int', nullable: true })
  cachedInputTokens!: number | null;

  @Column({ name: 'reasoning_tokens', type: 'int', nullable: true })
  reasoningTokens!: number | null;

  @Column({ name: 'first_token_ms', type: 'int', nullable: true })
  firstTokenMs!: number | null;

  @Column({ name: 'finish_reason', type: 'varchar', length: 32, nullable: true })
  finishReason!: string | null;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;

  /** A user message's images (among its attachments): counted here so that building a context needs no join. */
  @Column({ name: 'image_count', type: 'smallint', default: 0 })
  imageCount!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}

export const CONVERSATION_ENTITIES = [ConversationEntity, MessageEntity];
