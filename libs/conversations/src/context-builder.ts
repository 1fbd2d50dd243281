import { Injectable } from '@nestjs/common';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import type { ChatMessage } from '#chorus/providers';

/** Per-message framing the chat formats add (role markers), counted so the estimate stays an upper bound. */
const MESSAGE_OVERHEAD_TOKENS = 4;
/** Head-room for tokenizer differences between models (Gemini's is not OpenAI's). */
const SAFETY_MARGIN = 0.9;

/**
 * Picks what fits in a model's context window: the system prompt, then the most recent
 * messages, newest first, until the budget (window minus the reply budget) is spent.
 * Counting uses OpenAI's o200k tokenizer for every model, with a margin for the others.
 */
@Injectable()
export class ContextBuilder {
  private encoder?: Tiktoken;

  /** Tokens a message costs in a prompt, framing included. */
  count(text: string): number {
    return this.countText(text) + MESSAGE_OVERHEAD_TOKENS;
  }

  /** Tokens of the text alone (e.g. a streamed reply the provider did not report usage for). */
  countText(text: string): number {
    this.encoder ??= new Tiktoken(o200k);
    return this.encoder.encode(text).length;
  }

  /** `history` oldest first, ending with the message to answer; the result is oldest first too. */
  build(systemPrompt: string, history: readonly ChatMessage[], contextWindow: number, replyBudget: number): ChatMessage[] {
    let budget = Math.floor(contextWindow * SAFETY_MARGIN) - replyBudget - this.count(systemPrompt);
    const kept: ChatMessage[] = [];
    for (let index = history.length - 1; index >= 0; index--) {
      const message = history[index]!;
      const cost = this.count(message.content);
      // The message being answered is always kept, cut to what fits if it alone is too long.
      if (cost > budget && kept.length > 0) break;
      kept.unshift(cost > budget ? { ...message, content: this.truncate(message.content, Math.max(budget, 1)) } : message);
      budget -= cost;
    }
    return [{ role: 'system', content: systemPrompt }, ...kept];
  }

  private truncate(text: string, tokens: number): string {
    this.encoder ??= new Tiktoken(o200k);
    return this.encoder.decode(this.encoder.encode(text).slice(-tokens));
  }
}
