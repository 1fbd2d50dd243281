import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Logger } from '@nestjs/common';
import type { MediaConfig } from '#chorus/core';
import { assertMediaKey } from './media-key.js';
import { MediaObjectMissing, MediaStore, assertRange, type PresignedUpload, type PresignedUploadPolicy } from './media-store.js';

/** Where the bucket is and how to reach it: the `media.s3` configuration (S3_* variables). */
export type S3MediaStoreConfig = MediaConfig['s3'];

/**
 * What a circuit breaker offers, as `CircuitBreaker` in libs/providers/src/resilience.ts has it
 * (declared here so that media does not depend on providers): each call that `tryAcquire`
 * lets through ends with `success`, `failure` or `release`.
 */
export interface StoreBreaker {
  tryAcquire(): boolean;
  success(): void;
  failure(): void;
  release(): void;
}

export interface S3MediaStoreOptions {
  /** Bound on each control call (head, delete, creating a multipart upload, waiting for a download to start). */
  readonly callTimeoutMs?: number;
  /** How long an upload or a download may go without moving a byte before it is abandoned. */
  readonly idleTimeoutMs?: number;
  /** How long a TCP connection may take to open. */
  readonly connectTimeoutMs?: number;
  /** Bytes per multipart part, at least 5 MiB (S3's minimum); bodies no larger go up in one PutObject. */
  readonly partSize?: number;
  /** When given, an unreachable store fails calls at once while it is open. */
  readonly breaker?: StoreBreaker;
}

const MIB = 1024 * 1024;
/** S3 refuses smaller parts (except the last). */
export const S3_MIN_PART_SIZE = 5 * MIB;
const MAX_PARTS = 10_000;
/** S3's longest presigned URL lifetime (SigV4: one week). */
const MAX_URL_TTL_SECONDS = 604_800;
/** What ping reads: a key no media is ever stored under. */
const PING_KEY = 'chorus-readiness-probe';

const DEFAULTS = {
  callTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  partSize: 8 * MIB,
} as const;

/** An S3 call got no answer in time. */
class S3Timeout extends Error {
  constructor(operation: string, timeoutMs: number, cause: unknown) {
    super(`S3 ${operation} got no answer within ${timeoutMs} ms`, { cause });
    this.name = 'TimeoutError';
  }
}

/**
 * Media in an S3-compatible bucket. Presigned URLs and forms name the public endpoint when one is
 * configured (the one clients reach, e.g. MinIO's published port), and are signed for it. An upload is streamed in parts of `partSize` bytes, at most
 * two in memory (one being sent while the next is read): a body that fits in one part is sent
 * with PutObject, a larger one as a multipart upload, which is aborted when anything fails so that
 * nothing is left under the key (an aborted upload's parts are never visible as an object).
 *
 * Control calls are bounded by `callTimeoutMs`; transfers (parts, downloads, completing an upload,
 * which S3 may keep alive for long) by `idleTimeoutMs` of silence on the socket, so a large file on
 * a slow link is not cut off while a dead connection still is. The SDK retries what it deems
 * retryable inside those bounds.
 */
export class S3MediaStore extends MediaStore {
  readonly kind = 's3' as const;
  private readonly logger = new Logger('MediaStore');
  private readonly client: S3Client;
  /** Signs what clients use (presigned URLs and forms): for the public endpoint when there is one, which SigV4 signs with the host. */
  private readonly signer: S3Client;
  private readonly bucket: string;
  private readonly callTimeoutMs: number;
  private readonly partSize: number;
  private readonly breaker?: StoreBreaker;

  constructor(config: S3MediaStoreConfig, options: S3MediaStoreOptions = {}) {
    super();
    const settings = {
      callTimeoutMs: options.callTimeoutMs ?? DEFAULTS.callTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      partSize: options.partSize ?? DEFAULTS.partSize,
    };
    if (!Number.isInteger(settings.partSize) || settings.partSize < S3_MIN_PART_SIZE) {
      throw new RangeError(`partSize must be an integer of at least ${S3_MIN_PART_SIZE} bytes`);
    }
    if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) {
      throw new Error('accessKeyId and secretAccessKey must be given together');
    }
    this.bucket = config.bucket;
    this.callTimeoutMs = settings.callTimeoutMs;
    this.partSize = settings.partSize;
    this.breaker = options.breaker;
    const clientConfig: S3ClientConfig = {
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials:
        config.accessKeyId !== undefined && config.secretAccessKey !== undefined
          ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
          : undefined,
      requestHandler: { connectionTimeout: settings.connectTimeoutMs, socketTimeout: settings.idleTimeoutMs },
      // Since 3.729 the SDK adds CRC32 checksum headers by default, which several S3-compatible
      // servers (R2, B2, older MinIO...) refuse. Integrity comes from the Content-MD5 sent with
      // every body instead, which S3 and the usual compatible servers verify.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    this.client = new S3Client({ ...clientConfig, endpoint: config.endpoint });
    this.signer = config.publicEndpoint ? new S3Client({ ...clientConfig, endpoint: config.publicEndpoint }) : this.client;
  }

  async put(key: string, body: Readable, contentType: string): Promise<void> {
    assertMediaKey(key);
    // Errors of the body are the caller's, not the store's: they do not count against the breaker.
    const bodyErrors = new WeakSet<object>();
    const parts = partsOf(body, this.partSize, bodyErrors)[Symbol.asyncIterator]();
    const nextPart = async (): Promise<Buffer | undefined> => (await parts.next()).value ?? undefined;
    try {
      await this.guard(
        async () => {
          const first = await nextPart();
          const second = first?.length === this.partSize ? await nextPart() : undefined;
          if (first === undefined || second === undefined) {
            await this.putWhole(key, first ?? Buffer.alloc(0), contentType);
          } else {
            await this.putInParts(key, contentType, body, first, second, nextPart);
          }
        },
        (error) => isObject(error) && bodyErrors.has(error),
      );
    } catch (error) {
      body.destroy();
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    assertMediaKey(key);
    try {
      // Bounded until the response starts; from there on, by the socket's idle timeout.
      const output = await this.guard(() =>
        this.bounded('GetObject', (abortSignal) => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal })),
      );
      if (!(output.Body instanceof Readable)) throw new Error('S3 GetObject returned no Node.js stream');
      return output.Body;
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') throw new MediaObjectMissing(key);
      throw error;
    }
  }

  async size(key: string): Promise<number | undefined> {
    assertMediaKey(key);
    return this.guard(async () => {
      try {
        const output = await this.bounded('HeadObject', (abortSignal) =>
          this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }),
        );
        return output.ContentLength ?? 0;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  /** A ranged GetObject; a range starting past the end (S3's 416, e.g. of an empty object) has no bytes. */
  async getRange(key: string, start: number, length: number): Promise<Buffer> {
    assertMediaKey(key);
    assertRange(start, length);
    // `bytes=0--1` is no range: asking for nothing reads nothing.
    if (length === 0) return Buffer.alloc(0);
    try {
      return await this.guard(() =>
        this.bounded('GetObject', async (abortSignal) => {
          const range = new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${start + length - 1}` });
          const output = await this.client.send(range, { abortSignal });
          if (!output.Body) throw new Error('S3 GetObject returned no body');
          return Buffer.from(await output.Body.transformToByteArray());
        }),
      );
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') throw new MediaObjectMissing(key);
      if (statusOf(error) === 416) return Buffer.alloc(0);
      throw error;
    }
  }

  /** S3 answers a delete of a missing key with success, as the contract wants. */
  async delete(key: string): Promise<void> {
    assertMediaKey(key);
    await this.guard(() =>
      this.bounded('DeleteObject', (abortSignal) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal })),
    );
  }

  /** A presigned GET; signing is local, but resolving credentials from the default chain may not be. */
  async signedUrl(key: string, ttlSeconds: number): Promise<string> {
    assertMediaKey(key);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_URL_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be an integer from 1 to ${MAX_URL_TTL_SECONDS}`);
    }
    const signing = getSignedUrl(this.signer, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: ttlSeconds });
    return withDeadline(signing, this.callTimeoutMs, 'presigning');
  }

  /**
   * A presigned POST whose policy allows one object under `key`, of `contentType` exactly and of 1
   * to `maxBytes` bytes, until `expiresSeconds` from now. Signed locally, like a presigned URL.
   */
  async presignedPost(key: string, { contentType, maxBytes, expiresSeconds }: PresignedUploadPolicy): Promise<PresignedUpload> {
    assertMediaKey(key);
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_URL_TTL_SECONDS) {
      throw new RangeError(`expiresSeconds must be an integer from 1 to ${MAX_URL_TTL_SECONDS}`);
    }
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError('maxBytes must be a positive integer');
    // The fields given become exact-match conditions of the policy; the key is one without asking.
    const signing = createPresignedPost(this.signer, {
      Bucket: this.bucket,
      Key: key,
      Conditions: [['content-length-range', 1, maxBytes]],
      Fields: { 'Content-Type': contentType },
      Expires: expiresSeconds,
    });
    return withDeadline(signing, this.callTimeoutMs, 'presigning');
  }

  /**
   * Reads a key that is not expected to exist: "no such key" (or the object, left unread) means
   * the bucket exists, the credentials are accepted and objects can be read. (HeadBucket would do, but
   * s3rver, the fake S3 the tests use, miscomputes the signature of bucket-level requests.)
   */
  async ping(): Promise<void> {
    try {
      await this.guard(() =>
        this.bounded('GetObject', async (abortSignal) => {
          try {
            const probe = new GetObjectCommand({ Bucket: this.bucket, Key: PING_KEY });
            const output = await this.client.send(probe, { abortSignal });
            if (output.Body instanceof Readable) output.Body.destroy();
          } catch (error) {
            if (errorName(error) !== 'NoSuchKey') throw error;
          }
        }),
      );
    } catch (error) {
      throw new Error(`S3 bucket ${JSON.stringify(this.bucket)} is not usable: ${describe(error)}`, { cause: error });
    }
  }

  /** Closes the clients' connections (on shutdown). */
  destroy(): void {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }

  private async putWhole(key: string, data: Buffer, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: data,
        ContentLength: data.length,
        ContentMD5: md5(data),
        ContentType: contentType,
      }),
    );
  }

  /**
   * Uploads the parts one at a time while the next one is read from the body. Any failure aborts
   * the upload (best effort: a bucket should also have a lifecycle rule expiring incomplete ones).
   */
  private async putInParts(
    key: string,
    contentType: string,
    body: Readable,
    first: Buffer,
    second: Buffer,
    nextPart: () => Promise<Buffer | undefined>,
  ): Promise<void> {
    const created = await this.bounded('CreateMultipartUpload', (abortSignal) =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }), { abortSignal }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('S3 CreateMultipartUpload returned no upload id');
    try {
      const completed: CompletedPart[] = [];
      let part: Buffer | undefined = first;
      let following: Promise<Buffer | undefined> = Promise.resolve(second);
      while (part !== undefined) {
        const partNumber = completed.length + 1;
        if (partNumber > MAX_PARTS) throw new Error(`The upload is larger than ${MAX_PARTS} parts of ${this.partSize} bytes`);
        const uploading: Promise<string> = this.uploadPart(key, uploadId, partNumber, part).catch((error: unknown) => {
          // Stop reading: the body is not waited for once the upload has failed.
          body.destroy();
          throw error;
        });
        // Wait for both, so that no part is still in flight when the upload is aborted.
        const [uploaded, read]: [PromiseSettledResult<string>, PromiseSettledResult<Buffer | undefined>] = await Promise.allSettled([uploading, following]);
        if (uploaded.status === 'rejected') throw uploaded.reason;
        if (read.status === 'rejected') throw read.reason;
        completed.push({ PartNumber: partNumber, ETag: uploaded.value });
        part = read.value;
        following = part === undefined ? Promise.resolve(undefined) : nextPart();
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed } }),
      );
    } catch (error) {
      await this.abortUpload(key, uploadId);
      throw error;
    }
  }

  private async uploadPart(key: string, uploadId: string, partNumber: number, data: Buffer): Promise<string> {
    const output = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: data,
        ContentLength: data.length,
        ContentMD5: md5(data),
      }),
    );
    if (!output.ETag) throw new Error(`S3 UploadPart returned no ETag for part ${partNumber}`);
    return output.ETag;
  }

  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.bounded('AbortMultipartUpload', (abortSignal) =>
        this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), { abortSignal }),
      );
    } catch (error) {
      this.logger.warn(
        `Could not abort the multipart upload ${uploadId} of ${key}: its parts stay until the bucket's lifecycle rule expires them (${describe(error)})`,
      );
    }
  }

  /** Runs one S3 call, abandoned (and its request aborted) when it has no answer within the call timeout. */
  private async bounded<T>(operation: string, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.callTimeoutMs);
    try {
      return await call(controller.signal);
    } catch (error) {
      if (controller.signal.aborted) throw new S3Timeout(operation, this.callTimeoutMs, error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs `work` under the breaker, if any: an outage (no answer, a timeout, a 5xx) counts against
   * it, any other answer (a 404 included) for it, and an error `isCallers` recognises as neither.
   */
  private async guard<T>(work: () => Promise<T>, isCallers: (error: unknown) => boolean = () => false): Promise<T> {
    const breaker = this.breaker;
    if (breaker && !breaker.tryAcquire()) {
      throw new Error('The S3 media store is unavailable: its circuit is open after repeated failures');
    }
    try {
      const result = await work();
      breaker?.success();
      return result;
    } catch (error) {
      if (isCallers(error)) breaker?.release();
      else if (isOutage(error)) breaker?.failure();
      else breaker?.success();
      throw error;
    }
  }
}

/**
 * The body cut into buffers of exactly `partSize` bytes, the last one shorter (none for an empty
 * body). Errors of the body are recorded in `bodyErrors` before they are rethrown.
 */
async function* partsOf(body: Readable, partSize: number, bodyErrors: WeakSet<object>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    for await (const chunk of body) {
      let data = toBuffer(chunk);
      while (pendingBytes + data.length >= partSize) {
        const taken = partSize - pendingBytes;
        pending.push(data.subarray(0, taken));
        yield Buffer.concat(pending, partSize);
        pending = [];
        pendingBytes = 0;
        data = data.subarray(taken);
      }
      if (data.length > 0) {
        pending.push(data);
        pendingBytes += data.length;
      }
    }
  } catch (error) {
    if (isObject(error)) bodyErrors.add(error);
    throw error;
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('A media body must yield bytes');
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

/** Rejects when `promise` has not settled within `ms`; the work itself is left to finish. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`S3 ${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function statusOf(error: unknown): number | undefined {
  return isObject(error) ? (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode : undefined;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** No answer at all (connection refused, a timeout) or a server-side failure. */
function isOutage(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status >= 500;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = statusOf(error);
  // A HEAD answer has no body, so its error has only a name ("NotFound", "Forbidden") and the status.
  const parts = [error.name];
  if (status !== undefined) parts.push(`HTTP ${status}`);
  if (error.message && error.message !== error.name && error.message !== 'UnknownError') parts.push(error.message);
  return parts.join(': ');
}
