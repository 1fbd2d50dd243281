import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MediaEntity } from './media.entity.js';

/** Media rows; every read on a user's behalf names the owner in the query. */
@Injectable()
export class MediaRepository {
  constructor(private readonly dataSource: DataSource) {}

  insert(media: Pick<MediaEntity, 'id' | 'ownerUserId' | 'status' | 'filename' | 'storageKey'>): Promise<MediaEntity> {
    return this.dataSource.getRepository(MediaEntity).save({ ...media });
  }

  async findOwned(userId: string, mediaId: string): Promise<MediaEntity | undefined> {
    return (await this.dataSource.getRepository(MediaEntity).findOneBy({ id: mediaId, ownerUserId: userId })) ?? undefined;
  }

  async find(mediaId: string): Promise<MediaEntity | undefined> {
    return (await this.dataSource.getRepository(MediaEntity).findOneBy({ id: mediaId })) ?? undefined;
  }

  /** Media still being processed, oldest first. */
  async processingIds(): Promise<string[]> {
    const rows = await this.dataSource.getRepository(MediaEntity).find({ select: { id: true }, where: { status: 'processing' }, order: { createdAt: 'ASC' } });
    return rows.map((row) => row.id);
  }

  /** Ends processing as `ready` or `rejected`; false when it was not processing any more (a job run twice). */
  async finish(mediaId: string, ending: Partial<Pick<MediaEntity, 'status' | 'contentType' | 'bytes' | 'width' | 'height' | 'checksum' | 'storageKey' | 'thumbnailKey' | 'rejectionCode' | 'rejectionDetail'>>): Promise<boolean> {
    const result = await this.dataSource.getRepository(MediaEntity).update({ id: mediaId, status: 'processing' }, ending);
    return Boolean(result.affected);
  }

  /** Deletes the user's media row; answers where its bytes were (for the store), or undefined when there is none. */
  async deleteOwned(userId: string, mediaId: string): Promise<{ storageKey: string; thumbnailKey: string | null } | undefined> {
    const [row]: Array<{ storage_key: string; thumbnail_key: string | null }> = await this.dataSource.query(
      `WITH deleted AS (DELETE FROM media WHERE id = $1 AND owner_user_id = $2 RETURNING storage_key, thumbnail_key) SELECT * FROM deleted`,
      [mediaId, userId],
    );
    return row && { storageKey: row.storage_key, thumbnailKey: row.thumbnail_key };
  }
}
