import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SpeechClipEntity } from './speech-clip.entity.js';

/** Speech already synthesised, by the hash of what made it. */
@Injectable()
export class SpeechClipsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The clip made by `key`, marked used now (the expiry job keeps clips in use). */
  async use(key: string): Promise<SpeechClipEntity | undefined> {
    // A SELECT around the UPDATE: plain rows, whatever the driver makes of an UPDATE's own result.
    const rows: SpeechClipEntity[] = await this.dataSource.query(
      `WITH used AS (UPDATE speech_clips SET used_at = now() WHERE key = $1 RETURNING key, storage_key, content_type, bytes, characters, provider)
       SELECT key, storage_key AS "storageKey", content_type AS "contentType", bytes, characters, provider FROM used`,
      [key],
    );
    return rows[0];
  }

  /** Records a clip; false when another request recorded the same one first (its object is then this one's twin). */
  async insert(clip: Pick<SpeechClipEntity, 'key' | 'storageKey' | 'contentType' | 'bytes' | 'characters' | 'provider'>): Promise<boolean> {
    const inserted = await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(SpeechClipEntity)
      .values(clip)
      .orIgnore()
      .returning('key')
      .execute();
    return inserted.raw.length > 0;
  }

  /** Forgets a clip whose object is gone. */
  async forget(key: string): Promise<void> {
    await this.dataSource.getRepository(SpeechClipEntity).delete({ key });
  }
}
