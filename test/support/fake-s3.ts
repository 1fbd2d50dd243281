import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3MediaStoreConfig } from '../../libs/media/src/storage/index.js';

/**
 * A fake S3 for tests: @20minutes/s3rver, which checks SigV4 signatures (headers and presigned URLs).
 * It takes browser-form POST uploads (the `key` field, then the `file` part) but checks neither their
 * policy nor its signature: size, type, key and expiry are not enforced, so the API's own checks at
 * `complete` are what tests of direct uploads exercise.
 */
interface S3rverOptions {
  readonly address: string;
  readonly port: number;
  readonly directory: string;
  readonly silent: boolean;
  readonly vhostBuckets: boolean;
  readonly allowMismatchedSignatures: boolean;
  readonly configureBuckets: readonly { readonly name: string }[];
}
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// A CommonJS package without type declarations: loaded with require, typed by what is used here.
const S3rver = createRequire(import.meta.url)('@20minutes/s3rver') as new (options: S3rverOptions) => S3rverServer;

/** The key pair s3rver knows (its built-in account). */
export const S3RVER_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const BUCKET = 'chorus-media';

export interface FakeS3 {
  readonly config: S3MediaStoreConfig;
  /** Where s3rver keeps the bucket's objects. */
  readonly directory: string;
  stop(): Promise<void>;
}

export async function startFakeS3(): Promise<FakeS3> {
  const directory = await mkdtemp(join(tmpdir(), 'chorus-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    vhostBuckets: false,
    allowMismatchedSignatures: false,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  let stopped = false;
  return {
    directory,
    config: { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', bucket: BUCKET, forcePathStyle: true, ...S3RVER_KEY },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

