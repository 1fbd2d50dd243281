import type { MessageEntity, MessageRole } from './conversation.entity.js';

/** What the conversations lib answers about a message: the entity without its relation, `position` as a number. */
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

export function toMessageView(message: MessageEntity): MessageView {
  const { conversation: _conversation, position, ...rest } = message;
  return { ...rest, position: Number(position) };
}
