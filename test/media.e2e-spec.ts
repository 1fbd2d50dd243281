import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { newAccount, type TestAccount } from './support/accounts.js';
import { startFakeS3 } from './support/fake-s3.js';
import { TestApp } from './support/test-app.js';
import { eventually } from './support/waiting.js';

const MAX_UPLOAD_BYTES = 256 * 1024;

/** Every file under `dir`, recursively: what the local store holds. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** A PNG whose header claims `width` × `height` RGB pixels, with a token of image data. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.alloc(1024))), chunk('IEND', Buffer.alloc(0))]);
}

/** The store's environment, and where its files are on disk (s3rver keeps its bucket in a directory too). */
const STORES = {
  local: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chorus-media-'));
    return { env: { MEDIA_DIR: dir }, dir, stop: () => rm(dir, { recursive: true, force: true }) };
  },
  s3: async () => {
    const s3 = await startFakeS3();
    const { endpoint, region, bucket, accessKeyId, secretAccessKey } = s3.config;
    return {
      env: { MEDIA_STORE: 's3', S3_ENDPOINT: endpoint!, S3_REGION: region, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: accessKeyId!, S3_SECRET_ACCESS_KEY: secretAccessKey!, S3_FORCE_PATH_STYLE: 'true' },
      dir: s3.directory,
      stop: () => s3.stop(),
    };
  },
};

describe.each(Object.keys(STORES) as Array<keyof typeof STORES>)('media uploads on the %s store', (store) => {
  let sut: TestApp;
  let mediaDir: string;
  let stopStore: () => Promise<void>;
  let base: string;
  let alice: TestAccount;
  let bob: TestAccount;

  beforeAll(async () => {
    const started = await STORES[store]();
    mediaDir = started.dir;
    stopStore = started.stop;
    sut = await TestApp.start({ env: { ...started.env, MEDIA_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MEDIA_MAX_PIXELS: '25000000' } });
    base = await sut.listen();
    alice = await newAccount(sut);
    bob = await newAccount(sut);
  });

  afterAll(async () => {
    await sut?.close();
    await stopStore?.();
  });

  /** GETs a media URL as a browser would: the bucket's presigned URL, or the API's signed one (relative to the server). */
  const download = async (url: string) => {
    const response = await fetch(new URL(url, base));
    return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
  };
  const upload = (account: TestAccount, bytes: Buffer, filename: string, contentType = 'image/jpeg') =>
    sut.http().post('/api/v1/media').set(account.auth).attach('file', bytes, { filename, contentType });
  const settled = (account: TestAccount, id: string) =>
    eventually(
      `media ${id} processed`,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the response is checked field by field
      async () => (await sut.http().get(`/api/v1/media/${id}`).set(account.auth).expect(200)).body as Record<string, any>,
      (body) => body['status'] !== 'processing',
      { timeoutMs: 10_000, everyMs: 50 },
    );

  it('cleans a JPEG: oriented, without any metadata, with a thumbnail, behind signed URLs only its owner gets', async () => {
    // A 400 × 200 photo taken with the camera turned (EXIF orientation 6: shown 200 × 400), with GPS in its EXIF.
    const photo = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#3366cc' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Chorus test camera' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(photo).metadata()).exif).toBeDefined();

    const accepted = await upload(alice, photo, '../../etc/pass\u202ewd.jpg').expect(202);
    expect(accepted.body).toMatchObject({ status: 'processing', filename: 'passwd.jpg' });
    const ready = await settled(alice, accepted.body.id);
    expect(ready).toMatchObject({ status: 'ready', contentType: 'image/jpeg', width: 200, height: 400 });
    expect(ready.checksum).toMatch(/^[0-9a-f]{64}$/);

    const image = await download(ready.urls.image);
    expect(image).toMatchObject({ status: 200, type: 'image/jpeg' });
    const metadata = await sharp(image.body).metadata();
    expect(metadata).toMatchObject({ width: 200, height: 400 });
    expect(metadata.exif).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
    const thumbnail = await sharp((await download(ready.urls.thumbnail)).body).metadata();
    expect(thumbnail).toMatchObject({ format: 'webp' });
    expect(Math.max(thumbnail.width!, thumbnail.height!)).toBeLessThanOrEqual(256);

    // The upload as received (with its GPS) is gone: only the cleaned image and its thumbnail are kept.
    const objects = (await filesUnder(mediaDir)).filter((file) => file.includes(accepted.body.id)).map((file) => file.split('/').pop()!);
    // s3rver keeps each object as files of its own (object, checksum, metadata): their names start with the key's.
    expect([...new Set(objects.map((name) => name.replace(/\._S3rver_.*$/, '')))].sort()).toEqual(['image.jpeg', 'thumbnail.webp']);

    // A tampered URL is refused (an expired one too: the bucket's are tested with the store); another user's id is not found.
    expect((await download(ready.urls.image.replace(/(signature|Signature)=[^&]+/, '$1=forged'))).status).toBe(403);
    if (store === 'local') expect((await download(ready.urls.image.replace(/expires=\d+/, 'expires=1'))).status).toBe(403);
    await sut.http().get(`/api/v1/media/${accepted.body.id}`).set(bob.auth).expect(404);
    await sut.http().delete(`/api/v1/media/${accepted.body.id}`).set(bob.auth).expect(404);

    // Deleted with its files.
    await sut.http().delete(`/api/v1/media/${accepted.body.id}`).set(alice.auth).expect(204);
    await sut.http().get(`/api/v1/media/${accepted.body.id}`).set(alice.auth).expect(404);
    expect((await filesUnder(mediaDir)).filter((file) => file.includes(accepted.body.id))).toEqual([]);
  });

  it('tells the type by the bytes: a PNG named .jpg is a PNG', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 4, background: '#00000000' } }).png().toBuffer();
    const accepted = await upload(alice, png, 'holiday.jpg', 'image/jpeg').expect(202);
    expect(await settled(alice, accepted.body.id)).toMatchObject({ status: 'ready', contentType: 'image/png' });
  });

  it('refuses what is not an image, a body over the limit, an empty file and a missing part, storing nothing', async () => {
    const before = await filesUnder(mediaDir);
    const executable = Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(2048, 1)]);
    const refused = await upload(alice, executable, 'cat.png', 'image/png').expect(415);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'unsupported_media_type' });
    expect(refused.body.detail).toMatch(/JPEG/);

    const huge = Buffer.concat([await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer(), Buffer.alloc(MAX_UPLOAD_BYTES * 2)]);
    expect((await upload(alice, huge, 'big.png', 'image/png').expect(413)).body).toMatchObject({ code: 'payload_too_large' });

    expect((await upload(alice, Buffer.alloc(0), 'empty.png', 'image/png').expect(415)).body).toMatchObject({ code: 'unsupported_media_type' });
    await sut.http().post('/api/v1/media').set(alice.auth).field('note', 'no file').expect(400);
    await sut.http().post('/api/v1/media').set(alice.auth).send({ file: 'not multipart' }).expect(415);
    await sut.http().post('/api/v1/media').attach('file', executable, 'x.png').expect(401);
    expect(await filesUnder(mediaDir)).toEqual(before);
  });

  it('keeps nothing of an upload its client abandons midway, nor of one whose body is cut off', async () => {
    const before = await filesUnder(mediaDir);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer();
    const boundary = 'chorus-test-boundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`);
    // The client leaves after 64 KiB of a declared 200 KiB.
    const abandoned = request(new URL('/api/v1/media', base), {
      method: 'POST',
      headers: { ...alice.auth, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(200 * 1024) },
    });
    abandoned.on('error', () => undefined);
    abandoned.write(Buffer.concat([head, png, Buffer.alloc(64 * 1024)]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    abandoned.destroy();
    // A body that ends inside the file part: 400, not a server error.
    const cut = await sut.http().post('/api/v1/media').set(alice.auth).set('Content-Type', `multipart/form-data; boundary=${boundary}`).send(Buffer.concat([head, png]));
    expect(cut.status).toBe(400);
    await eventually('the abandoned upload cleaned up', () => filesUnder(mediaDir), (files) => files.length === before.length, { timeoutMs: 5_000, everyMs: 50 });
    expect(await filesUnder(mediaDir)).toEqual(before);
  });

  it('rejects a decompression bomb and a truncated JPEG without keeping their bytes', async () => {
    // A PNG that claims 20,000 × 20,000 pixels (1.2 GB once decoded) in a few bytes.
    const bomb = pngClaiming(20_000, 20_000);
    const bombId = (await upload(alice, bomb, 'bomb.png', 'image/png').expect(202)).body.id;
    expect(await settled(alice, bombId)).toMatchObject({ status: 'rejected', rejection: { code: 'image_too_large' } });

    const jpeg = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#c33' } }).jpeg().toBuffer();
    const truncatedId = (await upload(alice, jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'half.jpg').expect(202)).body.id;
    expect(await settled(alice, truncatedId)).toMatchObject({ status: 'rejected', rejection: { code: 'image_unreadable' } });
    expect((await filesUnder(mediaDir)).filter((file) => file.includes(bombId) || file.includes(truncatedId))).toEqual([]);
  }, 30_000);
});
