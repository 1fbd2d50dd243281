import { createRequire } from 'node:module';
import { Injectable } from '@nestjs/common';
import type { Tiktoken } from 'js-tiktoken/lite';
import type { ChatMessage } from '#chorus/providers';

/** Per-message framing the chat formats add (role markers), counted so the estimate stays an upper bound. */
const MESSAGE_OVERHEAD_TOKENS = 4;
/** Head-room for tokenizer differences between models (Gemini's is not OpenAI's). */
const SAFETY_MARGIN = 0.9;
/**
 * What an image is counted in a prompt, without decoding it: OpenAI's price of a square image at
 * high detail (Gemini's is 258). Images are cleaned to bounded sizes on upload, so a fixed cost
 * keeps the estimate on the message path free of any look-up.
 */
const IMAGE_TOKENS = 765;

/** A message of a conversation as a context is built from it: with how many images it carries (counted, loaded only once kept). */
export interface ContextMessage extends ChatMessage {
  readonly imageCount?: number;
}

/**
 * The pieces a BPE tokenizer's pre-tokenizer splits text into (as o200k's does): runs of
 * letters, of up to three digits, of other symbols, of whitespace. A token never spans two.
 */
const PIECES = /\p{L}+|\p{N}{1,3}|[^\s\p{L}\p{N}]+|\s+/gu;

/** Runs that byte-pair merging would take long over (see countText). */
const LONG_RUNS = /\s{65,}|[\p{L}\p{M}]{65,}|[^\s\p{L}\p{N}]{65,}/gu;

const load = createRequire(import.meta.url);

/** A run of ASCII letters shaped like a word of prose rather than a key or an identifier. */
function isWord(letters: string): boolean {
  return letters.length <= 12 && !/[a-z][A-Z]/.test(letters);
}

/**
 * Picks what fits in a model's context window: the system prompt, then the most recent
 * messages, newest first, until the budget (window minus the reply budget) is spent.
 *
 * On the message path tokens are estimated, never counted: OpenAI's o200k tokenizer costs
 * about 170 MiB of memory and a fraction of a millisecond per message, while the provider
 * reports exact usage when the reply ends. The count (`countText`, the tokenizer loaded on
 * first use) is only for the text of replies the provider reported no usage for (cancelled,
 * failed), after they end.
 */
@Injectable()
export class ContextBuilder {
  private encoder?: Tiktoken;

  /**
   * Tokens of a text, estimated to err high: a token never spans two pre-tokenizer pieces, nor
   * holds more than one piece's bytes. A word (up to 12 ASCII letters, capitalised at most at
   * its start) counts one token per four letters, other runs (random letters, keys) two per three; other scripts one per two
   * bytes; digits go by threes; each ASCII symbol may be a token, other symbols and marks one per
   * byte; a run of whitespace one per eight characters (a single space joins the next word).
   */
  estimate(text: string): number {
    let tokens = 0;
    for (const [piece] of text.matchAll(PIECES)) {
      const first = piece.charCodeAt(0);
      if (/^\s/u.test(piece)) tokens += piece.length === 1 && first === 32 ? 0 : Math.ceil(piece.length / 8);
      else if (/^\p{L}/u.test(piece)) tokens += first < 128 ? Math.ceil(piece.length / (isWord(piece) ? 4 : 1.5)) : Math.ceil(Buffer.byteLength(piece) / 2);
      else if (/^\p{N}/u.test(piece)) tokens += 1;
      else tokens += first < 128 ? piece.length : Buffer.byteLength(piece);
    }
    return tokens;
  }

  /** Estimated tokens a message costs in a prompt, framing and images included. */
  estimateMessage(text: string, images = 0): number {
    return this.estimate(text) + MESSAGE_OVERHEAD_TOKENS + images * IMAGE_TOKENS;
  }

  /**
   * Tokens of the text alone, by OpenAI's o200k tokenizer (loaded on first use), special-token
   * markers counted as the plain text they are. Byte-pair merging costs the square of a piece's
   * length, so a run long enough to block the process for long (whitespace, letters, symbols) is
   * counted at its byte length instead, which no tokenization exceeds.
   */
  countText(text: string): number {
    let tokens = 0;
    let from = 0;
    for (const run of text.matchAll(LONG_RUNS)) {
      tokens += this.encodedLength(text.slice(from, run.index)) + Buffer.byteLength(run[0]);
      from = run.index + run[0].length;
    }
    return tokens + this.encodedLength(text.slice(from));
  }

  private encodedLength(text: string): number {
    return text.length === 0 ? 0 : this.tokenizer().encode(text, [], []).length;
  }

  /** `history` oldest first, ending with the message to answer; the result is oldest first too, after the system prompt. */
  build<M extends ContextMessage>(systemPrompt: string, history: readonly M[], contextWindow: number, replyBudget: number): [ChatMessage, ...M[]] {
    let budget = Math.floor(contextWindow * SAFETY_MARGIN) - replyBudget - this.estimateMessage(systemPrompt);
    const kept: M[] = [];
    for (let index = history.length - 1; index >= 0; index--) {
      const message = history[index]!;
      const cost = this.estimateMessage(message.content, message.imageCount);
      // The message being answered is always kept, cut to what fits if it alone is too long.
      if (cost > budget && kept.length > 0) break;
      kept.unshift(cost > budget ? { ...message, content: this.tail(message.content, Math.max(budget - MESSAGE_OVERHEAD_TOKENS - (message.imageCount ?? 0) * IMAGE_TOKENS, 1)) } : message);
      budget -= cost;
    }
    return [{ role: 'system', content: systemPrompt }, ...kept];
  }

  /** The end of `text` that fits in `tokens` (estimated), whole characters only. */
  private tail(text: string, tokens: number): string {
    const characters = [...text];
    let length = Math.min(characters.length, tokens * 4);
    while (length > 0 && this.estimate(characters.slice(-length).join('')) > tokens) length = Math.floor(length * 0.9);
    return characters.slice(characters.length - length).join('');
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
