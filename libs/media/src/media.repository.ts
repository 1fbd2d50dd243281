import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, Not, type SelectQueryBuilder } from 'typeorm';
import type { CursorPosition } from '#chorus/core';
import type { InfluencerStatus, ModerationPolicyRecord } from '#chorus/influencers';
import { MediaEntity, MessageAttachmentEntity, type MediaModeration, type MediaStatus, type MediaTranscript } from './media.entity.js';
import { ModerationRejections } from './moderation/moderation-rejections.js';

/** A media as admins list it, with its owner's email (a user's) or handle (a persona's), and its position for a cursor. */
export interface AdminMediaRow {
  readonly media: MediaEntity;
  readonly ownerEmail: string | null;
  readonly ownerHandle: string | null;
  /** When it last changed, as an ISO date to the microsecond. */
  readonly position: string;
}

async function adminRows(builder: SelectQueryBuilder<MediaEntity>): Promise<AdminMediaRow[]> {
  const { entities, raw } = await builder.getRawAndEntities<{ owner_email: string | null; owner_handle: string | null; position: string }>();
  return entities.map((media, index) => ({ media, ownerEmail: raw[index]!.owner_email, ownerHandle: raw[index]!.owner_handle, position: raw[index]!.position }));
}

/** Where a deleted media's bytes were: for the store. */
export interface MediaKeys {
  readonly storageKey: string;
  readonly thumbnailKey: string | null;
}

/** Media rows; every read on a user's behalf names the owner in the query. */
@Injectable()
export class MediaRepository {
  constructor(private readonly dataSource: DataSource) {}

  insert(
    media: Pick<MediaEntity, 'id' | 'ownerUserId' | 'status' | 'filename' | 'storageKey'> &
      Partial<Pick<MediaEntity, 'ownerInfluencerId' | 'purpose' | 'tags' | 'caption' | 'premiumOnly' | 'policyInfluencerId' | 'uploadExpiresAt' | 'bytes' | 'contentType' | 'durationMs' | 'checksum'>>,
  ): Promise<MediaEntity> {
    return this.dataSource.getRepository(MediaEntity).save({ ...media });
  }

  async findOwned(userId: string, mediaId: string): Promise<MediaEntity | undefined> {
    return (await this.dataSource.getRepository(MediaEntity).findOneBy({ id: mediaId, ownerUserId: userId })) ?? undefined;
  }

  async find(mediaId: string): Promise<MediaEntity | undefined> {
    return (await this.dataSource.getRepository(MediaEntity).findOneBy({ id: mediaId })) ?? undefined;
  }

  /** Keeps what a voice message's audio was transcribed to. */
  async saveTranscript(mediaId: string, transcript: MediaTranscript): Promise<void> {
    await this.dataSource.getRepository(MediaEntity).update({ id: mediaId }, { transcript });
  }

  /** Media still being processed, oldest first. */
  async processingIds(): Promise<string[]> {
    const rows = await this.dataSource.getRepository(MediaEntity).find({ select: { id: true }, where: { status: 'processing' }, order: { createdAt: 'ASC' } });
    return rows.map((row) => row.id);
  }

  /** Ends processing as `ready` or `rejected`; false when it was not processing any more (a job run twice). */
  async finish(
    mediaId: string,
    ending: Partial<Pick<MediaEntity, 'status' | 'contentType' | 'bytes' | 'width' | 'height' | 'checksum' | 'storageKey' | 'thumbnailKey' | 'rejectionCode' | 'rejectionDetail' | 'moderation'>>,
  ): Promise<boolean> {
    const result = await this.dataSource.getRepository(MediaEntity).update({ id: mediaId, status: 'processing' }, ending);
    return Boolean(result.affected);
  }

  /**
   * The policy that judges a media, and whose it is: the persona a user's upload is meant for, or the persona a
   * persona's media belongs to; null for the deployment's default.
   */
  async moderationPolicyOf(mediaId: string): Promise<{ influencerId: string | null; policy: ModerationPolicyRecord | null }> {
    const [row]: Array<{ influencer_id: string | null; policy: ModerationPolicyRecord | null }> = await this.dataSource.query(
      `SELECT i.id AS influencer_id, i.moderation_policy AS policy
       FROM media m LEFT JOIN influencers i ON i.id = coalesce(m.policy_influencer_id, m.owner_influencer_id) WHERE m.id = $1`,
      [mediaId],
    );
    return { influencerId: row?.influencer_id ?? null, policy: row?.policy ?? null };
  }

  /** A persona's moderation policy; null for the deployment's default (or no such persona). */
  async influencerModerationPolicy(influencerId: string): Promise<ModerationPolicyRecord | null> {
    const [row]: Array<{ policy: ModerationPolicyRecord | null }> = await this.dataSource.query(`SELECT moderation_policy AS policy FROM influencers WHERE id = $1`, [influencerId]);
    return row?.policy ?? null;
  }

  /**
   * Media for admins, with who owns it: `take` of them with `status` (and `rejectionCode`, and
   * reviewed or not, when given), most recently changed first, after `after`.
   */
  async listForAdmins(query: { status: MediaStatus; rejectionCode?: string; reviewed?: boolean; take: number; after?: CursorPosition }): Promise<AdminMediaRow[]> {
    const builder = this.adminQuery().where('m.status = :status', { status: query.status }).orderBy('m.updated_at', 'DESC').addOrderBy('m.id', 'DESC').limit(query.take);
    if (query.rejectionCode !== undefined) builder.andWhere('m.rejection_code = :code', { code: query.rejectionCode });
    if (query.reviewed !== undefined) builder.andWhere(`(m.moderation -> 'review' IS NOT NULL) = :reviewed`, { reviewed: query.reviewed });
    if (query.after) builder.andWhere('(m.updated_at, m.id) < (:updatedAt::timestamptz, :afterId::uuid)', { updatedAt: query.after['updatedAt'], afterId: query.after['id'] });
    return adminRows(builder);
  }

  /** One media for admins, with who owns it. */
  async findForAdmins(mediaId: string): Promise<AdminMediaRow | undefined> {
    const [row] = await adminRows(this.adminQuery().where('m.id = :id', { id: mediaId }));
    return row;
  }

  private adminQuery(): SelectQueryBuilder<MediaEntity> {
    // The cursor's time is PostgreSQL's own, to the microsecond: JavaScript's milliseconds would skip rows changed within one.
    const position = `to_char(m.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    return this.dataSource
      .getRepository(MediaEntity)
      .createQueryBuilder('m')
      .leftJoin('users', 'u', 'u.id = m.owner_user_id')
      .leftJoin('influencers', 'i', 'i.id = m.owner_influencer_id')
      .addSelect('u.email', 'owner_email')
      .addSelect('i.handle', 'owner_handle')
      .addSelect(position, 'position');
  }

  /**
   * Records an admin's review of a flagged file: `approved` makes it ready, `rejected` keeps it
   * rejected. False when it is not a flagged rejection (any more: another admin may have approved it).
   */
  async reviewFlagged(mediaId: string, review: NonNullable<MediaModeration['review']>): Promise<boolean> {
    const approved = review.decision === 'approved';
    const result = await this.dataSource
      .createQueryBuilder()
      .update(MediaEntity)
      .set({
        moderation: () => `jsonb_set(coalesce(moderation, '{}'), '{review}', :review::jsonb)`,
        // A confirmation changes nothing else: the file keeps its place in the queue.
        ...(approved ? { status: 'ready' as const, rejectionCode: null, rejectionDetail: null } : { updatedAt: () => 'updated_at' }),
      })
      .where('id = :id AND status = :rejected AND rejection_code = :flagged', { id: mediaId, rejected: 'rejected', flagged: ModerationRejections.flagged })
      .setParameter('review', JSON.stringify(review))
      .execute();
    return Boolean(result.affected);
  }

  /** Deletes the user's media row; answers where its bytes were (for the store), or undefined when there is none. */
  deleteOwned(userId: string, mediaId: string): Promise<MediaKeys | undefined> {
    return this.deleteOne('owner_user_id', userId, mediaId);
  }

  /** Deletes a persona's media row; answers where its bytes were (for the store), or undefined when there is none. */
  deletePersonaMedia(influencerId: string, mediaId: string): Promise<MediaKeys | undefined> {
    return this.deleteOne('owner_influencer_id', influencerId, mediaId);
  }

  private async deleteOne(owner: 'owner_user_id' | 'owner_influencer_id', ownerId: string, mediaId: string): Promise<MediaKeys | undefined> {
    // Through a CTE: TypeORM answers a bare DELETE ... RETURNING with [rows, count].
    const [row]: Array<{ storage_key: string; thumbnail_key: string | null }> = await this.dataSource.query(
      `WITH deleted AS (DELETE FROM media WHERE id = $1 AND ${owner} = $2 RETURNING storage_key, thumbnail_key) SELECT * FROM deleted`,
      [mediaId, ownerId],
    );
    return row && { storageKey: row.storage_key, thumbnailKey: row.thumbnail_key };
  }

  /** The persona's status when it exists (and is not deleted); undefined otherwise. */
  async personaStatus(influencerId: string): Promise<InfluencerStatus | undefined> {
    const [row]: Array<{ status: InfluencerStatus }> = await this.dataSource.query(`SELECT status FROM influencers WHERE id = $1 AND deleted_at IS NULL`, [influencerId]);
    return row?.status;
  }

  /** A media the user may be shown: their own, or a persona's that is ready (whether their plan may see it is the service's rule). */
  async findVisible(userId: string, mediaId: string): Promise<MediaEntity | undefined> {
    const where = [
      { id: mediaId, ownerUserId: userId },
      { id: mediaId, ownerInfluencerId: Not(IsNull()), status: 'ready' as const },
    ];
    return (await this.dataSource.getRepository(MediaEntity).findOne({ where })) ?? undefined;
  }

  /** The persona's ready media, its profile images first, then its gallery, newest first in each; premium-only items only with `premium`. */
  personaMedia(influencerId: string, premium: boolean): Promise<MediaEntity[]> {
    return this.dataSource.getRepository(MediaEntity).find({
      where: { ownerInfluencerId: influencerId, status: 'ready', ...(premium ? {} : { premiumOnly: false }) },
      // `profile` sorts after `gallery`: descending puts the profile images first.
      order: { purpose: 'DESC', createdAt: 'DESC', id: 'DESC' },
    });
  }

  /**
   * A pending direct upload, received: `processing`, with its size. False when it is not pending
   * any more, or `graceSeconds` past its deadline.
   */
  async startProcessing(mediaId: string, bytes: number, graceSeconds: number): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(MediaEntity)
      .set({ status: 'processing', bytes: String(bytes) })
      .where(`id = :id AND status = 'pending' AND upload_expires_at + make_interval(secs => :grace) > now()`, { id: mediaId, grace: graceSeconds })
      .execute();
    return Boolean(result.affected);
  }

  /** Deletes up to `limit` direct uploads still pending `graceSeconds` after their deadline; answers their ids. */
  async deleteExpiredPending(graceSeconds: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `WITH expired AS (
         DELETE FROM media WHERE id IN (
           SELECT id FROM media WHERE status = 'pending' AND upload_expires_at < now() - make_interval(secs => $1)
            ORDER BY upload_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id)
       SELECT id FROM expired`,
      [graceSeconds, limit],
    );
    return rows.map((row) => row.id);
  }

  /** The user's media among `ids`, and which of them are already on a message. */
  async attachmentCandidates(userId: string, ids: readonly string[]): Promise<{ media: MediaEntity[]; attached: Set<string> }> {
    const media = await this.dataSource.getRepository(MediaEntity).findBy({ id: In([...ids]), ownerUserId: userId });
    const attachments = await this.dataSource.getRepository(MessageAttachmentEntity).find({ select: { mediaId: true }, where: { mediaId: In([...ids]), source: 'user' } });
    return { media, attached: new Set(attachments.map((attachment) => attachment.mediaId)) };
  }

  /** The attachments of these messages with their media, in message and position order. */
  attachmentsOf(messageIds: readonly string[]): Promise<MessageAttachmentEntity[]> {
    return this.dataSource.getRepository(MessageAttachmentEntity).find({
      where: { messageId: In([...messageIds]) },
      relations: { media: true },
      order: { messageId: 'ASC', position: 'ASC' },
    });
  }

  /** How many ready gallery items the persona has, and their tags. */
  async gallerySummary(influencerId: string): Promise<{ items: number; tags: string[] }> {
    const [row]: Array<{ items: string; tags: string[] | null }> = await this.dataSource.query(
      `SELECT count(*) AS items, (SELECT array_agg(DISTINCT tag ORDER BY tag) FROM media m, jsonb_array_elements_text(m.tags) AS tag
         WHERE m.owner_influencer_id = $1 AND m.purpose = 'gallery' AND m.status = 'ready') AS tags
       FROM media WHERE owner_influencer_id = $1 AND purpose = 'gallery' AND status = 'ready'`,
      [influencerId],
    );
    return { items: Number(row?.items ?? 0), tags: row?.tags ?? [] };
  }

  /** A ready gallery item of the persona, one tagged `tag` when there is one, at random among equals. */
  async pickGalleryItem(influencerId: string, tag: string | undefined, premium: boolean, exclude: readonly string[]): Promise<MediaEntity | undefined> {
    const [row]: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM media
       WHERE owner_influencer_id = $1 AND purpose = 'gallery' AND status = 'ready' AND ($2 OR NOT premium_only) AND NOT (id = ANY($3::uuid[]))
       ORDER BY (tags ? coalesce($4, '')) DESC, random() LIMIT 1`,
      [influencerId, premium, exclude, tag ?? null],
    );
    return row ? this.find(row.id) : undefined;
  }
}
