import type { AppConfig } from '#chorus/core';
import { LocalMediaStore, S3MediaStore, type MediaStore } from './storage/index.js';

/** The store MEDIA_STORE names: the local directory by default, or the S3-compatible bucket. */
export function createMediaStore({ media }: AppConfig): MediaStore {
  return media.store === 's3' ? new S3MediaStore(media.s3) : new LocalMediaStore(media.dir);
}
