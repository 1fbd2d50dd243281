import type { AttachmentView } from '#chorus/media';
import type { MessageEntity, MessageRole, MessageStatus } from './conversation.entity.js';

/** What the conversations lib answers about a message: the entity without its relation, `position` as a number, with its attachments. */
export type MessageView = Omit<MessageEntity, 'conversation' | 'position'> & { position: number; attachments: readonly AttachmentView[] };

/** The attachments of messages, by message id (the media lib's `viewsOf`). */
type AttachmentViews = (messageIds: readonly string[]) => Promise<Map<string, AttachmentView[]>>;

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

export function toMessageView(message: MessageEntity): MessageView {
  const { conversation: _conversation, position, ...rest } = message;
  return { ...rest, position: Number(position), attachments: [] };
}

/** The messages (read without their attachments) with them, in one look-up. */
export async function withAttachments(messages: readonly MessageView[], viewsOf: AttachmentViews): Promise<MessageView[]> {
  if (messages.length === 0) return [];
  const views = await viewsOf(messages.map((message) => message.id));
  return messages.map((message) => ({ ...message, attachments: views.get(message.id) ?? [] }));
}

/** A `messages` row as JSON (row_to_json) as the view the rest of the code uses. */
export function messageFromJson(row: Record<string, unknown>): MessageView {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));
  return {
    id: row['id'] as string,
    position: Number(row['position']),
    conversationId: row['conversation_id'] as string,
    role: row['role'] as MessageView['role'],
    content: row['content'] as string,
    status: row['status'] as MessageStatus,
    clientMessageId: row['client_message_id'] as string | null,
    replyToId: row['reply_to_id'] as string | null,
    provider: row['provider'] as string | null,
    model: row['model'] as string | null,
    promptVersion: row['prompt_version'] as number | null,
    inputTokens: row['input_tokens'] as number | null,
    outputTokens: row['output_tokens'] as number | null,
    cachedInputTokens: row['cached_input_tokens'] as number | null,
    reasoningTokens: row['reasoning_tokens'] as number | null,
    firstTokenMs: row['first_token_ms'] as number | null,
    finishReason: row['finish_reason'] as string | null,
    errorCode: row['error_code'] as string | null,
    imageCount: Number(row['image_count'] ?? 0),
    createdAt: date(row['created_at'])!,
    completedAt: date(row['completed_at']),
    attachments: [],
  };
}
