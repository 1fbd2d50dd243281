import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { ProblemException } from '#chorus/core';
import type { PersonaVoiceRecord } from '#chorus/influencers';
import type { Caller } from '#chorus/usage';
import type { AudioFormat, VoiceService } from '#chorus/voice';
import type { LiveReply } from './reply-stream-hub.js';

/** The longest the end of a reply waits for its last sentences' speech; what is left after it is not spoken. */
const SPEECH_DRAIN_MS = 60_000;
/** A sentence ends with its punctuation (and closing quotes or brackets) followed by a space; a paragraph break ends one too. */
const SENTENCE_END = /[.!?…]+["'”’)\]]*\s+|\n\s*\n/;

/** Where a spoken reply's speech goes and how it sounds. */
export interface SpokenReplyOptions {
  readonly caller: Caller;
  readonly voice: PersonaVoiceRecord | null;
  readonly format?: AudioFormat;
  readonly conversationId: string;
  readonly messageId: string;
}

/**
 * A reply spoken while it streams: each sentence, once complete, is spoken in the persona's voice
 * and published as a `reply.audio` event (a short-lived URL of its clip), in order, one after
 * the other, so that speech starts long before the reply ends. A failure (quota, provider) is
 * told once as `reply.audio.failed`, and the rest of the reply is not spoken; the text goes on.
 */
export class SpokenReply {
  private readonly logger = new Logger(SpokenReply.name);
  private pending = '';
  private spoken = 0;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly voice: VoiceService,
    private readonly live: LiveReply,
    private readonly options: SpokenReplyOptions,
  ) {}

  /** More of the reply's text: its complete sentences are queued to be spoken. */
  push(text: string): void {
    this.pending += text;
    for (let match = SENTENCE_END.exec(this.pending); match; match = SENTENCE_END.exec(this.pending)) {
      const end = match.index + match[0].length;
      this.say(this.pending.slice(0, end));
      this.pending = this.pending.slice(end);
    }
  }

  /**
   * The reply ended: a completed reply's last words are spoken too; then waits for what is queued
   * (at most SPEECH_DRAIN_MS), so that every `reply.audio` event comes before the final one.
   */
  async finish(status: string): Promise<void> {
    if (status === 'completed') this.say(this.pending);
    this.pending = '';
    const drained = await Promise.race([this.queue.then(() => true), sleep(SPEECH_DRAIN_MS, false, { ref: false })]);
    if (!drained) this.fail('speech_timeout', `Speech took longer than ${SPEECH_DRAIN_MS / 1000} s; the rest of the reply is not spoken.`);
  }

  private say(sentence: string): void {
    const text = speakable(sentence);
    if (text.length === 0) return;
    const index = this.spoken++;
    this.queue = this.queue.then(async () => {
      if (this.stopped) return;
      const { caller, voice, format, conversationId, messageId } = this.options;
      try {
        const clip = await this.voice.clip(caller, text, voice, format, { conversationId, messageId });
        const { url, expiresAt } = await this.voice.clipUrl(clip);
        if (this.stopped) return;
        this.live.publish('reply.audio', { messageId, index, text, url, contentType: clip.contentType, bytes: clip.bytes, expiresAt });
      } catch (error) {
        const code = error instanceof ProblemException ? error.problem.code : 'speech_failed';
        if (!(error instanceof ProblemException)) this.logger.warn(`Reply ${messageId}: sentence ${index} could not be spoken (${(error as Error).message})`);
        this.fail(code, error instanceof ProblemException ? error.message : 'The reply could not be spoken.', index);
      }
    });
  }

  /** Tells the failure once; nothing more of the reply is spoken. */
  private fail(code: string, detail: string, index?: number): void {
    if (this.stopped) return;
    this.stopped = true;
    this.live.publish('reply.audio.failed', { messageId: this.options.messageId, ...(index === undefined ? {} : { index }), code, detail });
  }
}

/** A sentence as it is read aloud: without the markup a reply may carry (emphasis, headings, quotes, code marks, links' targets). */
export function speakable(sentence: string): string {
  return sentence
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s*(?:#{1,6}|>+)\s+/gm, '')
    .replace(/[*`~|]+/g, '')
    // Underscores around words are emphasis; within words (OPENAI_API_KEY) they are part of them.
    .replace(/(^|\W)_+(?=\w)|(?<=\w)_+(?=\W|$)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
