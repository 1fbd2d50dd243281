import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SqlParameters } from '#chorus/core';
import type { ModelPolicyRecord, PersonaVoiceRecord } from '#chorus/influencers';
import type { HeldCounter, SettlementPart, StatementPart } from '#chorus/usage';
import type { TurnMessage } from './chat-turn.js';
import type { MessageStatus, TitleSource } from './conversation.entity.js';
import { UNREAD_COUNT } from './conversations.repository.js';
import { messageFromJson, type MessageView } from './message.view.js';

/** The messages a context is built from: this many at most, newest first. */
const CONTEXT_CANDIDATES = 200;

/** Everything a turn in one of the user's conversations needs, read in one query. */
export interface TurnTarget {
  readonly conversationId: string;
  readonly influencerId: string;
  readonly title: string | null;
  readonly titleSource: TitleSource | null;
  readonly systemPrompt: string;
  readonly promptVersion: number;
  readonly modelPolicy: ModelPolicyRecord;
  readonly premiumOnly: boolean;
  readonly acceptingMessages: boolean;
  /** How the persona speaks (null: the default voice). */
  readonly voice: PersonaVoiceRecord | null;
  readonly userId: string;
  readonly plan: string;
  readonly role: 'user' | 'admin';
  readonly quotaOverrides: Record<string, unknown> | null;
  /** The conversation so far, oldest first (for a regenerate: up to the user message answered); user messages with their images counted. */
  readonly history: TurnMessage[];
  /** For a regenerate: the reply being regenerated (undefined if it is not one of this conversation's replies). */
  readonly previous?: { readonly status: MessageStatus; readonly userMessage: MessageView };
}

/** The reply placeholder a turn stores: what a crash recovery needs to bill it (`inputTokens`: the prompt's). */
export interface ReplyPlaceholder {
  readonly provider: string;
  readonly model: string;
  readonly promptVersion: number;
  readonly inputTokens: number;
}

/** What storing a send did: the new messages, or (a retry) the first attempt's. */
export type StoredSend =
  | { readonly stored: true; readonly userMessage: MessageView; readonly replyId: string; readonly held: HeldCounter[] }
  | { readonly stored: false; readonly userMessage: MessageView; readonly replyId: string };

/** How a reply ended, as saved. */
export interface ReplyEnding {
  readonly content: string;
  readonly status: MessageStatus;
  readonly provider: string | null;
  readonly model: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number | null;
  readonly reasoningTokens: number | null;
  readonly firstTokenMs: number | null;
  readonly finishReason: string;
  readonly errorCode: string | null;
  /** The persona's gallery items the reply sent (`send_media`), in order. */
  readonly media?: readonly string[];
}

/** What saving a reply's end found: saved, already ended (by a recovery, or an earlier attempt whose answer was lost), or deleted with its conversation. */
export type SettledReply = { readonly saved: MessageView; readonly unreadCount: number } | { readonly ended: 'elsewhere' | 'deleted' };

/**
 * Only the newest reply to a user message feeds later contexts; a streaming message feeds none,
 * nor an empty reply (a user's message is empty only with attachments).
 */
const HISTORY_MESSAGE = `m.status IN ('completed', 'cancelled') AND (m.content <> '' OR m.role = 'user')
  AND NOT EXISTS (SELECT 1 FROM messages newer WHERE m.role = 'assistant' AND newer.reply_to_id = m.reply_to_id AND newer.position > m.position)`;


/**
 * The statements of a chat turn, one round trip each: the target (conversation, persona,
 * caller, plan overrides and recent history), the stored send (user message, reply
 * placeholder, conversation activity and quota reservation), and the settlement (reply, title,
 * ledger, counters, reservation release). Other libs' data is read through their views
 * (`influencer_profiles`, `user_standings`, `user_quota_overrides`) and written through the
 * statement parts usage gives.
 */
@Injectable()
export class TurnsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The turn's target in the user's conversation, or undefined when it is not theirs. With `regeneratedReplyId`, `previous` is that reply's. */
  async target(userId: string, conversationId: string, regeneratedReplyId?: string): Promise<TurnTarget | undefined> {
    const [row]: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT c.id AS conversation_id, c.influencer_id, c.title, c.title_source, p.system_prompt, p.prompt_version, p.model_policy, p.premium_only, p.accepting_messages, p.voice,
              s.user_id, s.plan, s.role, o.limits AS quota_overrides, previous.status AS previous_status, row_to_json(asked) AS asked,
              (SELECT coalesce(json_agg(json_strip_nulls(json_build_object('role', h.role, 'content', h.content, 'id', CASE WHEN h.images > 0 THEN h.id END,
                                                                          'imageCount', nullif(h.images, 0))) ORDER BY h.position), '[]'::json)
                 FROM (SELECT m.position, m.role, m.content, m.id, m.image_count AS images FROM messages m
                        WHERE m.conversation_id = c.id AND (asked.position IS NULL OR m.position <= asked.position) AND ${HISTORY_MESSAGE}
                        ORDER BY m.position DESC LIMIT ${CONTEXT_CANDIDATES}) h) AS history
         FROM conversations c
         JOIN influencer_profiles p ON p.id = c.influencer_id
         JOIN user_standings s ON s.user_id = c.user_id
         LEFT JOIN user_quota_overrides o ON o.user_id = c.user_id
         LEFT JOIN messages previous ON previous.id = $3 AND previous.conversation_id = c.id AND previous.role = 'assistant' AND previous.reply_to_id IS NOT NULL
         LEFT JOIN messages asked ON asked.id = previous.reply_to_id
        WHERE c.id = $1 AND c.user_id = $2`,
      [conversationId, userId, regeneratedReplyId ?? null],
    );
    if (!row) return undefined;
    return {
      conversationId: row['conversation_id'] as string,
      influencerId: row['influencer_id'] as string,
      title: row['title'] as string | null,
      titleSource: row['title_source'] as TitleSource | null,
      systemPrompt: row['system_prompt'] as string,
      promptVersion: row['prompt_version'] as number,
      modelPolicy: row['model_policy'] as ModelPolicyRecord,
      premiumOnly: row['premium_only'] as boolean,
      acceptingMessages: row['accepting_messages'] as boolean,
      voice: row['voice'] as PersonaVoiceRecord | null,
      userId: row['user_id'] as string,
      plan: row['plan'] as string,
      role: row['role'] as 'user' | 'admin',
      quotaOverrides: row['quota_overrides'] as Record<string, unknown> | null,
      history: row['history'] as TurnMessage[],
      previous: row['asked'] ? { status: row['previous_status'] as MessageStatus, userMessage: messageFromJson(row['asked'] as Record<string, unknown>) } : undefined,
    };
  }

  /**
   * Stores the user's message with its attachments, the reply placeholder and the conversation's
   * activity with the quota reservation `reserve` writes (gated on CTE `reply`), in one statement:
   * a refused reservation fails it whole, and so does an upload attached meanwhile to another
   * message (the unique index `message_attachments_upload_key`). Idempotent on `clientMessageId`:
   * a retry stores nothing (no message, so no attachments) and answers the first attempt's messages.
   */
  async storeSend(
    conversationId: string,
    message: { content: string; clientMessageId: string; attachments?: readonly string[]; imageCount?: number },
    placeholder: ReplyPlaceholder,
    reserve: (gate: string, parameters: SqlParameters) => StatementPart,
  ): Promise<StoredSend> {
    const parameters = new SqlParameters();
    const conversation = parameters.add(conversationId, 'uuid');
    const clientMessageId = parameters.add(message.clientMessageId, 'varchar');
    const userMessage = `user_message AS (
      INSERT INTO messages (conversation_id, role, content, status, client_message_id, completed_at, image_count)
      VALUES (${conversation}, 'user', ${parameters.add(message.content, 'text')}, 'completed', ${clientMessageId}, now(), ${parameters.add(message.imageCount ?? 0, 'int')})
      ON CONFLICT (conversation_id, client_message_id) DO NOTHING
      RETURNING *)`;
    const attached = message.attachments?.length
      ? `, attached AS (${attachmentsInsert('SELECT id FROM user_message', message.attachments, 'user', parameters)})`
      : '';
    const reply = this.placeholderCte(conversation, 'SELECT id FROM user_message', placeholder, parameters);
    const quota = reserve('reply', parameters);
    // The first attempt's messages, as they were before this statement (a retry's case).
    const [row]: Array<Record<string, unknown>> = await this.dataSource.query(
      `WITH ${userMessage}${attached}, ${reply}, ${quota.ctes}
       SELECT (SELECT row_to_json(u) FROM user_message u) AS user_message, (SELECT id FROM reply) AS reply_id, ${quota.columns},
              (SELECT row_to_json(e) FROM messages e WHERE e.conversation_id = ${conversation} AND e.client_message_id = ${clientMessageId}) AS existing,
              (SELECT r.id FROM messages e JOIN messages r ON r.reply_to_id = e.id
                WHERE e.conversation_id = ${conversation} AND e.client_message_id = ${clientMessageId} ORDER BY r.position DESC LIMIT 1) AS existing_reply_id`,
      parameters.values,
    );
    if (row!['user_message']) {
      return { stored: true, userMessage: messageFromJson(row!['user_message'] as Record<string, unknown>), replyId: row!['reply_id'] as string, held: row!['quota_held'] as HeldCounter[] };
    }
    if (row!['existing'] && row!['existing_reply_id']) {
      return { stored: false, userMessage: messageFromJson(row!['existing'] as Record<string, unknown>), replyId: row!['existing_reply_id'] as string };
    }
    // The same send, at the same moment: the conflict waited for the first attempt to commit, but
    // this statement's snapshot is older than that commit. A new statement sees it.
    const first = await this.sent(conversationId, message.clientMessageId);
    if (!first) throw new Error('A retried send found no first attempt to answer with');
    return { stored: false, ...first };
  }

  /** A send stored already with `clientMessageId` in the conversation: its message and its newest reply. */
  async sent(conversationId: string, clientMessageId: string): Promise<{ userMessage: MessageView; replyId: string } | undefined> {
    const [row]: Array<{ asked: Record<string, unknown>; reply_id: string | null }> = await this.dataSource.query(
      `SELECT row_to_json(e) AS asked,
              (SELECT r.id FROM messages r WHERE r.reply_to_id = e.id ORDER BY r.position DESC LIMIT 1) AS reply_id
         FROM messages e WHERE e.conversation_id = $1 AND e.client_message_id = $2`,
      [conversationId, clientMessageId],
    );
    return row?.reply_id ? { userMessage: messageFromJson(row.asked), replyId: row.reply_id } : undefined;
  }

  /**
   * Stores a new reply to `userMessageId` with its reservation, in one statement; none (undefined)
   * while another reply to it is still streaming (the unique index on streaming replies settles
   * two regenerates at once).
   */
  async storeRegenerate(
    conversationId: string,
    userMessageId: string,
    placeholder: ReplyPlaceholder,
    reserve: (gate: string, parameters: SqlParameters) => StatementPart,
  ): Promise<{ replyId: string; held: HeldCounter[] } | undefined> {
    const parameters = new SqlParameters();
    const conversation = parameters.add(conversationId, 'uuid');
    const asked = parameters.add(userMessageId, 'uuid');
    const reply = this.placeholderCte(
      conversation,
      `SELECT ${asked} AS id WHERE NOT EXISTS (SELECT 1 FROM messages WHERE reply_to_id = ${asked} AND status = 'streaming')`,
      placeholder,
      parameters,
    );
    const quota = reserve('reply', parameters);
    const [row]: Array<{ reply_id: string | null; quota_held: HeldCounter[] }> = await this.dataSource.query(
      `WITH ${reply}, ${quota.ctes} SELECT (SELECT id FROM reply) AS reply_id, ${quota.columns}`,
      parameters.values,
    );
    return row!.reply_id ? { replyId: row!.reply_id, held: row!.quota_held } : undefined;
  }

  /**
   * Saves how a reply ended with its settlement `settle` writes, in one statement. The reply is
   * saved only while still `streaming`; it is billed when saved, or when its reservation was
   * still held (its conversation was deleted while it streamed), not when someone else already
   * ended it (a recovery releases the reservation with it) nor when an earlier attempt of this
   * statement did. The conversation is named `title` (provisionally: see ConversationTitles) if it
   * has none yet.
   */
  async settle(
    replyId: string,
    ending: ReplyEnding,
    title: { conversationId: string; title: string } | undefined,
    settle: (gate: string, parameters: SqlParameters) => SettlementPart,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SettledReply> {
    const parameters = new SqlParameters();
    const saved = `saved AS (
      UPDATE messages SET content = ${parameters.add(ending.content)}, status = ${parameters.add(ending.status)}, provider = ${parameters.add(ending.provider)},
             model = ${parameters.add(ending.model)}, input_tokens = ${parameters.add(ending.inputTokens)}, output_tokens = ${parameters.add(ending.outputTokens)},
             cached_input_tokens = ${parameters.add(ending.cachedInputTokens)}, reasoning_tokens = ${parameters.add(ending.reasoningTokens)},
             first_token_ms = ${parameters.add(ending.firstTokenMs)}, finish_reason = ${parameters.add(ending.finishReason)},
             error_code = ${parameters.add(ending.errorCode)}, completed_at = now()
       WHERE id = ${parameters.add(replyId, 'uuid')} AND status = 'streaming'
       RETURNING *)`;
    // A gallery item deleted while the reply streamed is left out, rather than failing the settlement.
    const sentMedia = ending.media?.length
      ? `, sent_media AS (${attachmentsInsert('SELECT id FROM saved', ending.media, 'persona', parameters, 'EXISTS (SELECT 1 FROM media WHERE media.id = attached.media_id)')})`
      : '';
    const titled = title
      ? `, titled AS (UPDATE conversations SET title = ${parameters.add(title.title)}, title_source = 'message'
           WHERE id = ${parameters.add(title.conversationId, 'uuid')} AND title IS NULL AND EXISTS (SELECT 1 FROM saved))`
      : '';
    const quota = settle('billable', parameters);
    const billable = `billable AS (SELECT 1 WHERE EXISTS (SELECT 1 FROM saved) OR EXISTS (SELECT 1 FROM quota_released))`;
    const [row]: Array<{ saved: Record<string, unknown> | null; unread_count: number; quota_was_held: boolean }> = await manager.query(
      `WITH ${saved}${sentMedia}${titled}, ${quota.released}, ${billable}, ${quota.ctes}
       SELECT (SELECT row_to_json(s) FROM saved s) AS saved, (${UNREAD_COUNT('(SELECT conversation_id FROM saved)')}) AS unread_count, ${quota.columns}`,
      parameters.values,
    );
    if (row!.saved) return { saved: messageFromJson(row!.saved), unreadCount: row!.unread_count };
    return { ended: row!.quota_was_held ? 'deleted' : 'elsewhere' };
  }

  /**
   * Names the conversation with a title its persona's model generated, with that generation's
   * settlement `settle` writes, in one statement. The title replaces only a provisional one (not
   * a user's, nor one named already); the generation is billed while its reservation is held, so
   * that a repeated statement bills nothing twice. Answers whether the title was applied.
   */
  async nameConversation(conversationId: string, title: string, settle: (gate: string, parameters: SqlParameters) => SettlementPart): Promise<boolean> {
    const parameters = new SqlParameters();
    const named = `named AS (UPDATE conversations SET title = ${parameters.add(title)}, title_source = 'model'
      WHERE id = ${parameters.add(conversationId, 'uuid')} AND title_source = 'message' RETURNING id)`;
    const quota = settle('billable', parameters);
    const [row]: Array<{ named: boolean }> = await this.dataSource.query(
      `WITH ${named}, ${quota.released}, billable AS (SELECT 1 WHERE EXISTS (SELECT 1 FROM quota_released)), ${quota.ctes}
       SELECT EXISTS (SELECT 1 FROM named) AS named, ${quota.columns}`,
      parameters.values,
    );
    return row!.named;
  }

  /** The reply placeholder CTE `reply`, answering the user message whose id `askedSql` selects (no row: no placeholder). */
  private placeholderCte(conversation: string, askedSql: string, placeholder: ReplyPlaceholder, parameters: SqlParameters): string {
    return `reply AS (
      INSERT INTO messages (conversation_id, role, content, status, reply_to_id, provider, model, prompt_version, input_tokens)
      SELECT ${conversation}, 'assistant', '', 'streaming', asked.id, ${parameters.add(placeholder.provider, 'varchar')}, ${parameters.add(placeholder.model, 'varchar')},
             ${parameters.add(placeholder.promptVersion, 'int')}, ${parameters.add(placeholder.inputTokens, 'int')}
        FROM (${askedSql}) asked
      ON CONFLICT (reply_to_id) WHERE status = 'streaming' DO NOTHING
      RETURNING id),
      activity AS (UPDATE conversations SET last_message_at = now() WHERE id = ${conversation} AND EXISTS (SELECT 1 FROM reply))`;
  }
}

/**
 * The INSERT of attachments `mediaIds`, in order, on the message `messageSql` selects (none:
 * nothing inserted), kept when `condition` holds.
 */
function attachmentsInsert(messageSql: string, mediaIds: readonly string[], source: 'user' | 'persona', parameters: SqlParameters, condition = ''): string {
  return `INSERT INTO message_attachments (message_id, position, media_id, source)
    SELECT message.id, (attached.ordinality - 1)::smallint, attached.media_id, ${parameters.add(source, 'varchar')}
      FROM (${messageSql}) message CROSS JOIN unnest(${parameters.add(mediaIds, 'uuid[]')}) WITH ORDINALITY AS attached (media_id, ordinality)
     ${condition ? `WHERE ${condition}` : ''}`;
}
