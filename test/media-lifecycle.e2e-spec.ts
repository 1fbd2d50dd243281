import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { MediaGarbageCollector } from '../libs/media/src/media-garbage-collector.js';
import { newAccount, type TestAccount } from './support/accounts.js';
import { startFakeS3, type FakeS3 } from './support/fake-s3.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestApp } from './support/test-app.js';
import { eventually } from './support/waiting.js';

/** Every file under `dir` whose path names `id`: the objects the store keeps for one media. */
async function filesOf(dir: string, id: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile() && join(entry.parentPath, entry.name).includes(id)).map((entry) => entry.name);
}

const photo = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#aa3355' } }).png().toBuffer();

async function uploadReady(sut: TestApp, account: TestAccount): Promise<string> {
  const accepted = await sut.http().post('/api/v1/media').set(account.auth).attach('file', await photo(), { filename: 'p.png', contentType: 'image/png' }).expect(202);
  const id = accepted.body.id as string;
  await eventually(
    `media ${id} ready`,
    async () => (await sut.http().get(`/api/v1/media/${id}`).set(account.auth)).body.status as string,
    (status) => status !== 'processing',
    { timeoutMs: 10_000, everyMs: 50 },
  );
  return id;
}

const queued = async (sut: TestApp): Promise<Array<{ storage_key: string; attempts: number }>> =>
  sut.app.get(DataSource).query('SELECT storage_key, attempts FROM media_garbage ORDER BY storage_key');

describe('media objects are deleted with whatever owned them', () => {
  describe('on the local store', () => {
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

    it('deletes the files of an account that is deleted, through the queue the database fills', async () => {
      const carol = await newAccount(sut);
      const id = await uploadReady(sut, carol);
      expect(await filesOf(dir, id)).toHaveLength(2);

      await sut.http().delete('/api/v1/me').set(carol.auth).send({ password: carol.password }).expect(204);
      // The cascade deleted the record; its objects wait in the queue until the collector runs.
      expect((await queued(sut)).map((row) => row.storage_key)).toEqual(expect.arrayContaining([expect.stringContaining(id)]));
      expect(await filesOf(dir, id)).toHaveLength(2);

      await sut.app.get(MediaGarbageCollector).collect();
      expect(await filesOf(dir, id)).toEqual([]);
      expect(await queued(sut)).toEqual([]);
    });

    it('deletes the files at once when the owner deletes the media', async () => {
      const dave = await newAccount(sut);
      const id = await uploadReady(sut, dave);
      await sut.http().delete(`/api/v1/media/${id}`).set(dave.auth).expect(204);
      expect(await filesOf(dir, id)).toEqual([]);
      expect(await queued(sut)).toEqual([]);
    });
  });

  describe('on an S3 store that is down when the media is deleted', () => {
    let sut: TestApp;
    let s3: FakeS3;
    let proxy: TcpProxy;

    beforeAll(async () => {
      s3 = await startFakeS3();
      const { endpoint, region, bucket, accessKeyId, secretAccessKey } = s3.config;
      proxy = await TcpProxy.start(endpoint!);
      sut = await TestApp.start({
        env: {
          MEDIA_STORE: 's3',
          S3_ENDPOINT: proxy.urlFor(endpoint!).replace(/\/$/, ''),
          S3_REGION: region,
          S3_BUCKET: bucket,
          S3_ACCESS_KEY_ID: accessKeyId!,
          S3_SECRET_ACCESS_KEY: secretAccessKey!,
          S3_FORCE_PATH_STYLE: 'true',
        },
      });
    });

    afterAll(async () => {
      await sut?.close();
      await proxy?.close();
      await s3?.stop();
    });

    it('keeps the keys queued, and deletes the objects once the store is back', async () => {
      const erin = await newAccount(sut);
      const id = await uploadReady(sut, erin);
      expect(await filesOf(s3.directory, id)).not.toEqual([]);

      proxy.cut();
      // The record goes now; the objects cannot, and stay queued for a later try.
      await sut.http().delete(`/api/v1/media/${id}`).set(erin.auth).expect(204);
      await sut.http().get(`/api/v1/media/${id}`).set(erin.auth).expect(404);
      const waiting = await queued(sut);
      expect(waiting).toHaveLength(2);
      expect(waiting.every((row) => row.attempts === 1)).toBe(true);

      proxy.restore();
      // Not due yet: the retry waits (30 s after a first failure).
      expect(await sut.app.get(MediaGarbageCollector).collect()).toBe(0);
      await sut.app.get(DataSource).query(`UPDATE media_garbage SET due_at = now()`);
      expect(await sut.app.get(MediaGarbageCollector).collect()).toBe(2);
      expect(await filesOf(s3.directory, id)).toEqual([]);
      expect(await queued(sut)).toEqual([]);
    });
  });
});
