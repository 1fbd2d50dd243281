import { createHash, randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import { CoreProblems, InjectConfig, Jobs, ProblemException, type AppConfig } from '#chorus/core';
import { Inbox } from '#chorus/realtime';
import { QuotaService, type Caller } from '#chorus/usage';
import { PersonaUploadFieldsDto, UserUploadFieldsDto } from './dto/upload.dto.js';
import type { MediaEntity } from './media.entity.js';
import { MediaGarbageCollector } from './media-garbage-collector.js';
import { MediaProblems } from './media.errors.js';
import { MediaRepository } from './media.repository.js';
import { UrlSigner } from './signed-urls.js';
import { declaredFileBytes, fieldsAs, receiveFile } from './multipart-upload.js';
import { ModerationService, ModerationUnavailable, keptForReview } from './moderation/index.js';
import {
  AUDIO_EXTENSIONS,
  AudioRejected,
  ImageProcessor,
  ImageRejected,
  SNIFF_BYTES,
  SUPPORTED_AUDIO,
  audioDurationMs,
  audioTypeOf,
  isAudioType,
  type AudioType,
  type ImageType,
} from './processing/index.js';
import { MediaObjectMissing, MediaStore } from './storage/index.js';

const PROCESS_JOB = 'media.process';
/** Runs of the job in all: a moderation provider down for longer than their backoffs (2 s, then 4 s) rejects the file. */
const PROCESS_ATTEMPTS = 3;
/** Which of a ready media's files a URL is for: an image's, or an audio's. */
export type MediaVariant = 'image' | 'thumbnail' | 'audio';

/** Short-lived URLs of a ready media's files, until `expiresAt`: an image and its thumbnail, or an audio. */
export interface MediaUrls {
  readonly image?: string;
  readonly thumbnail?: string;
  readonly audio?: string;
  readonly expiresAt: Date;
}

/** Who an upload is for: a user (whose quota it counts against), or a persona (uploaded by an admin, not charged). */
export type UploadOwner = { readonly kind: 'user'; readonly caller: Caller } | { readonly kind: 'persona'; readonly influencerId: string };

/** A media item as its owner (or, for a persona's, anyone who may see it) sees it. */
export interface MediaView {
  readonly id: string;
  readonly status: MediaEntity['status'];
  readonly purpose: MediaEntity['purpose'];
  /** A persona's media: the persona; a user's upload: the persona it was meant for, if any. */
  readonly influencerId: string | null;
  readonly tags: readonly string[];
  readonly caption: string | null;
  readonly premiumOnly: boolean;
  readonly contentType: string | null;
  readonly filename: string | null;
  readonly bytes: number | null;
  readonly width: number | null;
  readonly height: number | null;
  /** Audio: its length, measured from its bytes. */
  readonly durationMs: number | null;
  readonly checksum: string | null;
  readonly createdAt: Date;
  /** When ready: where to GET its files. */
  readonly urls?: MediaUrls;
  readonly rejection?: { readonly code: string; readonly detail: string };
}

/**
 * Uploads: received by streaming into the store (never whole in memory), their type told by
 * their bytes, then cleaned by a job (oriented, re-encoded without metadata, a thumbnail made)
 * before anyone may see them. Until then they are `processing`; an image that cannot be made
 * safe is `rejected`, with why. A user's audio (a voice message) is checked and measured in
 * the upload itself and is `ready` at once, or refused. Only the owner sees their media
 * (another user's id is 404).
 */
@Injectable()
export class MediaService implements OnModuleInit, OnApplicationBootstrap {
  private readonly processor: ImageProcessor;
  private readonly urls: UrlSigner;

  constructor(
    private readonly store: MediaStore,
    private readonly media: MediaRepository,
    private readonly jobs: Jobs,
    private readonly inbox: Inbox,
    private readonly garbage: MediaGarbageCollector,
    private readonly moderation: ModerationService,
    private readonly quota: QuotaService,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    // Every upload is bounded when it arrives (through the API by maxUploadBytes, to the bucket by what
    // was declared, at most directUpload.maxBytes): here, only the larger of the two remains to check.
    const maxBytes = Math.max(config.media.maxUploadBytes, config.media.directUpload.maxBytes);
    this.processor = new ImageProcessor({ maxPixels: config.media.maxPixels, maxBytes });
    this.urls = new UrlSigner(config, 'chorus media urls');
  }

  onModuleInit(): void {
    // Decoding a large image takes a core and hundreds of MB for seconds: two at a time per process.
    this.jobs.define<{ mediaId: string }>(PROCESS_JOB, { handler: ({ mediaId }, run) => this.process(mediaId, run.attempt), attempts: PROCESS_ATTEMPTS, backoffMs: 2_000, concurrency: 2 });
  }

  /** Media a stopped process left processing is queued again (a job in Redis is not queued twice; a second run changes nothing). */
  async onApplicationBootstrap(): Promise<void> {
    for (const mediaId of await this.media.processingIds()) await this.jobs.enqueue(PROCESS_JOB, { mediaId }, { jobId: mediaId });
  }

  /**
   * Receives an upload, a user's or (from an admin) a persona's, by the same streaming path.
   * Nothing is kept when it is refused: 404 for no such persona, 429 when the user's quota has no
   * room for its declared size (held before a byte is read), 400/422 for invalid fields (or a part
   * after the file), 415 and 413 for bytes that are not an image (or, a user's, audio) or too many,
   * 408 for a body that stops arriving, 422 for audio unreadable or too long. A user's upload is
   * billed the bytes received once stored; a persona's is not charged.
   */
  async upload(owner: UploadOwner, request: Request): Promise<MediaView> {
    const id = randomUUID();
    const { maxUploadBytes: maxBytes, uploadIdleTimeoutMs: idleTimeoutMs } = this.config.media;
    if (owner.kind === 'persona' && !(await this.media.personaStatus(owner.influencerId))) throw personaNotFound();
    if (owner.kind === 'user') await this.quota.reserveMedia(owner.caller, id, declaredFileBytes(request, maxBytes));
    try {
      const file = await receiveFile(request, { maxBytes, sniffBytes: SNIFF_BYTES, idleTimeoutMs });
      try {
        const columns = owner.kind === 'user' ? await this.userUploadColumns(owner, file.fields) : await personaUploadColumns(owner, file.fields);
        // Audio is for users' voice messages: a persona's upload is an image.
        const type = owner.kind === 'user' ? await this.userUploadTypeOf(file.head) : await this.uploadTypeOf(file.head);
        const folder = `${owner.kind === 'user' ? `users/${owner.caller.userId}` : `influencers/${owner.influencerId}`}/${id}`;
        const storageKey = isAudioType(type) ? `${folder}/audio.${AUDIO_EXTENSIONS[type]}` : `${folder}/upload`;
        await this.store.put(storageKey, file.body, type);
        try {
          const received = { id, ...columns, filename: file.filename, storageKey };
          let row: MediaEntity;
          if (isAudioType(type)) {
            // Checked here and ready at once, without a job: audio is not moderated (there is no verdict to wait for, or to publish).
            row = await this.media.insert({ ...received, status: 'ready', contentType: type, ...(await this.measuredAudio(storageKey, type, file.bytesRead())) });
          } else {
            row = await this.media.insert({ ...received, status: 'processing' });
            await this.queueProcessing(id);
          }
          if (owner.kind === 'user') await this.quota.settleMedia(id, file.bytesRead());
          return this.toView(row);
        } catch (error) {
          // Not recorded, queued or billed: nothing is left behind.
          await (owner.kind === 'user' ? this.media.deleteOwned(owner.caller.userId, id) : this.media.deletePersonaMedia(owner.influencerId, id));
          await this.garbage.collect([storageKey]);
          throw error;
        }
      } finally {
        // A refused upload's remaining bytes are not read.
        file.body.destroy();
      }
    } catch (error) {
      // Nothing was kept: the hold is given back (the sweep would, later, if this fails too).
      if (owner.kind === 'user') await this.quota.releaseMedia(id).catch(() => undefined);
      throw error;
    }
  }

  /** One of the caller's media, or a persona's ready media their plan may see (premium-only items need premium personas). */
  async get(caller: Caller, mediaId: string): Promise<MediaView> {
    const media = await this.media.findVisible(caller.userId, mediaId);
    if (!media || (media.premiumOnly && !(await this.seesPremium(caller)))) throw notFound();
    return this.toView(media);
  }

  /**
   * A persona's ready media, its profile images first, then its gallery; premium-only items only
   * for plans with premium personas (and admins). 404 for no such persona, or, but for admins, one
   * that is not active.
   */
  async personaMedia(caller: Caller, influencerId: string): Promise<MediaView[]> {
    const status = await this.media.personaStatus(influencerId);
    if (!status || (status !== 'active' && caller.role !== 'admin')) throw personaNotFound();
    const rows = await this.media.personaMedia(influencerId, await this.seesPremium(caller));
    return Promise.all(rows.map((row) => this.toView(row)));
  }

  /** Deletes a persona's media, and its files now (the garbage collector retries what fails). */
  async removePersonaMedia(influencerId: string, mediaId: string): Promise<void> {
    const deleted = await this.media.deletePersonaMedia(influencerId, mediaId);
    if (!deleted) throw notFound();
    await this.garbage.collect([deleted.storageKey, deleted.thumbnailKey].filter((key) => key !== null));
  }

  /** Queues the cleaning of an upload received (once per media: queueing it again changes nothing). */
  async queueProcessing(mediaId: string): Promise<void> {
    await this.jobs.enqueue(PROCESS_JOB, { mediaId }, { jobId: mediaId });
  }

  /** The type an upload's first bytes say, or the 415 that names the supported ones (an empty file has none either). */
  async uploadTypeOf(head: Buffer): Promise<ImageType> {
    return this.rejectedAs415(() => this.processor.imageTypeOf(head));
  }

  /** A user's upload: an image, or audio for a voice message; otherwise the 415 names both. */
  private async userUploadTypeOf(head: Buffer): Promise<ImageType | AudioType> {
    const audio = audioTypeOf(await this.processor.detect(head));
    return audio ?? this.rejectedAs415(() => this.processor.imageTypeOf(head), ` For a voice message: ${SUPPORTED_AUDIO} audio.`);
  }

  /**
   * An audio upload's columns, from its bytes as stored (read back whole: the upload limit bounds them). Refused with 413
   * over VOICE_MAX_BYTES, 415 for a video, 422 `audio_unreadable` or `audio_too_long` (over VOICE_MAX_SECONDS).
   */
  private async measuredAudio(storageKey: string, type: AudioType, bytes: number): Promise<Pick<MediaEntity, 'bytes' | 'durationMs' | 'checksum'>> {
    const { maxBytes, maxSeconds } = this.config.voice;
    if (bytes > maxBytes) throw new ProblemException(CoreProblems.payloadTooLarge, `An audio file may be at most ${maxBytes} bytes.`, { extensions: { maxBytes } });
    const data = await buffer(await this.store.get(storageKey));
    let durationMs: number;
    try {
      durationMs = await audioDurationMs(data, type);
    } catch (error) {
      if (!(error instanceof AudioRejected)) throw error;
      throw new ProblemException(error.code === 'audio_unreadable' ? MediaProblems.audioUnreadable : CoreProblems.unsupportedMediaType, error.message);
    }
    if (durationMs > maxSeconds * 1000) {
      const seconds = durationMs / 1000;
      throw new ProblemException(MediaProblems.audioTooLong, `A voice message may be at most ${maxSeconds} seconds long; this one is ${seconds}.`, { extensions: { maxSeconds, seconds } });
    }
    return { bytes: String(data.length), durationMs, checksum: createHash('sha256').update(data).digest('hex') };
  }

  /** The persona an upload is meant for, when one is named: 422 when there is no such persona. */
  async policyPersona(influencerId: string | undefined): Promise<string | null> {
    if (influencerId === undefined) return null;
    if (await this.media.personaStatus(influencerId)) return influencerId;
    throw new ProblemException(MediaProblems.unknownPersona, 'The influencerId names no persona.', { errors: [{ field: 'influencerId', message: 'names no persona' }] });
  }

  private async userUploadColumns(owner: Extract<UploadOwner, { kind: 'user' }>, fields: Readonly<Record<string, string>>) {
    const { influencerId } = await fieldsAs(UserUploadFieldsDto, fields);
    return { ownerUserId: owner.caller.userId, ownerInfluencerId: null, policyInfluencerId: await this.policyPersona(influencerId) };
  }

  /** Whether the caller's plan has premium personas (admins see everything). */
  private async seesPremium(caller: Caller): Promise<boolean> {
    return (await this.quota.limitsFor(caller))?.premiumPersonas ?? true;
  }

  /** Deletes the media, and its files now (the garbage collector retries what fails). */
  async remove(userId: string, mediaId: string): Promise<void> {
    const deleted = await this.media.deleteOwned(userId, mediaId);
    if (!deleted) throw notFound();
    await this.garbage.collect([deleted.storageKey, deleted.thumbnailKey].filter((key) => key !== null));
  }

  /** The bytes a signed local URL names, once its signature and expiry are checked (403 otherwise). */
  async content(mediaId: string, variant: MediaVariant, expires: number, signature: string): Promise<{ type: string; body: Readable }> {
    if (!this.urls.verify(`${mediaId}:${variant}`, expires, signature)) {
      throw new ProblemException(MediaProblems.urlInvalid, 'This media URL is invalid or has expired: ask for the media again.');
    }
    const media = await this.media.find(mediaId);
    // A flagged file's URLs are only ever given to admins, who review it.
    if (!media || !(media.status === 'ready' || keptForReview(media))) throw notFound();
    const key = variant === 'thumbnail' ? media.thumbnailKey! : media.storageKey;
    try {
      return { type: variant === 'thumbnail' ? 'image/webp' : media.contentType!, body: await this.store.get(key) };
    } catch (error) {
      if (error instanceof MediaObjectMissing) throw notFound();
      throw error;
    }
  }

  /**
   * The job: cleans an upload and has it moderated into the image shown, or rejects it. Idempotent: media no longer
   * processing is left alone. Moderation fails closed: while the provider gives no verdict the job throws (the media stays
   * processing, and the job is retried); on its last `attempt` the media is rejected as `moderation_unavailable`.
   */
  async process(mediaId: string, attempt = PROCESS_ATTEMPTS): Promise<void> {
    const media = await this.media.find(mediaId);
    if (!media || media.status !== 'processing') return;
    const upload = await buffer(await this.store.get(media.storageKey));
    let ending: Parameters<MediaRepository['finish']>[1];
    try {
      const cleaned = await this.processor.clean(upload);
      // Judged before anything is stored: a run that finds the provider down leaves nothing behind.
      const verdict = await this.moderation.judgeImage(mediaId, cleaned);
      const base = media.storageKey.replace(/\/upload$/, '');
      const imageKey = `${base}/image.${cleaned.type.slice('image/'.length)}`;
      const thumbnailKey = `${base}/thumbnail.webp`;
      await this.store.put(imageKey, Readable.from([cleaned.bytes]), cleaned.type);
      await this.store.put(thumbnailKey, Readable.from([cleaned.thumbnail]), 'image/webp');
      // A flagged image keeps its files too (never shown): admins review it.
      ending = {
        ...verdict,
        contentType: cleaned.type,
        bytes: String(cleaned.bytes.length),
        width: cleaned.width,
        height: cleaned.height,
        checksum: cleaned.checksum,
        storageKey: imageKey,
        thumbnailKey,
      };
    } catch (error) {
      if (error instanceof ImageRejected) ending = { status: 'rejected', rejectionCode: error.code, rejectionDetail: error.message };
      else if (error instanceof ModerationUnavailable && attempt >= PROCESS_ATTEMPTS) ending = this.moderation.unavailable(mediaId, error);
      else throw error;
    }
    if (!(await this.media.finish(mediaId, ending))) {
      // Deleted (or finished by another run) meanwhile: what this run wrote is nobody's.
      await Promise.all([ending.storageKey, ending.thumbnailKey].filter((key) => typeof key === 'string').map((key) => this.store.delete(key)));
      return;
    }
    // The upload as received (with its metadata) is not kept.
    await this.store.delete(media.storageKey);
    if (media.ownerUserId) await this.inbox.publish(media.ownerUserId, { type: 'media.status', mediaId, status: ending.status as 'ready' | 'rejected' });
  }

  /** The upload's type, or the 415 that names the supported ones (`alsoSupported`: other kinds accepted; an empty file has none either). */
  private async rejectedAs415<T>(check: () => Promise<T>, alsoSupported = ''): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (error instanceof ImageRejected) throw new ProblemException(CoreProblems.unsupportedMediaType, error.message + alsoSupported);
      throw error;
    }
  }

  async toView(media: MediaEntity): Promise<MediaView> {
    const view: MediaView = {
      id: media.id,
      status: media.status,
      purpose: media.purpose,
      influencerId: media.ownerInfluencerId ?? media.policyInfluencerId,
      tags: media.tags,
      caption: media.caption,
      premiumOnly: media.premiumOnly,
      contentType: media.contentType,
      filename: media.filename,
      bytes: media.bytes === null ? null : Number(media.bytes),
      width: media.width,
      height: media.height,
      durationMs: media.durationMs,
      checksum: media.checksum,
      createdAt: media.createdAt,
    };
    if (media.status === 'rejected') return { ...view, rejection: { code: media.rejectionCode ?? 'rejected', detail: media.rejectionDetail ?? '' } };
    if (media.status !== 'ready') return view;
    return { ...view, urls: await this.signedUrls(media) };
  }

  /** Short-lived URLs of a ready media's files: an image and its thumbnail, or an audio (for views built elsewhere too, such as attachments). */
  async signedUrls(media: MediaEntity): Promise<MediaUrls> {
    const expiresAt = new Date(Date.now() + this.config.media.urlTtlSeconds * 1000);
    if (isAudioType(media.contentType)) return { audio: await this.urlOf(media, 'audio', expiresAt), expiresAt };
    const [image, thumbnail] = await Promise.all([this.urlOf(media, 'image', expiresAt), this.urlOf(media, 'thumbnail', expiresAt)]);
    return { image, thumbnail, expiresAt };
  }

  /** The store's own signed URL (S3), or the API's, signed with an HMAC (local store). */
  private async urlOf(media: MediaEntity, variant: MediaVariant, expiresAt: Date): Promise<string> {
    const key = variant === 'thumbnail' ? media.thumbnailKey! : media.storageKey;
    const signed = await this.store.signedUrl(key, this.config.media.urlTtlSeconds);
    if (signed) return signed;
    return `/api/v1/media/${media.id}/content?variant=${variant}&${this.urls.urlQuery(`${media.id}:${variant}`, expiresAt)}`;
  }
}

function notFound(): ProblemException {
  return new ProblemException(CoreProblems.notFound, 'No such media.');
}

function personaNotFound(): ProblemException {
  return new ProblemException(CoreProblems.notFound, 'No such persona.');
}

/** A persona's media as its fields describe it (a gallery item unless said otherwise), judged by the persona's own moderation policy. */
async function personaUploadColumns(owner: Extract<UploadOwner, { kind: 'persona' }>, fields: Readonly<Record<string, string>>) {
  const { purpose = 'gallery', tags = [], caption, premiumOnly = false } = await fieldsAs(PersonaUploadFieldsDto, fields);
  const persona = owner.influencerId;
  return { ownerUserId: null, ownerInfluencerId: persona, policyInfluencerId: persona, purpose, tags, caption: caption?.trim() || null, premiumOnly };
}
