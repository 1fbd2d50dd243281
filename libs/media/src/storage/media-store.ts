import type { Readable } from 'node:stream';

/** What a client needs to upload a file straight to the store: an HTML-form POST. */
export interface PresignedUpload {
  /** Where to POST the `multipart/form-data` form. */
  readonly url: string;
  /** The form's fields, sent as they are and before the file (in a part named `file`). */
  readonly fields: Readonly<Record<string, string>>;
}

/** What the signed policy of a presigned POST allows. */
export interface PresignedUploadPolicy {
  /** The object's Content-Type, exactly. */
  readonly contentType: string;
  /** The most bytes the file may have (at least 1). */
  readonly maxBytes: number;
  /** How long the form may be used. */
  readonly expiresSeconds: number;
}

/**
 * Where media bytes live, behind one interface: a local directory (the embedded default) or
 * any S3-compatible bucket. Keys are chosen by the media service (never by a client), e.g.
 * `users/<userId>/<mediaId>/original`.
 */
export abstract class MediaStore {
  /** `local` or `s3`, as readiness and logs name it. */
  abstract readonly kind: 'local' | 's3';

  /**
   * Writes `body` under `key`, streaming (the whole object is never held in memory). When the
   * body errors or the write fails, nothing is left under `key` and the promise rejects.
   */
  abstract put(key: string, body: Readable, contentType: string): Promise<void>;

  /** The object's bytes as a stream; rejects with MediaObjectMissing when there is none. */
  abstract get(key: string): Promise<Readable>;

  /** The object's size, or undefined when there is none. */
  abstract size(key: string): Promise<number | undefined>;

  /**
   * Up to `length` bytes of the object from byte `start` (fewer when it ends before), without
   * reading the rest; rejects with MediaObjectMissing when there is none.
   */
  abstract getRange(key: string, start: number, length: number): Promise<Buffer>;

  /** Deletes the object; deleting one that is not there is not an error. */
  abstract delete(key: string): Promise<void>;

  /**
   * A URL a client can GET the object from for `ttlSeconds` without credentials (an S3
   * presigned GET), or undefined when the store cannot make one (the local directory: the API
   * serves those itself, under an HMAC-signed URL).
   */
  abstract signedUrl(key: string, ttlSeconds: number): Promise<string | undefined>;

  /**
   * A form a client can POST one file with straight into the store under `key` (an S3 presigned
   * POST, whose signed policy names the key, the content type and the size range), or undefined
   * when the store cannot take one (the local directory: uploads go through the API).
   */
  abstract presignedPost(key: string, policy: PresignedUploadPolicy): Promise<PresignedUpload | undefined>;

  /** Resolves when the store answers (readiness); rejects with why it does not. */
  abstract ping(): Promise<void>;
}

/** Throws unless `start` and `length` name a range of bytes. */
export function assertRange(start: number, length: number): void {
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`Invalid byte range: start ${start}, length ${length}`);
  }
}

/** The object asked for is not in the store. */
export class MediaObjectMissing extends Error {
  constructor(key: string) {
    super(`No media object under ${key}`);
    this.name = 'MediaObjectMissing';
  }
}
