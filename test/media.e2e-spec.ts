import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { startFakeS3 } from './support/fake-s3.js';
import { TestApp } from './support/test-app.js';
import { eventually } from './support/waiting.js';

const MAX_UPLOAD_BYTES = 256 * 1024;

/** Every file under `dir`, recursively: what the local store holds. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Every entry (files and directories) under `dir`, recursively; none when it does not exist. */
async function entriesUnder(dir: string): Promise<string[]> {
  return readdir(dir, { recursive: true }).catch(() => []);
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

  it('keeps nothing of an upload its client abandons midway, nor of one whose body is cut off, not even a directory', async () => {
    const carol = await newAccount(sut);
    const before = await filesUnder(mediaDir);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer();
    const boundary = 'chorus-test-boundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`);
    // The client leaves after 64 KiB of a declared 200 KiB.
    const abandoned = request(new URL('/api/v1/media', base), {
      method: 'POST',
      headers: { ...carol.auth, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(200 * 1024) },
    });
    abandoned.on('error', () => undefined);
    abandoned.write(Buffer.concat([head, png, Buffer.alloc(64 * 1024)]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    abandoned.destroy();
    // A body that ends inside the file part: 400, not a server error.
    const cut = await sut.http().post('/api/v1/media').set(carol.auth).set('Content-Type', `multipart/form-data; boundary=${boundary}`).send(Buffer.concat([head, png]));
    expect(cut.status).toBe(400);
    await eventually('the abandoned upload cleaned up', () => filesUnder(mediaDir), (files) => files.length === before.length, { timeoutMs: 5_000, everyMs: 50 });
    expect(await filesUnder(mediaDir)).toEqual(before);
    // The local store removes the directories it made for them (s3rver's are its own business).
    if (store === 'local') {
      const carols = (entries: string[]) => entries.filter((entry) => entry.startsWith(carol.id));
      await eventually('their directories removed', async () => carols(await entriesUnder(join(mediaDir, 'users'))), (left) => left.length === 0, { timeoutMs: 5_000, everyMs: 50 });
    }
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

describe.each(Object.keys(STORES) as Array<keyof typeof STORES>)('stalled uploads on the %s store', (store) => {
  // Far above the gaps of the slow upload below, so that a busy machine's pauses never pass for a stall.
  const IDLE_TIMEOUT_MS = 1500;
  const BOUNDARY = 'chorus-stall-boundary';
  let sut: TestApp;
  let mediaDir: string;
  let stopStore: () => Promise<void>;
  let base: string;
  let png: Buffer;

  beforeAll(async () => {
    const started = await STORES[store]();
    mediaDir = started.dir;
    stopStore = started.stop;
    sut = await TestApp.start({ env: { ...started.env, MEDIA_UPLOAD_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) } });
    base = await sut.listen();
    png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer();
  });

  afterAll(async () => {
    await sut?.close();
    await stopStore?.();
  });

  /** What a refused upload must not leave: the user's quota holds and media records. */
  const held = async (userId: string) => {
    const [row] = await sut.app.get(DataSource).query(
      `SELECT (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1)::int AS reserved,
              (SELECT count(*) FROM usage_reservations WHERE user_id = $1)::int AS reservations,
              (SELECT count(*) FROM media WHERE owner_user_id = $1)::int AS media`,
      [userId],
    );
    return row as { reserved: number; reservations: number; media: number };
  };

  /** POSTs an upload declared `declared` bytes long, sending `pieces` `gapMs` apart, then nothing more until answered. */
  const send = (account: TestAccount, pieces: Buffer[], declared: number, gapMs = 0) =>
    new Promise<{ status: number; type: string | undefined; body: Record<string, unknown>; elapsedMs: number }>((resolve, reject) => {
      const started = Date.now();
      const upload = request(new URL('/api/v1/media', base), {
        method: 'POST',
        headers: { ...account.auth, 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': String(declared) },
      });
      upload.on('error', reject);
      upload.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          upload.destroy();
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          resolve({ status: response.statusCode!, type: response.headers['content-type'], body, elapsedMs: Date.now() - started });
        });
      });
      const next = (index: number) => {
        if (index >= pieces.length || upload.destroyed) return;
        upload.write(pieces[index]);
        setTimeout(() => next(index + 1), gapMs);
      };
      next(0);
    });
  const filePart = () => Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`), png]);

  it('fails an upload whose body stops arriving with 408, before or within its file, keeping nothing and giving its quota hold back', async () => {
    const dave = await newAccount(sut);
    const before = await filesUnder(mediaDir);

    // Within the file: its first 16 KiB, of a declared 200 KiB.
    const withinFile = await send(dave, [Buffer.concat([filePart(), Buffer.alloc(16 * 1024)])], 200 * 1024);
    expect(withinFile).toMatchObject({ status: 408, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'upload_stalled', idleTimeoutMs: IDLE_TIMEOUT_MS } });
    expect(withinFile.elapsedMs).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 50);
    // Before it: within a text field.
    const beforeFile = await send(dave, [Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="influencerId"\r\n\r\n0000`)], 200 * 1024);
    expect(beforeFile).toMatchObject({ status: 408, body: { code: 'upload_stalled' } });

    await eventually('the stalled uploads released', () => held(dave.id), (books) => books.reservations === 0, { timeoutMs: 5_000, everyMs: 50 });
    expect(await held(dave.id)).toEqual({ reserved: 0, reservations: 0, media: 0 });
    await eventually('the stalled uploads cleaned up', () => filesUnder(mediaDir), (files) => files.length === before.length, { timeoutMs: 5_000, everyMs: 50 });
    expect(await filesUnder(mediaDir)).toEqual(before);
    if (store === 'local') expect(await entriesUnder(join(mediaDir, 'users', dave.id))).toEqual([]);
  });

  it('does not fail an upload that is slow but keeps arriving', async () => {
    const erin = await newAccount(sut);
    const body = Buffer.concat([filePart(), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
    // Eight pieces, each sent long before the idle timeout, the whole taking longer than it.
    const pieces = Array.from({ length: 8 }, (_, index) => body.subarray(Math.floor((index * body.length) / 8), Math.floor(((index + 1) * body.length) / 8)));

    const slow = await send(erin, pieces, body.length, IDLE_TIMEOUT_MS / 6);

    expect(slow).toMatchObject({ status: 202, body: { status: 'processing' } });
    expect(slow.elapsedMs).toBeGreaterThan(IDLE_TIMEOUT_MS);
  });
});

describe("a persona's media, and the fields of uploads", () => {
  const ADMIN = { email: 'persona-media-admin@example.com', password: 'admin password 123' };
  const PLANS = JSON.stringify({ free: { premiumPersonas: false }, premium: { premiumPersonas: true } });
  let sut: TestApp;
  let mediaDir: string;
  let admin: TestAccount;
  let free: TestAccount;
  let premium: TestAccount;
  let nova: string;
  let photo: Buffer;

  const personaUpload = (account: TestAccount, influencerId: string, fields: Record<string, string>) => {
    const request = sut.http().post(`/api/v1/admin/influencers/${influencerId}/media`).set(account.auth);
    for (const [name, value] of Object.entries(fields)) request.field(name, value);
    return request.attach('file', photo, { filename: 'persona.png', contentType: 'image/png' });
  };
  const listed = (account: TestAccount) => sut.http().get(`/api/v1/influencers/${nova}/media`).set(account.auth).expect(200);
  const mediaCount = async () => Number((await sut.app.get(DataSource).query('SELECT count(*) AS n FROM media'))[0].n);

  beforeAll(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'chorus-media-'));
    sut = await TestApp.start({ env: { MEDIA_DIR: mediaDir, PLANS, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    free = await newAccount(sut);
    const upgraded = await newAccount(sut);
    await sut.http().patch(`/api/v1/admin/users/${upgraded.id}`).set(admin.auth).send({ plan: 'premium' }).expect(200);
    premium = await signIn(sut, upgraded.email, upgraded.password);
    nova = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
    photo = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#cc6633' } }).png().toBuffer();
  });

  afterAll(async () => {
    await sut?.close();
    await rm(mediaDir, { recursive: true, force: true });
  });

  it("lets admins upload a persona's profile image and gallery, listed to users profile first, premium-only items to premium plans only", async () => {
    const profile = (await personaUpload(admin, nova, { purpose: 'profile' }).expect(202)).body;
    expect(profile).toMatchObject({ status: 'processing', purpose: 'profile', influencerId: nova, tags: [], caption: null, premiumOnly: false });
    const beach = (await personaUpload(admin, nova, { tags: ' Beach, SUMMER ,,beach', caption: '  At the beach  ' }).expect(202)).body;
    expect(beach).toMatchObject({ purpose: 'gallery', tags: ['beach', 'summer'], caption: 'At the beach', premiumOnly: false });
    const vip = (await personaUpload(admin, nova, { tags: 'vip', premiumOnly: 'true' }).expect(202)).body;
    expect(vip).toMatchObject({ purpose: 'gallery', premiumOnly: true });
    await eventually('the three images ready', async () => (await listed(admin)).body as Array<{ id: string }>, (items) => items.length === 3, { timeoutMs: 10_000, everyMs: 50 });

    // Profile first, then the gallery, newest first.
    expect((await listed(premium)).body.map((item: { id: string }) => item.id)).toEqual([profile.id, vip.id, beach.id]);
    const forFree = (await listed(free)).body;
    expect(forFree.map((item: { id: string }) => item.id)).toEqual([profile.id, beach.id]);
    expect(forFree[1]).toMatchObject({ status: 'ready', contentType: 'image/png', tags: ['beach', 'summer'], urls: { image: expect.any(String), thumbnail: expect.any(String) } });

    // One by id: to any signed-in user who may see it.
    await sut.http().get(`/api/v1/media/${beach.id}`).set(free.auth).expect(200);
    await sut.http().get(`/api/v1/media/${vip.id}`).set(free.auth).expect(404);
    expect((await sut.http().get(`/api/v1/media/${vip.id}`).set(premium.auth).expect(200)).body).toMatchObject({ status: 'ready', premiumOnly: true });
    await sut.http().get(`/api/v1/influencers/${nova}/media`).expect(401);

    // Admins only: users can neither upload nor delete a persona's media, nor delete it as theirs.
    await personaUpload(free, nova, {}).expect(403);
    await sut.http().delete(`/api/v1/admin/influencers/${nova}/media/${beach.id}`).set(free.auth).expect(403);
    await sut.http().delete(`/api/v1/media/${beach.id}`).set(free.auth).expect(404);

    await sut.http().delete(`/api/v1/admin/influencers/${nova}/media/${beach.id}`).set(admin.auth).expect(204);
    await sut.http().delete(`/api/v1/admin/influencers/${nova}/media/${beach.id}`).set(admin.auth).expect(404);
    await sut.http().get(`/api/v1/media/${beach.id}`).set(free.auth).expect(404);
    expect((await listed(free)).body.map((item: { id: string }) => item.id)).toEqual([profile.id]);
    expect((await filesUnder(mediaDir)).filter((file) => file.includes(beach.id))).toEqual([]);
  });

  it('refuses invalid fields with 400, and an unknown persona with 404, keeping nothing', async () => {
    const before = { files: await filesUnder(mediaDir), rows: await mediaCount() };
    const invalid: Array<Record<string, string>> = [
      { purpose: 'upload' },
      { tags: Array.from({ length: 21 }, (_, index) => `tag${index}`).join(',') },
      { tags: 'x'.repeat(33) },
      { caption: 'x'.repeat(501) },
      { premiumOnly: 'yes' },
      { colour: 'blue' },
    ];
    for (const fields of invalid) {
      const refused = await personaUpload(admin, nova, fields).expect(400);
      expect(refused.body).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ field: Object.keys(fields)[0] })] });
    }
    // A field sent twice, or one longer than a field may be.
    await sut.http().post(`/api/v1/admin/influencers/${nova}/media`).set(admin.auth).field('tags', 'a').field('tags', 'b').attach('file', photo, 'p.png').expect(400);
    await personaUpload(admin, nova, { caption: 'x'.repeat(4096) }).expect(400);
    await personaUpload(admin, '00000000-0000-4000-8000-000000000000', {}).expect(404);
    await personaUpload(admin, 'nova', {}).expect(404);

    expect({ files: await filesUnder(mediaDir), rows: await mediaCount() }).toEqual(before);
  });

  it('refuses a part after the file, or a file part named otherwise, with 400 naming it, keeping nothing', async () => {
    const before = { files: await filesUnder(mediaDir), rows: await mediaCount() };
    // Read, `premiumOnly` after the file would publish the item to every plan.
    const late = await sut.http().post(`/api/v1/admin/influencers/${nova}/media`).set(admin.auth).field('tags', 'vip').attach('file', photo, 'p.png').field('premiumOnly', 'true').expect(400);
    expect(late.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'premiumOnly', message: 'comes after the file' }] });
    expect(late.body.detail).toMatch(/send text fields before the file; one file per upload/);
    const second = await sut.http().post('/api/v1/media').set(free.auth).attach('file', photo, 'a.png').attach('file', photo, 'b.png').expect(400);
    expect(second.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'file', message: 'comes after the file' }] });
    const misnamed = await sut.http().post('/api/v1/media').set(free.auth).attach('photo', photo, 'p.png').attach('file', photo, 'p.png').expect(400);
    expect(misnamed.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'photo', message: 'is a file part not named `file`' }] });

    expect({ files: await filesUnder(mediaDir), rows: await mediaCount() }).toEqual(before);
    expect(await sut.app.get(DataSource).query('SELECT 1 FROM usage_reservations WHERE user_id = $1', [free.id])).toEqual([]);
    // The same fields before the file are read.
    const early = await sut.http().post(`/api/v1/admin/influencers/${nova}/media`).set(admin.auth).field('tags', 'vip').field('premiumOnly', 'true').attach('file', photo, 'p.png').expect(202);
    expect(early.body).toMatchObject({ tags: ['vip'], premiumOnly: true });
  });

  it('records the persona a user upload is meant for, and refuses one that does not exist with 422', async () => {
    const meant = await sut.http().post('/api/v1/media').set(free.auth).field('influencerId', nova).attach('file', photo, 'p.png').expect(202);
    expect(meant.body).toMatchObject({ purpose: 'upload', influencerId: nova });
    const [row] = await sut.app.get(DataSource).query('SELECT policy_influencer_id, owner_influencer_id FROM media WHERE id = $1', [meant.body.id]);
    expect(row).toEqual({ policy_influencer_id: nova, owner_influencer_id: null });
    await eventually(
      'the upload processed',
      async () => (await sut.http().get(`/api/v1/media/${meant.body.id}`).set(free.auth).expect(200)).body.status as string,
      (status) => status !== 'processing',
      { timeoutMs: 10_000, everyMs: 50 },
    );

    const before = { files: await filesUnder(mediaDir), rows: await mediaCount() };
    const unknown = await sut.http().post('/api/v1/media').set(free.auth).field('influencerId', '00000000-0000-4000-8000-000000000000').attach('file', photo, 'p.png').expect(422);
    expect(unknown.body).toMatchObject({ code: 'unknown_persona', errors: [{ field: 'influencerId', message: expect.any(String) }] });
    expect({ files: await filesUnder(mediaDir), rows: await mediaCount() }).toEqual(before);
  });
});
