import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { TestApp } from './support/test-app.js';
import { eventually } from './support/waiting.js';

const ADMIN = { email: 'media-admin@example.com', password: 'admin password 123' };
const UPLOADS_PER_DAY = 5;
const MAX_UPLOAD_BYTES = 256 * 1024;
const BYTES_PER_MONTH = 10 * 1024 * 1024;
const PLANS = JSON.stringify({
  free: { media: { uploadsPerDay: UPLOADS_PER_DAY, bytesPerMonth: BYTES_PER_MONTH }, requestsPerMinute: 10_000 },
});

/** The media ids that have files in the store: the directory names under `users/<id>/` and `influencers/<id>/`. */
async function storedIds(dir: string): Promise<Set<string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return new Set(entries.filter((entry) => entry.isFile()).map((entry) => entry.parentPath.split('/').pop()!));
}

/** A PNG of `side` × `side` random pixels: it does not compress, so its size is about 3 × side² bytes. */
const noise = (side: number) => sharp(Buffer.from(Array.from({ length: side * side * 3 }, () => Math.floor(Math.random() * 256))), { raw: { width: side, height: side, channels: 3 } }).png().toBuffer();

describe('media quotas', () => {
  let sut: TestApp;
  let dataSource: DataSource;
  let mediaDir: string;
  let admin: TestAccount;
  let photo: Buffer;

  const upload = (account: TestAccount, bytes = photo, contentType = 'image/png') =>
    sut.http().post('/api/v1/media').set(account.auth).attach('file', bytes, { filename: 'photo.png', contentType });
  const setLimits = (account: TestAccount, limits: unknown) => sut.http().patch(`/api/v1/admin/users/${account.id}/quota`).set(admin.auth).send({ limits }).expect(200);
  /** The user's media counters this period (used, and what is still held), and the ledger's media events. */
  const books = async (userId: string) => {
    const [row] = await dataSource.query(
      `SELECT (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'media.uploads')::int AS uploads,
              (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'media.bytes')::int AS bytes,
              (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1)::int AS reserved,
              (SELECT count(*) FROM usage_reservations WHERE user_id = $1)::int AS reservations,
              (SELECT count(*) FROM usage_events WHERE user_id = $1 AND modality = 'media')::int AS "ledgerUploads",
              (SELECT coalesce(sum(quantity), 0) FROM usage_events WHERE user_id = $1 AND modality = 'media')::int AS "ledgerBytes",
              (SELECT count(*) FROM media WHERE owner_user_id = $1)::int AS media`,
      [userId],
    );
    return row as { uploads: number; bytes: number; reserved: number; reservations: number; ledgerUploads: number; ledgerBytes: number; media: number };
  };
  const settled = (account: TestAccount, id: string) =>
    eventually(
      `media ${id} processed`,
      async () => (await sut.http().get(`/api/v1/media/${id}`).set(account.auth).expect(200)).body.status as string,
      (status) => status !== 'processing',
      { timeoutMs: 10_000, everyMs: 50 },
    );

  beforeAll(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'chorus-media-'));
    sut = await TestApp.start({ env: { MEDIA_DIR: mediaDir, MEDIA_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), PLANS, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    dataSource = sut.app.get(DataSource);
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    photo = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#3366cc' } }).png().toBuffer();
  });

  afterAll(async () => {
    await sut?.close();
    await rm(mediaDir, { recursive: true, force: true });
  });

  it('accepts exactly the remaining count of a burst of uploads, and refuses the rest with 429, storing nothing for them', async () => {
    const user = await newAccount(sut);
    const first = [(await upload(user).expect(202)).body.id as string, (await upload(user).expect(202)).body.id as string];
    const remaining = UPLOADS_PER_DAY - first.length;

    const burst = await Promise.all(Array.from({ length: 8 }, () => upload(user)));

    const accepted = burst.filter((response) => response.status === 202);
    const refused = burst.filter((response) => response.status !== 202);
    expect(accepted).toHaveLength(remaining);
    expect(refused).toHaveLength(8 - remaining);
    for (const response of refused) {
      expect(response.status).toBe(429);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code: 'quota_exceeded', limit: 'media.uploadsPerDay', used: UPLOADS_PER_DAY, max: UPLOADS_PER_DAY, resetsAt: expect.any(String) });
    }
    const ids = [...first, ...accepted.map((response) => response.body.id as string)];
    for (const id of ids) expect(await settled(user, id)).toBe('ready');
    // Only the accepted uploads have files or records; each is billed once, with the bytes received.
    expect([...(await storedIds(mediaDir))].filter((id) => !ids.includes(id))).toEqual([]);
    expect(await books(user.id)).toEqual({
      uploads: UPLOADS_PER_DAY,
      bytes: UPLOADS_PER_DAY * photo.length,
      reserved: 0,
      reservations: 0,
      ledgerUploads: UPLOADS_PER_DAY,
      ledgerBytes: UPLOADS_PER_DAY * photo.length,
      media: UPLOADS_PER_DAY,
    });
    expect((await upload(user).expect(429)).body.limit).toBe('media.uploadsPerDay');
  });

  it('refuses an upload that would pass bytesPerMonth, naming the limit, and shows the use in GET /me/usage', async () => {
    const user = await newAccount(sut);
    const large = await noise(160);
    // Room for one file with its multipart framing, not for two.
    const bytesPerMonth = large.length + Math.floor(large.length / 2);
    await setLimits(user, { media: { bytesPerMonth } });
    const id = (await upload(user, large).expect(202)).body.id as string;
    await settled(user, id);
    const before = await books(user.id);

    const refused = await upload(user, large).expect(429);

    expect(refused.body).toMatchObject({ code: 'quota_exceeded', limit: 'media.bytesPerMonth', used: large.length, max: bytesPerMonth });
    const now = new Date();
    expect(refused.body.resetsAt).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString());
    expect(await books(user.id)).toEqual(before);
    expect(before).toMatchObject({ uploads: 1, bytes: large.length, reserved: 0, media: 1 });

    const usage = await sut.http().get('/api/v1/me/usage').set(user.auth).expect(200);
    expect(usage.body.meters.media).toEqual([
      expect.objectContaining({ metric: 'uploadsPerDay', used: 1, reserved: 0, limit: UPLOADS_PER_DAY, remaining: UPLOADS_PER_DAY - 1 }),
      expect.objectContaining({ metric: 'bytesPerMonth', used: large.length, reserved: 0, limit: bytesPerMonth, remaining: bytesPerMonth - large.length }),
    ]);
    expect(usage.body.events.items).toEqual([expect.objectContaining({ modality: 'media', quantity: large.length, mediaId: id, messageId: null })]);
  });

  it('gives the hold of a refused upload back: not an image, too large, or invalid fields', async () => {
    const user = await newAccount(sut);
    const executable = Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(2048, 1)]);
    await upload(user, executable).expect(415);
    await upload(user, Buffer.concat([photo, Buffer.alloc(MAX_UPLOAD_BYTES)])).expect(413);
    await sut.http().post('/api/v1/media').set(user.auth).field('influencerId', 'not-a-uuid').attach('file', photo, 'photo.png').expect(400);
    await sut.http().post('/api/v1/media').set(user.auth).field('influencerId', '00000000-0000-4000-8000-000000000000').attach('file', photo, 'photo.png').expect(422);
    await sut.http().post('/api/v1/media').set(user.auth).field('color', 'blue').attach('file', photo, 'photo.png').expect(400);

    expect(await books(user.id)).toEqual({ uploads: 0, bytes: 0, reserved: 0, reservations: 0, ledgerUploads: 0, ledgerBytes: 0, media: 0 });
    const usage = await sut.http().get('/api/v1/me/usage').set(user.auth).expect(200);
    expect(usage.body.meters.media[0]).toMatchObject({ metric: 'uploadsPerDay', used: 0, reserved: 0, remaining: UPLOADS_PER_DAY });
  });

  it("does not charge an admin's uploads for a persona", async () => {
    const nova = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id as string;
    for (let index = 0; index < UPLOADS_PER_DAY + 1; index++) {
      await sut.http().post(`/api/v1/admin/influencers/${nova}/media`).set(admin.auth).field('tags', 'quota').attach('file', photo, 'gallery.png').expect(202);
    }

    expect(await books(admin.id)).toMatchObject({ uploads: 0, bytes: 0, reserved: 0, reservations: 0, ledgerUploads: 0 });
    expect(await dataSource.query(`SELECT 1 FROM usage_counters WHERE metric LIKE 'media.%' AND user_id = $1`, [admin.id])).toEqual([]);
  });
});
