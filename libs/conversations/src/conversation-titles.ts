import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Jobs, ProblemException } from '#chorus/core';
import { GenerationError, ProviderRegistry, type ChatUsage, type ModelRef } from '#chorus/providers';
import { QuotaService } from '#chorus/usage';
import { ChatTurns, type TurnOutcome } from './chat-turn.js';
import { RepliesRepository } from './replies.repository.js';
import { TurnsRepository } from './turns.repository.js';

const TITLE_JOB = 'conversations.title';
/** A title is a few words: this bounds what it may cost. */
const TITLE_MAX_TOKENS = 24;
/** Titles are cut at a word boundary before this many characters. */
const TITLE_LENGTH = 60;
/** A provider that does not answer a title in this time is given up on (the job retries). */
const TITLE_TIMEOUT_MS = 60_000;
const TITLE_INSTRUCTIONS =
  'You name chat conversations. Reply with a title of at most six words for the conversation below, ' +
  'in its language, with no quotes and no final punctuation. Reply with the title only.';

export interface TitleRequest {
  readonly userId: string;
  readonly conversationId: string;
  /** The first reply: the exchange named is it and the message it answers. */
  readonly replyId: string;
}

/**
 * Names a conversation after its first exchange with the persona's own model, as a background
 * job: the reply is never delayed by it, and until it runs the conversation carries its first
 * words. The generation is billed to the user like any other (it reserves, and a user out of
 * quota keeps the provisional title). Idempotent: the title replaces only a provisional one,
 * in the same statement as its billing, so a job run twice (or retried after a failure whose
 * answer was lost) names and bills once; a user's rename is never overwritten.
 */
@Injectable()
export class ConversationTitles implements OnModuleInit {
  private readonly logger = new Logger('Titles');

  constructor(
    private readonly jobs: Jobs,
    private readonly turns: ChatTurns,
    private readonly providers: ProviderRegistry,
    private readonly quota: QuotaService,
    private readonly statements: TurnsRepository,
    private readonly replies: RepliesRepository,
  ) {}

  onModuleInit(): void {
    this.jobs.define<TitleRequest>(TITLE_JOB, { handler: (request) => this.generate(request), attempts: 3, backoffMs: 2_000 });
  }

  /** Queues the naming of a conversation whose first reply was saved; one job per conversation however often asked. */
  async request(request: TitleRequest): Promise<void> {
    await this.jobs.enqueue(TITLE_JOB, request, { jobId: `title:${request.conversationId}` });
  }

  /** Generates and applies the title; throws (the job is retried) when the provider fails. */
  async generate({ userId, conversationId, replyId }: TitleRequest): Promise<void> {
    const target = await this.statements.target(userId, conversationId);
    const exchange = await this.replies.findOwned(userId, conversationId, replyId);
    // Deleted, renamed by its user, or named already.
    if (!target || !exchange || target.titleSource !== 'message') return;
    const transcript = `User: ${exchange.userMessage.content}\n\nPersona: ${exchange.reply.content}`;
    const plan = this.turns.plan(TITLE_INSTRUCTIONS, [{ role: 'user', content: transcript }], target.modelPolicy, { maxTokens: TITLE_MAX_TOKENS, temperature: 0.2 });
    const caller = { userId, plan: target.plan, role: target.role, overrides: target.quotaOverrides };
    const reservationId = randomUUID();
    try {
      await this.quota.reserveChat(caller, reservationId, { ...plan.estimate, messages: 0 }, { countRefusal: false });
    } catch (error) {
      if (!(error instanceof ProblemException)) throw error;
      this.logger.log(`Conversation ${conversationId} keeps its provisional title: ${error.message}`);
      return;
    }

    let text = '';
    let usage: ChatUsage | null = null;
    let servedBy: ModelRef = plan.policy.primary;
    let failure: unknown;
    try {
      for await (const event of this.providers.generate(plan.policy, plan.messages, AbortSignal.timeout(TITLE_TIMEOUT_MS))) {
        if (event.type === 'delta') text += event.text;
        if (event.type === 'started' || event.type === 'completed') servedBy = event.servedBy;
        if (event.type === 'completed') usage = event.usage;
        // The timeout ends a generation as cancelled: a cut-off title is no title.
        if (event.type === 'completed' && event.finishReason === 'cancelled') failure = new Error(`No title within ${TITLE_TIMEOUT_MS} ms`);
      }
    } catch (error) {
      failure = error;
      if (error instanceof GenerationError) {
        usage = error.usage;
        servedBy = error.servedBy ?? servedBy;
      }
    }
    const title = cleanTitle(text);
    failure ??= title ? undefined : new Error('The model answered an empty title');

    // What an attempt consumed is billed (as a reply's is: counted when the provider reported nothing); one that consumed nothing gives its hold back.
    const billed = usage ?? this.turns.unreportedUsage(text, plan.promptTokens);
    const charge = this.charge(reservationId, userId, conversationId, text, billed, servedBy);
    if (failure) {
      await (billed.inputTokens + billed.outputTokens > 0 ? this.quota.settleChat(charge) : this.quota.releaseChat(reservationId));
      throw failure;
    }
    await this.statements.nameConversation(conversationId, title, (gate, parameters) => this.quota.settlementPart(charge, gate, parameters));
  }

  private charge(reservationId: string, userId: string, conversationId: string, text: string, billed: ChatUsage, servedBy: ModelRef) {
    const outcome: TurnOutcome = { text, status: 'completed', finishReason: 'stop', errorCode: null, servedBy, billed, firstTokenMs: null };
    // Not a message of the conversation: it counts tokens and cost, not toward the daily messages.
    return { ...this.turns.charge(outcome, reservationId, userId, undefined), conversationId, countsAsMessage: false };
  }
}

/** The title a conversation carries from its first exchange until its model names it: the user's opening words. */
export function provisionalTitleOf(firstMessage: string): string {
  return shortened(firstMessage.replace(/\s+/g, ' ').trim());
}

/** The model's answer as a title: one line, without the label, markdown, quotes or final stop models like to add. */
function cleanTitle(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const unlabelled = line.replace(/^[*_#\s]*title[*_\s]*:[*_\s]*/i, '');
  return shortened(unlabelled.replace(/^[\s"“”«»*_]+|[\s"'“”«»*_.!。]+$/g, ''));
}

function shortened(words: string): string {
  return words.length <= TITLE_LENGTH ? words : `${words.slice(0, TITLE_LENGTH).replace(/\s+\S*$/, '')}…`;
}
