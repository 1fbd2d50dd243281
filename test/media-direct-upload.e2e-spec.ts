import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { DirectUploads, MediaStore } from '#chorus/media';
import { MediaGarbageCollector } from '../libs/media/src/media-garbage-collector.js';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { startFakeS3, type FakeS3 } from './support/fake-s3.js';
import { TestApp } from './support/test-app.js';
import { eventually } from './support/waiting.js';

/** Smaller than the images sent here: they could not go through POST /media. */
const MAX_UPLOAD_BYTES = 16 * 1024;
const DIRECT_MAX_BYTES = 1024 * 1024;
const ADMIN = { email: 'direct-admin@example.com', password: 'admin password 123' };

interface IssuedUpload {
  media: { id: string; status: string; bytes: number };
  upload: { url: string; fields: Record<string, string>; expiresAt: string };
}

/** A PNG of `side` × `side` random pixels: it does not compress, so it is about 3 × side² bytes. */
const noise = (side: number) =>
  sharp(Buffer.from(Array.from({ length: side * side * 3 }, () => Math.floor(Math.random() * 256))), { raw: { width: side, height: side, channels: 3 } }).png().toBuffer();

/** Sends `file` to the bucket as a browser would: a multipart form with the upload's fields first, the file last. */
async function postForm(upload: IssuedUpload['upload'], file: Buffer): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', new Blob([file], { type: upload.fields['Content-Type'] }), 'photo.png');
  const response = await fetch(upload.url, { method: 'POST', body: form });
  await response.arrayBuffer();
  return response.status;
}

describe('direct uploads to the bucket', () => {
  let s3: FakeS3;
  let sut: TestApp;
  let dataSource: DataSource;
  let store: MediaStore;
  let admin: TestAccount;
  let alice: TestAccount;
  let bob: TestAccount;
  let image: Buffer;
  let publicEndpoint: string;

  const issue = (account: TestAccount, body: Record<string, unknown>) => sut.http().post('/api/v1/media/uploads').set(account.auth).send(body);
  const complete = (account: TestAccount, id: string) => sut.http().post(`/api/v1/media/${id}/complete`).set(account.auth);
  const keyOf = (account: TestAccount, id: string) => `users/${account.id}/${id}/upload`;
  /** The user's media books: counters this period, holds, ledger events and records. */
  const books = async (userId: string) => {
    const [row] = await dataSource.query(
      `SELECT (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'media.uploads')::int AS uploads,
              (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'media.bytes')::int AS bytes,
              (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1)::int AS reserved,
              (SELECT count(*) FROM usage_reservations WHERE user_id = $1)::int AS reservations,
              (SELECT count(*) FROM usage_events WHERE user_id = $1 AND modality = 'media')::int AS events,
              (SELECT count(*) FROM media WHERE owner_user_id = $1)::int AS media`,
      [userId],
    );
    return row as { uploads: number; bytes: number; reserved: number; reservations: number; events: number; media: number };
  };

  beforeAll(async () => {
    s3 = await startFakeS3();
    const { endpoint, region, bucket, accessKeyId, secretAccessKey } = s3.config;
    // Clients reach the bucket by another name than the server does: the forms must name theirs.
    publicEndpoint = endpoint!.replace('127.0.0.1', 'localhost');
    sut = await TestApp.start({
      env: {
        MEDIA_STORE: 's3',
        S3_ENDPOINT: endpoint!,
        S3_PUBLIC_ENDPOINT: publicEndpoint,
        S3_REGION: region,
        S3_BUCKET: bucket,
        S3_ACCESS_KEY_ID: accessKeyId!,
        S3_SECRET_ACCESS_KEY: secretAccessKey!,
        S3_FORCE_PATH_STYLE: 'true',
        MEDIA_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
        MEDIA_DIRECT_UPLOAD_MAX_BYTES: String(DIRECT_MAX_BYTES),
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      },
    });
    dataSource = sut.app.get(DataSource);
    store = sut.app.get(MediaStore);
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    alice = await newAccount(sut);
    bob = await newAccount(sut);
    image = await noise(120);
    expect(image.length).toBeGreaterThan(MAX_UPLOAD_BYTES);
  });

  afterAll(async () => {
    await sut?.close();
    await s3?.stop();
  });

  it('issues a form for the bucket, takes the file there, and processes it once completed, billed once for its bytes', async () => {
    const issued = await issue(alice, { filename: 'big.png', contentType: 'image/png', bytes: image.length }).expect(201);
    const { media, upload } = issued.body as IssuedUpload;
    expect(media).toMatchObject({ status: 'pending', bytes: image.length, filename: 'big.png', purpose: 'upload' });
    expect(upload.url).toBe(`${publicEndpoint}/${s3.config.bucket}`);
    expect(upload.fields).toMatchObject({ key: keyOf(alice, media.id), 'Content-Type': 'image/png', Policy: expect.any(String) });
    const policy = JSON.parse(Buffer.from(upload.fields['Policy']!, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(expect.arrayContaining([['content-length-range', 1, image.length], { key: keyOf(alice, media.id) }, { 'Content-Type': 'image/png' }]));
    expect(Date.parse(upload.expiresAt) - Date.now()).toBeGreaterThan(800_000);
    // Held on the quota from now.
    expect(await books(alice.id)).toMatchObject({ reserved: 1 + image.length, reservations: 1, events: 0 });
    expect((await sut.http().get(`/api/v1/media/${media.id}`).set(alice.auth).expect(200)).body.status).toBe('pending');

    expect(await postForm(upload, image)).toBe(204);
    const completed = await complete(alice, media.id).expect(202);
    expect(completed.body).toMatchObject({ id: media.id, status: 'processing', bytes: image.length });

    const ready = await eventually(
      'the direct upload processed',
      async () => (await sut.http().get(`/api/v1/media/${media.id}`).set(alice.auth).expect(200)).body,
      (body) => body.status !== 'processing',
      { timeoutMs: 10_000, everyMs: 50 },
    );
    expect(ready).toMatchObject({ status: 'ready', contentType: 'image/png', width: 120, height: 120 });
    const downloaded = await fetch(ready.urls.image);
    expect(downloaded.status).toBe(200);
    expect((await sharp(Buffer.from(await downloaded.arrayBuffer())).metadata()).width).toBe(120);

    // Completing again answers what it is, and bills nothing more.
    expect((await complete(alice, media.id).expect(202)).body).toMatchObject({ id: media.id, status: 'ready' });
    expect(await books(alice.id)).toMatchObject({ uploads: 1, bytes: image.length, reserved: 0, reservations: 0, events: 1 });
    const [event] = await dataSource.query(`SELECT quantity, media_id FROM usage_events WHERE user_id = $1`, [alice.id]);
    expect(event).toEqual({ quantity: String(image.length), media_id: media.id });
  });

  it('accepts every type an upload through the API accepts, AVIF included, signed into the policy', async () => {
    const frank = await newAccount(sut);
    const avif = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#36c' } }).avif().toBuffer();

    const { media, upload } = (await issue(frank, { filename: 'photo.avif', contentType: 'image/avif', bytes: avif.length }).expect(201)).body as IssuedUpload;

    expect(upload.fields).toMatchObject({ key: keyOf(frank, media.id), 'Content-Type': 'image/avif' });
    const policy = JSON.parse(Buffer.from(upload.fields['Policy']!, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(expect.arrayContaining([{ 'Content-Type': 'image/avif' }]));
    expect(await postForm(upload, avif)).toBe(204);
    expect((await complete(frank, media.id).expect(202)).body).toMatchObject({ id: media.id, status: 'processing', bytes: avif.length });
  });

  it('answers 409 upload_incomplete when completed before the file is in the bucket, and 404 for another user', async () => {
    const { media, upload } = (await issue(alice, { contentType: 'image/png', bytes: image.length }).expect(201)).body as IssuedUpload;

    expect((await complete(alice, media.id).expect(409)).body).toMatchObject({ code: 'upload_incomplete' });
    expect((await complete(bob, media.id).expect(404)).body.code).toBe('not_found');
    await sut.http().get(`/api/v1/media/${media.id}`).set(bob.auth).expect(404);
    await complete(alice, 'not-a-uuid').expect(404);

    // Bob cannot complete it once it is there either; Alice can.
    expect(await postForm(upload, image)).toBe(204);
    await complete(bob, media.id).expect(404);
    expect((await complete(alice, media.id).expect(202)).body.status).toBe('processing');
  });

  it('deletes a file larger than declared at complete (s3rver does not enforce the policy), and gives the hold back', async () => {
    const before = await books(bob.id);
    const { media, upload } = (await issue(bob, { contentType: 'image/png', bytes: 2048 }).expect(201)).body as IssuedUpload;
    expect(await postForm(upload, image)).toBe(204);
    expect(await store.size(keyOf(bob, media.id))).toBe(image.length);

    const refused = await complete(bob, media.id).expect(413);

    expect(refused.body).toMatchObject({ code: 'payload_too_large', maxBytes: 2048 });
    expect(await store.size(keyOf(bob, media.id))).toBeUndefined();
    await sut.http().get(`/api/v1/media/${media.id}`).set(bob.auth).expect(404);
    await complete(bob, media.id).expect(404);
    expect(await books(bob.id)).toEqual(before);
  });

  it('deletes a file that is not an image at complete, and gives the hold back', async () => {
    const before = await books(bob.id);
    const executable = Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(4096, 1)]);
    const { media, upload } = (await issue(bob, { contentType: 'image/png', bytes: executable.length }).expect(201)).body as IssuedUpload;
    expect(await postForm(upload, executable)).toBe(204);

    const refused = await complete(bob, media.id).expect(415);

    expect(refused.body.code).toBe('unsupported_media_type');
    expect(await store.size(keyOf(bob, media.id))).toBeUndefined();
    await sut.http().get(`/api/v1/media/${media.id}`).set(bob.auth).expect(404);
    expect(await books(bob.id)).toEqual(before);
  });

  it('deletes uploads never completed once they expire, with their file, and gives their holds back', async () => {
    const carol = await newAccount(sut);
    const sent = (await issue(carol, { contentType: 'image/png', bytes: image.length }).expect(201)).body as IssuedUpload;
    expect(await postForm(sent.upload, image)).toBe(204);
    const neverSent = (await issue(carol, { contentType: 'image/png', bytes: image.length }).expect(201)).body as IssuedUpload;
    const live = (await issue(carol, { contentType: 'image/png', bytes: 1000 }).expect(201)).body as IssuedUpload;
    await dataSource.query(`UPDATE media SET upload_expires_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])`, [[sent.media.id, neverSent.media.id]]);

    await sut.app.get(DirectUploads).expire();

    expect((await dataSource.query(`SELECT id FROM media WHERE owner_user_id = $1`, [carol.id])).map((row: { id: string }) => row.id)).toEqual([live.media.id]);
    await complete(carol, sent.media.id).expect(404);
    expect(await books(carol.id)).toMatchObject({ uploads: 0, reserved: 1 + 1000, reservations: 1, events: 0 });
    // The database queued the file that was sent; the garbage collector deletes it.
    await sut.app.get(MediaGarbageCollector).collect();
    expect(await store.size(keyOf(carol, sent.media.id))).toBeUndefined();
  });

  it('refuses an invalid or too large declaration, an unknown persona, and one over the quota, keeping nothing', async () => {
    const dave = await newAccount(sut);
    await issue(dave, { contentType: 'image/png', bytes: DIRECT_MAX_BYTES + 1 }).expect(413);
    await issue(dave, { contentType: 'image/heic', bytes: 1000 }).expect(400);
    await issue(dave, { contentType: 'image/png', bytes: 0 }).expect(400);
    await issue(dave, { contentType: 'image/png' }).expect(400);
    expect((await issue(dave, { contentType: 'image/png', bytes: 1000, influencerId: '00000000-0000-4000-8000-000000000000' }).expect(422)).body.code).toBe('unknown_persona');
    await sut.http().patch(`/api/v1/admin/users/${dave.id}/quota`).set(admin.auth).send({ limits: { media: { bytesPerMonth: 5000 } } }).expect(200);
    const refused = await issue(dave, { contentType: 'image/png', bytes: 5001 }).expect(429);
    expect(refused.body).toMatchObject({ code: 'quota_exceeded', limit: 'media.bytesPerMonth', max: 5000 });

    expect(await books(dave.id)).toEqual({ uploads: 0, bytes: 0, reserved: 0, reservations: 0, events: 0, media: 0 });
  });
});

describe('direct uploads on the local store', () => {
  let sut: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chorus-media-'));
    sut = await TestApp.start({ env: { MEDIA_DIR: dir } });
  });

  afterAll(async () => {
    await sut?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('are unavailable, with a problem that says to upload through the API, and hold nothing', async () => {
    const user = await newAccount(sut);

    const refused = await sut.http().post('/api/v1/media/uploads').set(user.auth).send({ contentType: 'image/png', bytes: 1000 }).expect(409);

    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.code).toBe('direct_upload_unavailable');
    expect(refused.body.detail).toMatch(/POST \/api\/v1\/media/);
    const dataSource = sut.app.get(DataSource);
    expect(await dataSource.query('SELECT 1 FROM media')).toEqual([]);
    expect(await dataSource.query('SELECT 1 FROM usage_reservations')).toEqual([]);
  });
});
