import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The queue of store objects whose media record is gone (filled by the `media_queue_garbage` trigger). */
@Injectable()
export class MediaGarbageRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Up to `limit` keys due for deletion, oldest first. */
  async due(limit: number): Promise<string[]> {
    const rows: Array<{ storage_key: string }> = await this.dataSource.query(
      `SELECT storage_key FROM media_garbage WHERE due_at <= now() ORDER BY due_at LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.storage_key);
  }

  /** Keys whose objects are deleted leave the queue. */
  async forget(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.dataSource.query(`DELETE FROM media_garbage WHERE storage_key = ANY($1::text[])`, [keys]);
  }

  /** A key whose deletion failed is tried again later, each time later (up to an hour). */
  async postpone(key: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE media_garbage SET attempts = attempts + 1, due_at = now() + least(interval '1 hour', interval '30 seconds' * power(2, attempts)) WHERE storage_key = $1`,
      [key],
    );
  }
}
