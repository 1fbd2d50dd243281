import { Injectable } from '@nestjs/common';
import { CoreProblems, ProblemException, decodeCursor, toCursorPage, type CursorPage } from '#chorus/core';
import { Inbox } from '#chorus/realtime';
import type { MediaEntity, MediaModeration, MediaPurpose, MediaStatus } from './media.entity.js';
import { MediaProblems } from './media.errors.js';
import { MediaRepository, type AdminMediaRow } from './media.repository.js';
import { MediaService, type MediaUrls } from './media.service.js';
import { keptForReview } from './moderation/index.js';

/** A media as admins see it: whose it is, why it was rejected, the moderation verdict, and its files when they are kept. */
export interface AdminMediaView {
  readonly id: string;
  readonly status: MediaStatus;
  readonly purpose: MediaPurpose;
  /** A user (by email) or a persona (by handle). */
  readonly owner: { readonly kind: 'user' | 'persona'; readonly id: string; readonly name: string | null };
  readonly contentType: string | null;
  readonly filename: string | null;
  readonly bytes: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly rejection?: { readonly code: string; readonly detail: string };
  readonly moderation: MediaModeration | null;
  readonly urls?: MediaUrls;
}

export interface AdminMediaQuery {
  readonly status: MediaStatus;
  readonly rejectionCode?: string;
  readonly reviewed?: boolean;
  readonly limit: number;
  readonly cursor?: string;
}

export type ReviewDecision = 'approve' | 'reject';

/** The admins' list's sort key, as its cursors hold it. */
const ADMIN_CURSOR = { updatedAt: 'timestamp', id: 'uuid' } as const;

/**
 * The admins' side of moderation: the queue of rejected media (newest first) with the verdicts
 * and the kept files, and reviews of flagged files. Approving makes a file ready for its owner;
 * rejecting confirms the rejection and keeps the files until the owner deletes the media
 * (it is theirs: deleting it stays their decision, and it is never shown meanwhile).
 */
@Injectable()
export class MediaReviewService {
  constructor(
    private readonly media: MediaRepository,
    private readonly files: MediaService,
    private readonly inbox: Inbox,
  ) {}

  async list(query: AdminMediaQuery): Promise<CursorPage<AdminMediaView>> {
    const after = query.cursor ? decodeCursor(query.cursor, ADMIN_CURSOR) : undefined;
    const rows = await this.media.listForAdmins({ status: query.status, rejectionCode: query.rejectionCode, reviewed: query.reviewed, take: query.limit + 1, after });
    const page = toCursorPage(rows, query.limit, (row) => ({ updatedAt: row.position, id: row.media.id }), (row) => row);
    return { items: await Promise.all(page.items.map((row) => this.toView(row))), nextCursor: page.nextCursor };
  }

  /** Records an admin's decision on a flagged file (404 when there is no such media, 409 when it is not a flagged rejection). */
  async review(adminId: string, mediaId: string, decision: ReviewDecision): Promise<AdminMediaView> {
    const media = await this.media.find(mediaId);
    if (!media) throw notFound();
    if (!keptForReview(media)) throw notReviewable(media);
    const review = { decision: decision === 'approve' ? ('approved' as const) : ('rejected' as const), by: adminId, at: new Date().toISOString() };
    if (!(await this.media.reviewFlagged(mediaId, review))) {
      // Approved by another admin, or deleted by its owner, meanwhile.
      const now = await this.media.find(mediaId);
      throw now ? notReviewable(now) : notFound();
    }
    if (review.decision === 'approved' && media.ownerUserId) await this.inbox.publish(media.ownerUserId, { type: 'media.status', mediaId, status: 'ready' });
    const row = await this.media.findForAdmins(mediaId);
    if (!row) throw notFound();
    return this.toView(row);
  }

  private async toView({ media, ownerEmail, ownerHandle }: AdminMediaRow): Promise<AdminMediaView> {
    const owner = media.ownerUserId ? { kind: 'user' as const, id: media.ownerUserId, name: ownerEmail } : { kind: 'persona' as const, id: media.ownerInfluencerId!, name: ownerHandle };
    return {
      id: media.id,
      status: media.status,
      purpose: media.purpose,
      owner,
      contentType: media.contentType,
      filename: media.filename,
      bytes: media.bytes === null ? null : Number(media.bytes),
      width: media.width,
      height: media.height,
      createdAt: media.createdAt,
      updatedAt: media.updatedAt,
      moderation: media.moderation,
      ...(media.status === 'rejected' ? { rejection: { code: media.rejectionCode ?? 'rejected', detail: media.rejectionDetail ?? '' } } : {}),
      ...(hasFiles(media) ? { urls: await this.files.signedUrls(media) } : {}),
    };
  }
}

/** A ready file, or a flagged one kept for review, has its cleaned image and thumbnail; other rejections have none. */
function hasFiles(media: MediaEntity): boolean {
  return media.status === 'ready' || keptForReview(media);
}

function notFound(): ProblemException {
  return new ProblemException(CoreProblems.notFound, 'No such media.');
}

function notReviewable(media: MediaEntity): ProblemException {
  const what = media.status === 'rejected' ? `rejected as ${media.rejectionCode ?? 'unknown'}` : media.status;
  return new ProblemException(MediaProblems.notReviewable, `Only media rejected by moderation (moderation_flagged) can be reviewed; this one is ${what}.`);
}
