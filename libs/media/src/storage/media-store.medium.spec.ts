import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { CircuitBreaker } from '../../../providers/src/resilience.js';
import { LocalMediaStore } from './local-media-store.js';
import { MediaObjectMissing, type MediaStore } from './media-store.js';
import { startFakeS3, type FakeS3 } from '../../../../test/support/fake-s3.js';
import { S3MediaStore, S3_MIN_PART_SIZE, type S3MediaStoreConfig, type S3MediaStoreOptions } from './s3-media-store.js';
import { CapturedLogger } from '../../../../test/support/captured-logger.js';

const logged = new CapturedLogger();
Logger.overrideLogger(logged);

// ---------------------------------------------------------------------------------------------
// A fake S3: @20minutes/s3rver, which checks SigV4 signatures (headers and presigned URLs).

/** A TCP server that accepts connections and never answers: a hung S3. */
async function startBlackHole(): Promise<{ readonly port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Bodies: generated chunk by chunk (never one big buffer), hashed as they go.

const MIB = 1024 * 1024;
/** An odd chunk size, so that chunks straddle the part boundaries. */
const CHUNK = 64 * 1024 + 7;

interface GeneratedBody {
  readonly body: Readable;
  /** The SHA-256 of what was sent so far (all of it once the body has ended). */
  sha256(): string;
}

/** `totalBytes` random bytes; with `failAt`, the stream errors after that many; with `cutAt`, it is destroyed without an error. */
function generatedBody(totalBytes: number, options: { failAt?: number; cutAt?: number } = {}): GeneratedBody {
  const hash = createHash('sha256');
  let sent = 0;
  const body = new Readable({
    read() {
      if (options.failAt !== undefined && sent >= options.failAt) return this.destroy(new Error('The client went away'));
      if (options.cutAt !== undefined && sent >= options.cutAt) return this.destroy();
      if (sent >= totalBytes) return this.push(null);
      const chunk = randomBytes(Math.min(CHUNK, totalBytes - sent));
      hash.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  return { body, sha256: () => hash.copy().digest('hex') };
}

async function digestOf(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function textOf(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const newKey = (name = 'original') => `users/${randomUUID()}/${randomUUID()}/${name}`;

// ---------------------------------------------------------------------------------------------
// One behaviour, two stores.

interface StoreUnderTest {
  readonly sut: MediaStore;
  stop(): Promise<void>;
}

const STORES: readonly { readonly kind: 'local' | 's3'; readonly open: () => Promise<StoreUnderTest> }[] = [
  {
    kind: 'local',
    async open() {
      const directory = await mkdtemp(join(tmpdir(), 'chorus-media-'));
      return {
        sut: new LocalMediaStore(join(directory, 'media')),
        stop: () => rm(directory, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: 's3',
    async open() {
      const s3 = await startFakeS3();
      // The smallest part size S3 allows, so that a few MiB make a multipart upload.
      const sut = new S3MediaStore(s3.config, { partSize: S3_MIN_PART_SIZE });
      return {
        sut,
        async stop() {
          sut.destroy();
          await s3.stop();
        },
      };
    },
  },
];

describe.each(STORES)('MediaStore ($kind)', ({ open }) => {
  let store: StoreUnderTest;
  let sut: MediaStore;

  beforeAll(async () => {
    store = await open();
    sut = store.sut;
  });
  afterAll(() => store.stop());

  it('answers ping', async () => {
    await expect(sut.ping()).resolves.toBeUndefined();
  });

  it('streams a multi-MiB body in and gives the same bytes back, with its size', async () => {
    const key = newKey();
    const totalBytes = 12 * MIB + 123; // three parts of 5 MiB on S3, the last one short
    const generated = generatedBody(totalBytes);

    await sut.put(key, generated.body, 'video/mp4');

    expect(await sut.size(key)).toBe(totalBytes);
    expect(await digestOf(await sut.get(key))).toEqual({ bytes: totalBytes, sha256: generated.sha256() });
  });

  it('keeps a body of exactly one part whole', async () => {
    const key = newKey();
    const generated = generatedBody(S3_MIN_PART_SIZE);

    await sut.put(key, generated.body, 'application/octet-stream');

    expect(await digestOf(await sut.get(key))).toEqual({ bytes: S3_MIN_PART_SIZE, sha256: generated.sha256() });
  });

  it('keeps small and empty objects, and a put replaces what was under the key', async () => {
    const key = newKey();
    await sut.put(key, Readable.from([Buffer.from('first version')]), 'text/plain');
    await sut.put(key, Readable.from([Buffer.from('hello')]), 'text/plain');
    expect(await textOf(await sut.get(key))).toBe('hello');
    expect(await sut.size(key)).toBe(5);

    const empty = newKey();
    await sut.put(empty, Readable.from([]), 'text/plain');
    expect(await sut.size(empty)).toBe(0);
    expect(await textOf(await sut.get(empty))).toBe('');
  });

  it('accepts keys with spaces and non-ASCII characters', async () => {
    const key = `users/${randomUUID()}/Zoë's photo (1)/été+été.jpg`;
    await sut.put(key, Readable.from([Buffer.from('bytes')]), 'image/jpeg');
    expect(await textOf(await sut.get(key))).toBe('bytes');
    await sut.delete(key);
    expect(await sut.size(key)).toBeUndefined();
  });

  it('rejects a get of a missing key with MediaObjectMissing, and has no size for it', async () => {
    const key = newKey();
    await expect(sut.get(key)).rejects.toBeInstanceOf(MediaObjectMissing);
    expect(await sut.size(key)).toBeUndefined();
  });

  it('deletes an object; deleting a missing one is fine', async () => {
    const key = newKey();
    await sut.put(key, Readable.from([Buffer.from('bye')]), 'text/plain');

    await sut.delete(key);

    expect(await sut.size(key)).toBeUndefined();
    await expect(sut.get(key)).rejects.toBeInstanceOf(MediaObjectMissing);
    await expect(sut.delete(key)).resolves.toBeUndefined();
    await expect(sut.delete(newKey())).resolves.toBeUndefined();
  });

  it.each([
    ['a large body (in the middle of a multipart upload on S3)', 16 * MIB, 12 * MIB],
    ['a small body', 64 * 1024, 1024],
  ])('rejects the put of %s that errors midway, and leaves nothing', async (_what, totalBytes, failAt) => {
    const key = newKey();
    const { body } = generatedBody(totalBytes, { failAt });

    await expect(sut.put(key, body, 'video/mp4')).rejects.toThrow('The client went away');

    expect(await sut.size(key)).toBeUndefined();
    await expect(sut.get(key)).rejects.toBeInstanceOf(MediaObjectMissing);
  });

  it('rejects the put of a body cut off without an error (an aborted request), and leaves nothing', async () => {
    const key = newKey();
    const { body } = generatedBody(16 * MIB, { cutAt: 12 * MIB });

    await expect(sut.put(key, body, 'video/mp4')).rejects.toThrow();

    expect(await sut.size(key)).toBeUndefined();
  });

  it('leaves the previous object in place when a put replacing it fails', async () => {
    const key = newKey();
    await sut.put(key, Readable.from([Buffer.from('kept')]), 'text/plain');
    const { body } = generatedBody(16 * MIB, { failAt: 12 * MIB });

    await expect(sut.put(key, body, 'text/plain')).rejects.toThrow('The client went away');

    expect(await textOf(await sut.get(key))).toBe('kept');
  });

  it.each([['../escape'], ['users/../../escape'], ['/etc/passwd'], ['users/a\0b'], ['users//a'], ['users/a/'], ['users/./a'], ['users\\..\\a'], ['']])(
    'refuses the key %j in every operation',
    async (key) => {
      const body = Readable.from([Buffer.from('x')]);
      await expect(sut.put(key, body, 'text/plain')).rejects.toThrow('Invalid media key');
      await expect(sut.get(key)).rejects.toThrow('Invalid media key');
      await expect(sut.size(key)).rejects.toThrow('Invalid media key');
      await expect(sut.delete(key)).rejects.toThrow('Invalid media key');
      await expect(sut.signedUrl(key, 60)).rejects.toThrow('Invalid media key');
      await expect(sut.getRange(key, 0, 10)).rejects.toThrow('Invalid media key');
      await expect(sut.presignedPost(key, { contentType: 'image/png', maxBytes: 10, expiresSeconds: 60 })).rejects.toThrow('Invalid media key');
    },
  );

  it('reads a range of an object without the rest: its first bytes, a range running past its end, nothing past it', async () => {
    const key = newKey();
    await sut.put(key, Readable.from([Buffer.from('hello '), Buffer.from('world')]), 'text/plain');

    expect((await sut.getRange(key, 0, 5)).toString()).toBe('hello');
    expect((await sut.getRange(key, 6, 100)).toString()).toBe('world');
    expect(await sut.getRange(key, 50, 10)).toEqual(Buffer.alloc(0));
    expect(await sut.getRange(key, 0, 0)).toEqual(Buffer.alloc(0));
  });

  it('rejects a range of a missing key with MediaObjectMissing, and a range that is none', async () => {
    await expect(sut.getRange(newKey(), 0, 10)).rejects.toBeInstanceOf(MediaObjectMissing);
    await expect(sut.getRange(newKey(), -1, 10)).rejects.toThrow(RangeError);
    await expect(sut.getRange(newKey(), 0, 1.5)).rejects.toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------

describe('LocalMediaStore', () => {
  let directory: string;
  let root: string;
  let sut: LocalMediaStore;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'chorus-media-'));
    root = join(directory, 'media');
    sut = new LocalMediaStore(root);
  });
  afterEach(async () => {
    await chmod(directory, 0o700).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps an object as a file under its key, with no temporary file left beside it', async () => {
    await sut.put('users/u1/m1/original', Readable.from([Buffer.from('bytes')]), 'image/png');

    expect(await readdir(join(root, 'users/u1/m1'))).toEqual(['original']);
  });

  it('leaves no temporary file when a put fails', async () => {
    await sut.put('users/u1/m1/thumbnail', Readable.from([Buffer.from('other')]), 'image/png');
    const { body } = generatedBody(4 * MIB, { failAt: 2 * MIB });

    await expect(sut.put('users/u1/m1/original', body, 'image/png')).rejects.toThrow('The client went away');

    expect(await readdir(join(root, 'users/u1/m1'))).toEqual(['thumbnail']);
  });

  it('removes the directories a failed put created, but not the root nor those still in use', async () => {
    await sut.put('users/u1/m1/original', Readable.from([Buffer.from('kept')]), 'image/png');

    await expect(sut.put('users/u1/m2/upload', generatedBody(4 * MIB, { failAt: 2 * MIB }).body, 'image/png')).rejects.toThrow('The client went away');
    expect(await readdir(join(root, 'users/u1'))).toEqual(['m1']);

    await expect(sut.put('users/u2/m3/upload', generatedBody(4 * MIB, { cutAt: MIB }).body, 'image/png')).rejects.toThrow();
    expect(await readdir(join(root, 'users'))).toEqual(['u1']);

    await sut.delete('users/u1/m1/original');
    await expect(sut.put('users/u1/m1/upload', generatedBody(MIB, { failAt: 0 }).body, 'image/png')).rejects.toThrow('The client went away');
    expect(await readdir(root)).toEqual([]);
  });

  it('writes nothing outside its directory for a key that tries to leave it', async () => {
    await sut.ping();

    await expect(sut.put('../escape', Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toThrow('Invalid media key');
    await expect(sut.put('users/../../escape', Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toThrow('Invalid media key');

    expect(await readdir(directory)).toEqual(['media']);
  });

  it('removes the directories a delete emptied, but not the root nor those still in use', async () => {
    await sut.put('users/u1/m1/original', Readable.from([Buffer.from('a')]), 'image/png');
    await sut.put('users/u1/m2/original', Readable.from([Buffer.from('b')]), 'image/png');

    await sut.delete('users/u1/m1/original');
    expect(await readdir(join(root, 'users/u1'))).toEqual(['m2']);

    await sut.delete('users/u1/m2/original');
    expect(await readdir(root)).toEqual([]);
  });

  it('has no signed URL: the API serves local media itself', async () => {
    await sut.put('users/u1/m1/original', Readable.from([Buffer.from('a')]), 'image/png');
    expect(await sut.signedUrl('users/u1/m1/original', 60)).toBeUndefined();
  });

  it('has no presigned POST: uploads to the local store go through the API', async () => {
    expect(await sut.presignedPost('users/u1/m1/upload', { contentType: 'image/png', maxBytes: 1024, expiresSeconds: 60 })).toBeUndefined();
    expect(await readdir(directory)).toEqual([]);
  });

  it('reads a range of an empty object as no bytes', async () => {
    await sut.put('users/u1/m1/empty', Readable.from([]), 'image/png');
    expect(await sut.getRange('users/u1/m1/empty', 0, 10)).toEqual(Buffer.alloc(0));
  });

  it('creates its directory on ping', async () => {
    await sut.ping();
    expect(await readdir(directory)).toEqual(['media']);
  });

  it('fails ping when its directory cannot be created', async () => {
    await writeFile(join(directory, 'a-file'), 'not a directory');
    const blocked = new LocalMediaStore(join(directory, 'a-file', 'media'));

    await expect(blocked.ping()).rejects.toThrow(/ENOTDIR|EEXIST/);
  });

  // Root ignores file permissions, so this case can only be seen as another user.
  (process.getuid?.() === 0 ? it.skip : it)('fails ping when its directory is not writable', async () => {
    await mkdir(root);
    await chmod(root, 0o500);

    await expect(sut.ping()).rejects.toThrow(/EACCES/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('S3MediaStore', () => {
  let s3: FakeS3;
  let sut: S3MediaStore;
  const others: S3MediaStore[] = [];

  /** Another store on the same or another server, closed after the test. */
  const storeFor = (config: S3MediaStoreConfig, options: S3MediaStoreOptions = {}) => {
    const store = new S3MediaStore(config, options);
    others.push(store);
    return store;
  };

  beforeAll(async () => {
    s3 = await startFakeS3();
    sut = new S3MediaStore(s3.config);
  });
  afterEach(() => {
    for (const store of others.splice(0)) store.destroy();
  });
  afterAll(async () => {
    sut.destroy();
    await s3.stop();
  });

  it('gives a presigned URL that plain fetch can GET, with the object bytes', async () => {
    const key = newKey('photo.jpg');
    await sut.put(key, Readable.from([Buffer.from('presigned bytes')]), 'image/jpeg');

    const url = await sut.signedUrl(key, 60);
    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(await response.text()).toBe('presigned bytes');
  });

  it('gives URLs that s3rver refuses once tampered with: another signature, another key, a longer life', async () => {
    const key = newKey('photo.jpg');
    await sut.put(key, Readable.from([Buffer.from('secret')]), 'image/jpeg');
    const otherKey = newKey('photo.jpg');
    await sut.put(otherKey, Readable.from([Buffer.from('other secret')]), 'image/jpeg');
    const url = new URL(await sut.signedUrl(key, 60));

    const wrongSignature = new URL(url);
    const signature = url.searchParams.get('X-Amz-Signature')!;
    wrongSignature.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const wrongKey = new URL(url);
    wrongKey.pathname = url.pathname.replace(key, otherKey);
    const longerLife = new URL(url);
    longerLife.searchParams.set('X-Amz-Expires', '604800');

    for (const tampered of [wrongSignature, wrongKey, longerLife]) {
      expect(tampered.href).not.toBe(url.href);
      const response = await fetch(tampered);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('SignatureDoesNotMatch');
    }
  });

  it('gives URLs that stop working when their time is up', async () => {
    const key = newKey('photo.jpg');
    await sut.put(key, Readable.from([Buffer.from('short-lived')]), 'image/jpeg');
    const url = await sut.signedUrl(key, 1);

    await sleep(2_100);
    const response = await fetch(url);

    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Request has expired');
  });

  it('refuses a URL lifetime S3 would not sign', async () => {
    await expect(sut.signedUrl(newKey(), 0)).rejects.toThrow(RangeError);
    await expect(sut.signedUrl(newKey(), 604_801)).rejects.toThrow(RangeError);
  });

  it('signs every request: a store with the wrong secret is refused', async () => {
    const wrong = storeFor({ ...s3.config, secretAccessKey: 'not-the-secret' });

    await expect(wrong.put(newKey(), Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toThrow(/signature we calculated does not match/);
    await expect(wrong.ping()).rejects.toThrow(/is not usable: SignatureDoesNotMatch: HTTP 403/);

    // A large body is released too when the store refuses it.
    const { body } = generatedBody(16 * MIB);
    await expect(wrong.put(newKey(), body, 'video/mp4')).rejects.toThrow(/signature we calculated does not match/);
    expect(body.destroyed).toBe(true);
  });

  it('fails ping once the server is down', async () => {
    const other = await startFakeS3();
    try {
      const store = storeFor(other.config);
      await store.ping();

      await other.stop();

      await expect(store.ping()).rejects.toThrow(/is not usable: .*ECONNREFUSED/);
    } finally {
      await other.stop();
    }
  });

  it('fails ping for a bucket that does not exist', async () => {
    const store = storeFor({ ...s3.config, bucket: 'no-such-bucket' });

    await expect(store.ping()).rejects.toThrow(/no-such-bucket.*is not usable: NoSuchBucket/);
  });

  it('gives up on a server that never answers after the call timeout', async () => {
    const hole = await startBlackHole();
    try {
      const store = storeFor({ ...s3.config, endpoint: `http://127.0.0.1:${hole.port}` }, { callTimeoutMs: 300 });
      const started = Date.now();

      await expect(store.ping()).rejects.toThrow(/got no answer within 300 ms/);
      await expect(store.size(newKey())).rejects.toThrow(/got no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(3_000);

      // A transfer has no overall bound, only one on silence (the SDK retries it twice).
      const uploader = storeFor({ ...s3.config, endpoint: `http://127.0.0.1:${hole.port}` }, { idleTimeoutMs: 300 });
      const uploadStarted = Date.now();
      await expect(uploader.put(newKey(), Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toThrow(/300 ms of inactivity/);
      expect(Date.now() - uploadStarted).toBeLessThan(5_000);
    } finally {
      await hole.stop();
    }
  });

  it('fails at once while its breaker is open, and counts a missing object as an answer', async () => {
    const hole = await startBlackHole();
    try {
      const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 60_000 });
      const down = storeFor({ ...s3.config, endpoint: `http://127.0.0.1:${hole.port}` }, { callTimeoutMs: 200, breaker });
      await expect(down.ping()).rejects.toThrow(/no answer/);
      await expect(down.size(newKey())).rejects.toThrow(/no answer/);
      expect(breaker.state).toBe('open');

      const started = Date.now();
      await expect(down.get(newKey())).rejects.toThrow(/circuit is open/);
      expect(Date.now() - started).toBeLessThan(100);

      const healthy = new CircuitBreaker({ threshold: 1, cooldownMs: 60_000 });
      const up = storeFor(s3.config, { breaker: healthy });
      expect(await up.size(newKey())).toBeUndefined();
      await expect(up.get(newKey())).rejects.toBeInstanceOf(MediaObjectMissing);
      const { body } = generatedBody(64 * 1024, { failAt: 1024 });
      await expect(up.put(newKey(), body, 'text/plain')).rejects.toThrow('The client went away');
      expect(healthy.state).toBe('closed');
    } finally {
      await hole.stop();
    }
  });

  it('aborts the multipart upload of a failed put (s3rver cannot: it answers 405, and the store says so)', async () => {
    const key = newKey();
    const { body } = generatedBody(16 * MIB, { failAt: 12 * MIB });
    const store = storeFor(s3.config, { partSize: S3_MIN_PART_SIZE });
    logged.lines.length = 0;

    await expect(store.put(key, body, 'video/mp4')).rejects.toThrow('The client went away');

    expect(logged.messages()).toEqual([expect.stringMatching(new RegExp(`^Could not abort the multipart upload \\w+ of ${key}: .*MethodNotAllowed`))]);
    expect(await sut.size(key)).toBeUndefined();
  });

  it('refuses a part size S3 would refuse', () => {
    expect(() => new S3MediaStore(s3.config, { partSize: S3_MIN_PART_SIZE - 1 })).toThrow(RangeError);
  });

  /** The fields of a presigned POST and `file` last, as a browser form sends them. */
  const formOf = (fields: Readonly<Record<string, string>>, file: Buffer) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([file]), 'photo.png');
    return form;
  };

  it('gives a presigned POST whose signed policy bounds the key, the type and the size, which a browser form uploads with', async () => {
    const key = newKey('upload');
    const before = Date.now();

    const post = await sut.presignedPost(key, { contentType: 'image/png', maxBytes: 2048, expiresSeconds: 900 });

    expect(post.url).toBe(`${s3.config.endpoint}/${s3.config.bucket}`);
    expect(post.fields).toMatchObject({ key, 'Content-Type': 'image/png', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/) });
    const policy = JSON.parse(Buffer.from(post.fields['Policy']!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    expect(policy.conditions).toEqual(expect.arrayContaining([['content-length-range', 1, 2048], { key }, { 'Content-Type': 'image/png' }]));
    expect(Date.parse(policy.expiration) - before).toBeGreaterThan(895_000);
    expect(Date.parse(policy.expiration) - before).toBeLessThanOrEqual(901_000);

    const response = await fetch(post.url, { method: 'POST', body: formOf(post.fields, Buffer.from('posted bytes')) });

    expect(response.status).toBe(204);
    expect(await textOf(await sut.get(key))).toBe('posted bytes');
    expect(await sut.size(key)).toBe(12);
  });

  it('gives presigned POSTs that s3rver does not check: a file over the policy is stored anyway (the API checks what arrived)', async () => {
    const key = newKey('upload');
    const post = await sut.presignedPost(key, { contentType: 'image/png', maxBytes: 10, expiresSeconds: 60 });

    const response = await fetch(post.url, { method: 'POST', body: formOf({ ...post.fields, 'X-Amz-Signature': '0'.repeat(64) }, Buffer.alloc(100, 1)) });

    // Real S3 answers 400 EntityTooLarge (and 403 for the signature); s3rver implements no POST policy.
    expect(response.status).toBe(204);
    expect(await sut.size(key)).toBe(100);
  });

  it('refuses a presigned POST S3 would not sign', async () => {
    await expect(sut.presignedPost(newKey(), { contentType: 'image/png', maxBytes: 10, expiresSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(sut.presignedPost(newKey(), { contentType: 'image/png', maxBytes: 10, expiresSeconds: 604_801 })).rejects.toThrow(RangeError);
    await expect(sut.presignedPost(newKey(), { contentType: 'image/png', maxBytes: 0, expiresSeconds: 60 })).rejects.toThrow(RangeError);
  });

  it('signs presigned URLs and POSTs for the public endpoint when there is one, and they work there', async () => {
    const publicEndpoint = s3.config.endpoint!.replace('127.0.0.1', 'localhost');
    const store = storeFor({ ...s3.config, publicEndpoint });
    const key = newKey('upload');

    const post = await store.presignedPost(key, { contentType: 'image/png', maxBytes: 1024, expiresSeconds: 60 });
    expect(post.url).toBe(`${publicEndpoint}/${s3.config.bucket}`);
    expect((await fetch(post.url, { method: 'POST', body: formOf(post.fields, Buffer.from('via the public endpoint')) })).status).toBe(204);

    const url = await store.signedUrl(key, 60);
    expect(url.startsWith(`${publicEndpoint}/`)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('via the public endpoint');
    // The store's own calls still go to the server's endpoint.
    expect((await store.getRange(key, 0, 3)).toString()).toBe('via');
  });
});
