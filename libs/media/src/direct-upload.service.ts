import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { CoreProblems, InjectConfig, Jobs, ProblemException, type AppConfig } from '#chorus/core';
import { QuotaService, type Caller } from '#chorus/usage';
import type { MediaEntity } from './media.entity.js';
import { MediaGarbageCollector } from './media-garbage-collector.js';
import { MediaProblems } from './media.errors.js';
import { MediaRepository } from './media.repository.js';
import { MediaService, type MediaView } from './media.service.js';
import { sanitisedName } from './multipart-upload.js';
import { SNIFF_BYTES, type ImageType } from './processing/index.js';
import { MediaStore, type PresignedUpload } from './storage/index.js';

const EXPIRE_JOB = 'media.expire-uploads';
const EXPIRE_INTERVAL_MS = 60_000;
/** Uploads deleted per run: a backlog drains over several runs without holding one for long. */
const EXPIRE_BATCH = 200;
/**
 * How long after its form expires an upload may still be completed (and is kept): S3 checks the
 * policy when a POST starts, so a large file begun just before the deadline arrives after it.
 */
const GRACE_SECONDS = 600;

/** A direct upload as the client announces it. */
export interface DirectUploadRequest {
  readonly filename?: string;
  readonly contentType: ImageType;
  /** The file's size; the bucket's policy allows no more. */
  readonly bytes: number;
  readonly influencerId?: string;
}

/** The pending media, and the form that uploads its file to the bucket until `expiresAt`. */
export interface DirectUploadView {
  readonly media: MediaView;
  readonly upload: PresignedUpload & { readonly expiresAt: Date };
}

/**
 * Uploads straight to the bucket (S3 only), for files too large to stream through the API: the
 * client gets a presigned POST whose policy bounds the key, the type and the size, sends the file,
 * then completes the upload. Completing checks the object as an upload through the API would be
 * checked (its size against what was declared, its type by its first bytes, read with a ranged
 * GET) and queues the same processing. The quota is held when the form is issued and billed the
 * size received; uploads never completed are deleted, and their hold given back.
 */
@Injectable()
export class DirectUploads implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Media');

  constructor(
    private readonly store: MediaStore,
    private readonly media: MediaRepository,
    private readonly files: MediaService,
    private readonly quota: QuotaService,
    private readonly garbage: MediaGarbageCollector,
    private readonly jobs: Jobs,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.define(EXPIRE_JOB, { handler: async () => void (await this.expire()), attempts: 1 });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.every(EXPIRE_JOB, EXPIRE_INTERVAL_MS);
  }

  /**
   * A pending media and its upload form. Refused, keeping nothing: 413 over the direct upload
   * limit, 409 `direct_upload_unavailable` on the local store, 422 for no such persona, 429 when
   * the quota has no room for the size declared.
   */
  async issue(caller: Caller, request: DirectUploadRequest): Promise<DirectUploadView> {
    const { maxBytes, ttlSeconds } = this.config.media.directUpload;
    if (request.bytes > maxBytes) {
      throw new ProblemException(CoreProblems.payloadTooLarge, `A direct upload may be at most ${maxBytes} bytes.`, { extensions: { maxBytes } });
    }
    const id = randomUUID();
    const storageKey = `users/${caller.userId}/${id}/upload`;
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const form = await this.store.presignedPost(storageKey, { contentType: request.contentType, maxBytes: request.bytes, expiresSeconds: ttlSeconds });
    if (!form) {
      throw new ProblemException(
        MediaProblems.directUploadUnavailable,
        'This server keeps media on its own disk, not in a bucket: upload the file through POST /api/v1/media as multipart/form-data instead.',
      );
    }
    const policyInfluencerId = await this.files.policyPersona(request.influencerId);
    // Held until the upload can no longer be completed; the expiry job gives it back sooner when it is deleted.
    await this.quota.reserveMedia(caller, id, request.bytes, { holdSeconds: ttlSeconds + GRACE_SECONDS });
    try {
      const row = await this.media.insert({
        id,
        ownerUserId: caller.userId,
        ownerInfluencerId: null,
        policyInfluencerId,
        status: 'pending',
        filename: sanitisedName(request.filename),
        storageKey,
        // The size declared, until the file is received.
        bytes: String(request.bytes),
        uploadExpiresAt: expiresAt,
      });
      return { media: await this.files.toView(row), upload: { ...form, expiresAt } };
    } catch (error) {
      await this.quota.releaseMedia(id).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Receives a direct upload once its file is in the bucket: `processing`, billed the bytes
   * received. Idempotent: completing it again answers what it is now. 404 for another user's id
   * or an expired upload; 409 `upload_incomplete` before the file is there; a file larger than
   * declared (413) or not an image (415) is deleted with its record.
   */
  async complete(caller: Caller, mediaId: string): Promise<MediaView> {
    const media = await this.media.findOwned(caller.userId, mediaId);
    if (!media || (media.status === 'pending' && pastDeadline(media))) throw notFound();
    const received = media.status === 'pending' ? await this.receive(caller, media) : media;
    // Queued and billed once each (per media, per reservation): a complete that failed between the
    // two is finished by the next.
    if (received.status === 'processing' && received.uploadExpiresAt !== null) {
      await this.files.queueProcessing(received.id);
      await this.quota.settleMedia(received.id, Number(received.bytes));
    }
    return this.files.toView(received);
  }

  /** Deletes the uploads never completed (the database queues their files for the garbage collector) and gives their holds back. */
  async expire(): Promise<number> {
    const expired = await this.media.deleteExpiredPending(GRACE_SECONDS, EXPIRE_BATCH);
    for (const id of expired) await this.quota.releaseMedia(id);
    if (expired.length > 0) this.logger.log(`Deleted ${expired.length} direct upload(s) never completed`);
    return expired.length;
  }

  /** The pending upload checked as an upload through the API is, and moved to `processing`. */
  private async receive(caller: Caller, media: MediaEntity): Promise<MediaEntity> {
    const size = await this.store.size(media.storageKey);
    if (size === undefined) {
      throw new ProblemException(MediaProblems.uploadIncomplete, 'The file is not in the bucket yet: POST it with the upload form, then complete the upload.');
    }
    const declared = Number(media.bytes);
    if (size > declared) {
      await this.discard(caller, media);
      throw new ProblemException(CoreProblems.payloadTooLarge, `The file has ${size} bytes, more than the ${declared} declared: it is deleted.`, {
        extensions: { maxBytes: declared },
      });
    }
    // Its type from its first bytes, without downloading the rest (an empty file has none).
    const head = size === 0 ? Buffer.alloc(0) : await this.store.getRange(media.storageKey, 0, SNIFF_BYTES);
    try {
      await this.files.uploadTypeOf(head);
    } catch (error) {
      if (error instanceof ProblemException) await this.discard(caller, media);
      throw error;
    }
    const moved = await this.media.startProcessing(media.id, size, GRACE_SECONDS);
    // Not moved: completed by a concurrent request (then this answers the same), or expired meanwhile.
    const now = await this.media.findOwned(caller.userId, media.id);
    if (!now || (!moved && now.status === 'pending')) throw notFound();
    return now;
  }

  /** A refused upload leaves nothing: its record, its file and its hold go. */
  private async discard(caller: Caller, media: MediaEntity): Promise<void> {
    await this.media.deleteOwned(caller.userId, media.id);
    await this.garbage.collect([media.storageKey]);
    await this.quota.releaseMedia(media.id);
  }
}

/** Whether a pending upload may no longer be completed. */
function pastDeadline(media: MediaEntity): boolean {
  return media.uploadExpiresAt !== null && media.uploadExpiresAt.getTime() + GRACE_SECONDS * 1000 < Date.now();
}

function notFound(): ProblemException {
  return new ProblemException(CoreProblems.notFound, 'No such media.');
}
