import { buffer } from 'node:stream/consumers';
import { Injectable } from '@nestjs/common';
import { CoreProblems, ProblemException } from '#chorus/core';
import type { MediaTranscript } from './media.entity.js';
import { MediaProblems } from './media.errors.js';
import { MediaRepository } from './media.repository.js';
import { AUDIO_EXTENSIONS, isAudioType } from './processing/index.js';
import { MediaStore } from './storage/index.js';

/** A user's audio upload, checked for sending as a voice message. */
export interface VoiceMessageAudio {
  readonly mediaId: string;
  readonly contentType: string;
  /** `voice.<ext>` by its type: speech-to-text providers tell the format by the name. */
  readonly filename: string;
  readonly durationMs: number;
  readonly bytes: number;
  /** What it was transcribed to, once it was. */
  readonly transcript: MediaTranscript | null;
}

/** Users' audio uploads as the voice lib uses them: voice messages to transcribe. */
@Injectable()
export class MediaAudio {
  constructor(
    private readonly media: MediaRepository,
    private readonly store: MediaStore,
  ) {}

  /** The user's audio upload for a voice message: 404 when not theirs, 422 `media_not_audio` when not audio, 409 media_not_ready / media_already_attached (source 'user'). */
  async voiceMessage(userId: string, mediaId: string): Promise<VoiceMessageAudio> {
    const {
      media: [media],
      attached,
    } = await this.media.attachmentCandidates(userId, [mediaId]);
    if (!media) throw new ProblemException(CoreProblems.notFound, `No such media: ${mediaId}.`);
    // An image still processing has no type yet: it is not audio either.
    if (!isAudioType(media.contentType)) throw new ProblemException(MediaProblems.notAudio, `Media ${mediaId} is not audio: upload the voice message as audio.`);
    if (media.status !== 'ready') throw new ProblemException(MediaProblems.notReady, `Media ${mediaId} is still ${media.status}: send it once GET /media/${mediaId} says ready.`);
    if (attached.has(mediaId)) throw new ProblemException(MediaProblems.alreadyAttached, `Media ${mediaId} is already on another message: upload it again to send it again.`);
    return {
      mediaId,
      contentType: media.contentType,
      filename: `voice.${AUDIO_EXTENSIONS[media.contentType]}`,
      durationMs: media.durationMs!,
      bytes: Number(media.bytes),
      transcript: media.transcript,
    };
  }

  /** The audio's bytes from the store. */
  async bytesOf(mediaId: string): Promise<Buffer> {
    const media = await this.media.find(mediaId);
    if (!media || !isAudioType(media.contentType)) throw new ProblemException(CoreProblems.notFound, `No such audio: ${mediaId}.`);
    return buffer(await this.store.get(media.storageKey));
  }

  /** Keeps what the audio was transcribed to (a retry then reads it instead of transcribing again). */
  async saveTranscript(mediaId: string, transcript: MediaTranscript): Promise<void> {
    await this.media.saveTranscript(mediaId, transcript);
  }
}
