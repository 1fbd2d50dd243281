import { createRequire } from 'node:module';
import { Injectable } from '@nestjs/common';
import type { Tiktoken } from 'js-tiktoken/lite';
import type { ChatMessage } from '#chorus/providers';

/** Per-message framing the chat formats add (role markers), counted so the estimate stays an upper bound. */
const MESSAGE_OVERHEAD_TOKENS = 4;
/** Head-room for tokenizer differences between models (Gemini's is not OpenAI's). */
const SAFETY_MARGIN = 0.9;

/**
 * The pieces a BPE tokenizer's pre-tokenizer splits text into (as o200k's does): runs of
 * letters, of up to three digits, of other symbols, of whitespace. A token never spans two.
 */
const PIECES = /\p{L}+|\p{N}{1,3}|[^\s\p{L}\p{N}]+|\s+/gu;

const load = createRequire(import.meta.url);

/**
 * Picks what fits in a model's context window: the system prompt, then the most recent
 * messages, newest first, until the budget (window minus the reply budget) is spent.
 *
 * On the message path tokens are estimated, never counted: OpenAI's o200k tokenizer costs
 * about 170 MiB of memory and a fraction of a millisecond per message, while the provider
 * reports exact usage when the reply ends. The exact count (`countText`, the tokenizer loaded
 * on first use) is only for replies the provider reported no usage for (cancelled, failed),
 * after they end.
 */
@Injectable()
export class ContextBuilder {
  private encoder?: Tiktoken;

  /**
   * Tokens of a text, estimated to err high for prose, chat, code and most scripts: a
   * letter-run token holds about four ASCII letters or three bytes of other scripts; digits go
   * by threes; each symbol may be a token; an emoji may be two. Random strings (keys, base64)
   * can count higher than this.
   */
  estimate(text: string): number {
    let tokens = 0;
    for (const [piece] of text.matchAll(PIECES)) {
      const first = piece.charCodeAt(0);
      if (first <= 32 && piece.trim() === '') tokens += piece.length > 1 ? 1 : 0;
      else if (/^\p{L}/u.test(piece)) tokens += first < 128 ? Math.ceil(piece.length / 4) : Math.ceil(Buffer.byteLength(piece) / 3);
      else if (/^\p{N}/u.test(piece)) tokens += 1;
      else tokens += first < 128 ? piece.length : Math.ceil(Buffer.byteLength(piece) / 2);
    }
    return tokens;
  }

  /** Estimated tokens a message costs in a prompt, framing included. */
  estimateMessage(text: string): number {
    return this.estimate(text) + MESSAGE_OVERHEAD_TOKENS;
  }

  /** Exact tokens a message costs in a prompt, framing included (loads the tokenizer). */
  count(text: string): number {
    return this.countText(text) + MESSAGE_OVERHEAD_TOKENS;
  }

  /** Exact tokens of the text alone, by OpenAI's o200k tokenizer (loaded on first use). */
  countText(text: string): number {
    return this.tokenizer().encode(text).length;
  }

  /** `history` oldest first, ending with the message to answer; the result is oldest first too. */
  build(systemPrompt: string, history: readonly ChatMessage[], contextWindow: number, replyBudget: number): ChatMessage[] {
    let budget = Math.floor(contextWindow * SAFETY_MARGIN) - replyBudget - this.estimateMessage(systemPrompt);
    const kept: ChatMessage[] = [];
    for (let index = history.length - 1; index >= 0; index--) {
      const message = history[index]!;
      const cost = this.estimateMessage(message.content);
      // The message being answered is always kept, cut to what fits if it alone is too long.
      if (cost > budget && kept.length > 0) break;
      kept.unshift(cost > budget ? { ...message, content: this.tail(message.content, Math.max(budget - MESSAGE_OVERHEAD_TOKENS, 1)) } : message);
      budget -= cost;
    }
    return [{ role: 'system', content: systemPrompt }, ...kept];
  }

  /** The end of `text` that fits in `tokens` (estimated). */
  private tail(text: string, tokens: number): string {
    let length = Math.min(text.length, tokens * 4);
    while (length > 0 && this.estimate(text.slice(-length)) > tokens) length = Math.floor(length * 0.9);
    return text.slice(text.length - length);
  }

  private tokenizer(): Tiktoken {
    if (!this.encoder) {
      // Loaded here rather than imported, so that a process that never needs it never holds its tables.
      const { Tiktoken } = load('js-tiktoken/lite') as typeof import('js-tiktoken/lite');
      const ranks = load('js-tiktoken/ranks/o200k_base') as { default?: unknown };
      this.encoder = new Tiktoken((ranks.default ?? ranks) as ConstructorParameters<typeof Tiktoken>[0]);
    }
    return this.encoder;
  }
}
