import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { CoreProblems, ProblemException } from '#chorus/core';
import type { Caller } from '#chorus/usage';
import { VoiceService, type AudioFormat } from '#chorus/voice';
import { ConversationProblems } from './conversations.errors.js';
import { RepliesRepository } from './replies.repository.js';
import { speakable } from './spoken-reply.js';

/** A reply spoken whole, in its persona's voice. */
@Injectable()
export class ReplySpeech {
  constructor(
    private readonly replies: RepliesRepository,
    private readonly voice: VoiceService,
  ) {}

  /**
   * The caller's reply `replyId` spoken as `format`: kept by its text, voice and format, so that a
   * replay is read back and billed nothing. 404 for no such reply of theirs, 409 while it is being
   * generated, 422 when it has no text to speak.
   */
  async audio(caller: Caller, conversationId: string, replyId: string, format: AudioFormat | undefined): Promise<{ contentType: string; bytes: number; body: Readable; cached: boolean }> {
    const reply = await this.replies.spoken(caller.userId, conversationId, replyId);
    if (!reply) throw new ProblemException(CoreProblems.notFound, 'No such reply.');
    if (reply.status === 'streaming') throw new ProblemException(ConversationProblems.replyInProgress, 'This reply is still being written: ask for its audio once it has ended.');
    const text = speakable(reply.content);
    if (text.length === 0) throw new ProblemException(ConversationProblems.nothingToSpeak, 'This reply has no text to speak.');
    const clip = await this.voice.clip(caller, text, reply.voice, format, { conversationId, messageId: replyId });
    return { contentType: clip.contentType, bytes: clip.bytes, cached: clip.cached, body: await this.voice.clipBody(clip) };
  }
}
