import type { Readable } from 'node:stream';

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

  /** Deletes the object; deleting one that is not there is not an error. */
  abstract delete(key: string): Promise<void>;

  /**
   * A URL a client can GET the object from for `ttlSeconds` without credentials (an S3
   * presigned GET), or undefined when the store cannot make one (the local directory: the API
   * serves those itself, under an HMAC-signed URL).
   */
  abstract signedUrl(key: string, ttlSeconds: number): Promise<string | undefined>;

  /** Resolves when the store answers (readiness); rejects with why it does not. */
  abstract ping(): Promise<void>;
}

/** The object asked for is not in the store. */
export class MediaObjectMissing extends Error {
  constructor(key: string) {
    super(`No media object under ${key}`);
    this.name = 'MediaObjectMissing';
  }
}
