import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import { resolveJwtSecret } from '#chorus/auth';
import { CoreProblems, InjectConfig, Jobs, ProblemException, type AppConfig } from '#chorus/core';
import { Inbox } from '#chorus/realtime';
import type { MediaEntity } from './media.entity.js';
import { MediaProblems } from './media.errors.js';
import { MediaRepository } from './media.repository.js';
import { receiveFile } from './multipart-upload.js';
import { ImageProcessor, ImageRejected, SNIFF_BYTES } from './processing/index.js';
import { MediaObjectMissing, MediaStore } from './storage/index.js';

const PROCESS_JOB = 'media.process';
/** Which of a ready image's files a URL is for. */
export type MediaVariant = 'image' | 'thumbnail';

/** A media item as its owner sees it. */
export interface MediaView {
  readonly id: string;
  readonly status: MediaEntity['status'];
  readonly contentType: string | null;
  readonly filename: string | null;
  readonly bytes: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly checksum: string | null;
  readonly createdAt: Date;
  /** When ready: where to GET it and its thumbnail, for `expiresAt`. */
  readonly urls?: { readonly image: string; readonly thumbnail: string; readonly expiresAt: Date };
  readonly rejection?: { readonly code: string; readonly detail: string };
}

/**
 * Uploads: received by streaming into the store (never whole in memory), their type told by
 * their bytes, then cleaned by a job (oriented, re-encoded without metadata, a thumbnail made)
 * before anyone may see them. Until then they are `processing`; an image that cannot be made
 * safe is `rejected`, with why. Only the owner sees their media (another user's id is 404).
 */
@Injectable()
export class MediaService implements OnModuleInit, OnApplicationBootstrap {
  private readonly processor: ImageProcessor;
  /** Signs the URLs of the local store (derived from the token secret, so every process of a deployment shares it). */
  private readonly urlKey: Buffer;

  constructor(
    private readonly store: MediaStore,
    private readonly media: MediaRepository,
    private readonly jobs: Jobs,
    private readonly inbox: Inbox,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    this.processor = new ImageProcessor({ maxPixels: config.media.maxPixels, maxBytes: config.media.maxUploadBytes });
    this.urlKey = createHmac('sha256', resolveJwtSecret(config)).update('chorus media urls').digest();
  }

  onModuleInit(): void {
    // Decoding a large image takes a core and hundreds of MB for seconds: two at a time per process.
    this.jobs.define<{ mediaId: string }>(PROCESS_JOB, { handler: ({ mediaId }) => this.process(mediaId), attempts: 3, backoffMs: 2_000, concurrency: 2 });
  }

  /** Media a stopped process left processing is queued again (a job in Redis is not queued twice; a second run changes nothing). */
  async onApplicationBootstrap(): Promise<void> {
    for (const mediaId of await this.media.processingIds()) await this.jobs.enqueue(PROCESS_JOB, { mediaId }, { jobId: mediaId });
  }

  /** Receives an upload: refused (415, 413) before anything is kept when its bytes are not an image or too many. */
  async upload(userId: string, request: Request): Promise<MediaView> {
    const file = await receiveFile(request, { maxBytes: this.config.media.maxUploadBytes, sniffBytes: SNIFF_BYTES });
    try {
      const type = await this.rejectedAs415(() => this.processor.imageTypeOf(file.head));
      const id = randomUUID();
      const storageKey = `users/${userId}/${id}/upload`;
      await this.store.put(storageKey, file.body, type);
      const row = await this.media.insert({ id, ownerUserId: userId, status: 'processing', filename: file.filename, storageKey });
      try {
        await this.jobs.enqueue(PROCESS_JOB, { mediaId: id }, { jobId: id });
      } catch (error) {
        // Not queued: nothing is left behind.
        await this.media.deleteOwned(userId, id);
        await this.store.delete(storageKey).catch(() => undefined);
        throw error;
      }
      return this.toView(row);
    } finally {
      // A refused upload's remaining bytes are not read.
      file.body.destroy();
    }
  }

  async get(userId: string, mediaId: string): Promise<MediaView> {
    return this.toView(await this.owned(userId, mediaId));
  }

  /** Deletes the media and its files. */
  async remove(userId: string, mediaId: string): Promise<void> {
    const deleted = await this.media.deleteOwned(userId, mediaId);
    if (!deleted) throw notFound();
    await Promise.all([deleted.storageKey, deleted.thumbnailKey].filter((key) => key !== null).map((key) => this.store.delete(key)));
  }

  /** The bytes a signed local URL names, once its signature and expiry are checked (403 otherwise). */
  async content(mediaId: string, variant: MediaVariant, expires: number, signature: string): Promise<{ type: string; body: Readable }> {
    if (!this.validSignature(mediaId, variant, expires, signature) || expires * 1000 < Date.now()) {
      throw new ProblemException(MediaProblems.urlInvalid, 'This media URL is invalid or has expired: ask for the media again.');
    }
    const media = await this.media.find(mediaId);
    if (!media || media.status !== 'ready') throw notFound();
    const key = variant === 'thumbnail' ? media.thumbnailKey! : media.storageKey;
    try {
      return { type: variant === 'thumbnail' ? 'image/webp' : media.contentType!, body: await this.store.get(key) };
    } catch (error) {
      if (error instanceof MediaObjectMissing) throw notFound();
      throw error;
    }
  }

  /** The job: cleans an upload into the image shown, or rejects it. Idempotent: media no longer processing is left alone. */
  async process(mediaId: string): Promise<void> {
    const media = await this.media.find(mediaId);
    if (!media || media.status !== 'processing') return;
    const upload = await buffer(await this.store.get(media.storageKey));
    let ending: Parameters<MediaRepository['finish']>[1];
    try {
      const cleaned = await this.processor.clean(upload);
      const base = media.storageKey.replace(/\/upload$/, '');
      const imageKey = `${base}/image.${cleaned.type.slice('image/'.length)}`;
      const thumbnailKey = `${base}/thumbnail.webp`;
      await this.store.put(imageKey, Readable.from([cleaned.bytes]), cleaned.type);
      await this.store.put(thumbnailKey, Readable.from([cleaned.thumbnail]), 'image/webp');
      ending = {
        status: 'ready',
        contentType: cleaned.type,
        bytes: String(cleaned.bytes.length),
        width: cleaned.width,
        height: cleaned.height,
        checksum: cleaned.checksum,
        storageKey: imageKey,
        thumbnailKey,
      };
    } catch (error) {
      if (!(error instanceof ImageRejected)) throw error;
      ending = { status: 'rejected', rejectionCode: error.code, rejectionDetail: error.message };
    }
    if (!(await this.media.finish(mediaId, ending))) {
      // Deleted (or finished by another run) meanwhile: what this run wrote is nobody's.
      await Promise.all([ending.storageKey, ending.thumbnailKey].filter((key) => typeof key === 'string').map((key) => this.store.delete(key)));
      return;
    }
    // The upload as received (with its metadata) is not kept.
    await this.store.delete(media.storageKey);
    await this.inbox.publish(media.ownerUserId, { type: 'media.status', mediaId, status: ending.status as 'ready' | 'rejected' });
  }

  private async owned(userId: string, mediaId: string): Promise<MediaEntity> {
    const media = await this.media.findOwned(userId, mediaId);
    if (!media) throw notFound();
    return media;
  }

  /** The upload's type, or the 415 that names the supported ones (an empty file has none either). */
  private async rejectedAs415<T>(check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (error instanceof ImageRejected) throw new ProblemException(CoreProblems.unsupportedMediaType, error.message);
      throw error;
    }
  }

  private async toView(media: MediaEntity): Promise<MediaView> {
    const view: MediaView = {
      id: media.id,
      status: media.status,
      contentType: media.contentType,
      filename: media.filename,
      bytes: media.bytes === null ? null : Number(media.bytes),
      width: media.width,
      height: media.height,
      checksum: media.checksum,
      createdAt: media.createdAt,
    };
    if (media.status === 'rejected') return { ...view, rejection: { code: media.rejectionCode ?? 'rejected', detail: media.rejectionDetail ?? '' } };
    if (media.status !== 'ready') return view;
    const ttl = this.config.media.urlTtlSeconds;
    const expiresAt = new Date(Date.now() + ttl * 1000);
    const [image, thumbnail] = await Promise.all([this.urlOf(media, 'image', expiresAt), this.urlOf(media, 'thumbnail', expiresAt)]);
    return { ...view, urls: { image, thumbnail, expiresAt } };
  }

  /** The store's own signed URL (S3), or the API's, signed with an HMAC (local store). */
  private async urlOf(media: MediaEntity, variant: MediaVariant, expiresAt: Date): Promise<string> {
    const key = variant === 'thumbnail' ? media.thumbnailKey! : media.storageKey;
    const signed = await this.store.signedUrl(key, this.config.media.urlTtlSeconds);
    if (signed) return signed;
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `/api/v1/media/${media.id}/content?variant=${variant}&expires=${expires}&signature=${this.sign(media.id, variant, expires)}`;
  }

  private sign(mediaId: string, variant: MediaVariant, expires: number): string {
    return createHmac('sha256', this.urlKey).update(`${mediaId}:${variant}:${expires}`).digest('base64url');
  }

  private validSignature(mediaId: string, variant: MediaVariant, expires: number, signature: string): boolean {
    const expected = Buffer.from(this.sign(mediaId, variant, expires));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

function notFound(): ProblemException {
  return new ProblemException(CoreProblems.notFound, 'No such media.');
}
