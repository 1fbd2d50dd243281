export { assertMediaKey } from './media-key.js';
export { MediaObjectMissing, MediaStore, type PresignedUpload, type PresignedUploadPolicy } from './media-store.js';
export { LocalMediaStore } from './local-media-store.js';
export { S3MediaStore, S3_MIN_PART_SIZE, type S3MediaStoreConfig, type S3MediaStoreOptions, type StoreBreaker } from './s3-media-store.js';
