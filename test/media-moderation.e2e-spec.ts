import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { FakeModeration } from './support/fake-moderation.js';
import { TestApp } from './support/test-app.js';
import { eventually } from './support/waiting.js';

const ADMIN = { email: 'moderator@example.com', password: 'admin password 123' };

/** The names of the files the local store keeps for one media. */
async function filesOf(dir: string, id: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && join(entry.parentPath, entry.name).includes(id))
    .map((entry) => entry.name)
    .sort();
}

const photo = (background = '#aa3355') => sharp({ create: { width: 64, height: 48, channels: 3, background } }).jpeg().toBuffer();

/** An app moderating through the fake, on a local store of its own, with an admin and two users. */
async function startApp(env: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'chorus-moderation-'));
  const sut = await TestApp.start({ env: { MEDIA_DIR: dir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, MODERATION_TIMEOUT_MS: '2000', ...env } });
  const base = await sut.listen();
  const admin = await signIn(sut, ADMIN.email, ADMIN.password);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field
  type Body = Record<string, any>;
  const upload = async (account: TestAccount, fields: Record<string, string> = {}): Promise<string> => {
    const request = sut.http().post('/api/v1/media').set(account.auth);
    for (const [name, value] of Object.entries(fields)) request.field(name, value);
    const accepted = await request.attach('file', await photo(), { filename: 'photo.jpg', contentType: 'image/jpeg' }).expect(202);
    expect(accepted.body.status).toBe('processing');
    return accepted.body.id as string;
  };
  const mediaOf = async (account: TestAccount, id: string): Promise<Body> => (await sut.http().get(`/api/v1/media/${id}`).set(account.auth).expect(200)).body;
  const settled = (account: TestAccount, id: string, timeoutMs = 10_000) =>
    // Not too often: a user's plan allows 60 requests a minute.
    eventually(`media ${id} processed`, () => mediaOf(account, id), (body) => body['status'] !== 'processing', { timeoutMs, everyMs: 250 });
  /** The admins' view of one media, from their list. */
  const adminView = async (id: string, query: Record<string, string> = {}): Promise<Body | undefined> => {
    const listed = await sut.http().get('/api/v1/admin/media').query({ limit: 100, ...query }).set(admin.auth).expect(200);
    return (listed.body.items as Body[]).find((item) => item['id'] === id);
  };
  const download = async (url: string) => {
    const response = await fetch(new URL(url, base));
    return { status: response.status, type: response.headers.get('content-type') };
  };
  return {
    sut,
    dir,
    admin,
    /** A new user for each test, each with a rate limit of their own. */
    newUser: () => newAccount(sut),
    upload,
    mediaOf,
    settled,
    adminView,
    download,
    async close() {
      await sut.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('media moderation through OpenAI', () => {
  let fake: FakeModeration;
  let app: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    fake = await FakeModeration.start();
    app = await startApp({
      MODERATION_PROVIDER: 'openai',
      MODERATION_OPENAI_API_KEY: 'sk-moderation-test',
      MODERATION_OPENAI_BASE_URL: fake.openaiBaseUrl,
      MODERATION_THRESHOLD_PERCENT: '50',
    });
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  it('makes a clean upload ready, with the verdict on its cleaned image kept', async () => {
    const alice = await app.newUser();
    const id = await app.upload(alice);
    const ready = await app.settled(alice, id);
    expect(ready).toMatchObject({ status: 'ready', contentType: 'image/jpeg' });
    expect(ready['urls']).toBeDefined();

    // What was judged is the cleaned image, as stored.
    const [request] = fake.requests;
    expect(request!.image!.type).toBe('image/jpeg');
    const judged = await sharp(request!.image!.bytes).metadata();
    expect(judged).toMatchObject({ width: 64, height: 48 });
    expect(judged.exif).toBeUndefined();
    expect(await app.adminView(id, { status: 'ready' })).toMatchObject({ moderation: { provider: 'openai', flagged: false, flaggedCategories: [], policyOf: null } });
  });

  it('rejects a flagged upload naming its categories: shown to no one, its files kept for the admins', async () => {
    const [alice, bob] = [await app.newUser(), await app.newUser()];
    fake.answer({ scores: { sexual: 0.97, violence: 0.62 } });
    const id = await app.upload(alice);
    const rejected = await app.settled(alice, id);
    expect(rejected).toMatchObject({ status: 'rejected', rejection: { code: 'moderation_flagged' } });
    expect(rejected['rejection'].detail).toMatch(/sexual, violence/);
    expect(rejected['urls']).toBeUndefined();
    await app.sut.http().get(`/api/v1/media/${id}`).set(bob.auth).expect(404);
    // The cleaned image and its thumbnail are kept (the upload as received is not).
    expect(await filesOf(app.dir, id)).toEqual(['image.jpeg', 'thumbnail.webp']);

    const view = await app.adminView(id);
    expect(view).toMatchObject({
      status: 'rejected',
      owner: { kind: 'user', id: alice.id, name: alice.email },
      rejection: { code: 'moderation_flagged' },
      moderation: { provider: 'openai', flagged: true, flaggedCategories: ['sexual', 'violence'], policyOf: null },
    });
    expect(view!['moderation'].scores).toMatchObject({ sexual: 0.97, violence: 0.62 });
    expect(await app.download(view!['urls'].image)).toEqual({ status: 200, type: 'image/jpeg' });
    expect(await app.download(view!['urls'].thumbnail)).toEqual({ status: 200, type: 'image/webp' });
  });

  it('lets admins approve a flagged file for its owner, or confirm its rejection until the owner deletes it', async () => {
    const alice = await app.newUser();
    fake.answer({ scores: { violence: 0.7 } });
    const [approved, confirmed] = [await app.upload(alice), await app.upload(alice)];
    await app.settled(alice, approved);
    await app.settled(alice, confirmed);

    const approval = await app.sut.http().post(`/api/v1/admin/media/${approved}/review`).set(app.admin.auth).send({ decision: 'approve' }).expect(200);
    expect(approval.body).toMatchObject({ status: 'ready', moderation: { flaggedCategories: ['violence'], review: { decision: 'approved', by: expect.any(String) } } });
    expect(approval.body.rejection).toBeUndefined();
    const nowReady = await app.mediaOf(alice, approved);
    expect(nowReady).toMatchObject({ status: 'ready' });
    expect(await app.download(nowReady['urls'].image)).toEqual({ status: 200, type: 'image/jpeg' });
    // Once approved it is no rejection any more.
    const again = await app.sut.http().post(`/api/v1/admin/media/${approved}/review`).set(app.admin.auth).send({ decision: 'reject' }).expect(409);
    expect(again.body).toMatchObject({ code: 'media_not_reviewable' });

    const confirmation = await app.sut.http().post(`/api/v1/admin/media/${confirmed}/review`).set(app.admin.auth).send({ decision: 'reject' }).expect(200);
    expect(confirmation.body).toMatchObject({ status: 'rejected', moderation: { review: { decision: 'rejected' } } });
    expect(await app.mediaOf(alice, confirmed)).toMatchObject({ status: 'rejected', rejection: { code: 'moderation_flagged' } });
    expect(await app.adminView(confirmed, { reviewed: 'false' })).toBeUndefined();
    expect(await app.adminView(confirmed, { reviewed: 'true', rejectionCode: 'moderation_flagged' })).toBeDefined();
    expect(await filesOf(app.dir, confirmed)).toHaveLength(2);
    await app.sut.http().delete(`/api/v1/media/${confirmed}`).set(alice.auth).expect(204);
    expect(await filesOf(app.dir, confirmed)).toEqual([]);

    const review = (id: string, body: object) => app.sut.http().post(`/api/v1/admin/media/${id}/review`).set(app.admin.auth).send(body);
    expect((await review(approved, { decision: 'maybe' }).expect(400)).body).toMatchObject({ code: 'validation_failed' });
    await review(confirmed, { decision: 'approve' }).expect(404);
    await review('not-a-uuid', { decision: 'approve' }).expect(404);
  });

  it("judges an upload by the policy of the persona it is meant for: an nsfw persona allows `sexual`, the default does not", async () => {
    const alice = await app.newUser();
    const persona = {
      handle: 'after-dark',
      displayName: 'After Dark',
      category: 'adult',
      systemPrompt: 'You are After Dark.',
      greeting: 'Hi',
      nsfw: true,
      moderationPolicy: { allowedCategories: ['Sexual'], thresholds: { violence: 0.9 } },
    };
    const refused = await app.sut.http().post('/api/v1/influencers').set(app.admin.auth).send({ ...persona, moderationPolicy: { thresholds: { violence: 1.5 }, allowedCategories: [' '] } }).expect(400);
    expect(refused.body.errors.map((error: { field: string }) => error.field)).toEqual(expect.arrayContaining(['moderationPolicy.thresholds', 'moderationPolicy.allowedCategories']));
    const created = await app.sut.http().post('/api/v1/influencers').set(app.admin.auth).send(persona).expect(201);
    expect(created.body.moderationPolicy).toEqual({ allowedCategories: ['sexual'], thresholds: { violence: 0.9 } });
    const influencerId = created.body.id as string;
    // Users never see a persona's policy.
    expect((await app.sut.http().get(`/api/v1/influencers/${influencerId}`).set(alice.auth).expect(200)).body.moderationPolicy).toBeUndefined();

    fake.answer({ scores: { sexual: 0.95, violence: 0.62 } });
    const forPersona = await app.upload(alice, { influencerId });
    const forNobody = await app.upload(alice);
    expect(await app.settled(alice, forPersona)).toMatchObject({ status: 'ready', influencerId });
    expect(await app.settled(alice, forNobody)).toMatchObject({ status: 'rejected', rejection: { code: 'moderation_flagged' } });
    expect(await app.adminView(forPersona, { status: 'ready' })).toMatchObject({ moderation: { flagged: false, flaggedCategories: [], policyOf: influencerId } });

    // A persona's own media is judged by its own policy.
    const gallery = await app.sut.http().post(`/api/v1/admin/influencers/${influencerId}/media`).set(app.admin.auth).attach('file', await photo(), { filename: 'g.jpg', contentType: 'image/jpeg' }).expect(202);
    const galleryItem = await eventually('gallery item judged', () => app.adminView(gallery.body.id, { status: 'ready' }), Boolean, { timeoutMs: 10_000, everyMs: 250 });
    expect(galleryItem).toMatchObject({ owner: { kind: 'persona', id: influencerId, name: 'after-dark' }, moderation: { policyOf: influencerId } });

    // Cleared, the default judges again.
    const cleared = await app.sut.http().patch(`/api/v1/influencers/${influencerId}`).set(app.admin.auth).send({ moderationPolicy: null }).expect(200);
    expect(cleared.body.moderationPolicy).toBeNull();
    expect(await app.settled(alice, await app.upload(alice, { influencerId }))).toMatchObject({ status: 'rejected' });
  });

  it('fails closed when the provider is down: processing while the job retries, then rejected as moderation_unavailable', async () => {
    const alice = await app.newUser();
    fake.answer({ status: 500 });
    const id = await app.upload(alice);
    await fake.waitForRequests(1);
    expect(await app.mediaOf(alice, id)).toMatchObject({ status: 'processing' });
    expect(await filesOf(app.dir, id)).toEqual(['upload']);

    // Three runs, 2 s then 4 s apart.
    const rejected = await app.settled(alice, id, 20_000);
    expect(rejected).toMatchObject({ status: 'rejected', rejection: { code: 'moderation_unavailable' } });
    expect(fake.requests).toHaveLength(3);
    expect(await filesOf(app.dir, id)).toEqual([]);
    const view = await app.adminView(id, { rejectionCode: 'moderation_unavailable' });
    expect(view).toMatchObject({ moderation: null });
    expect(view!['urls']).toBeUndefined();
    expect((await app.sut.http().post(`/api/v1/admin/media/${id}/review`).set(app.admin.auth).send({ decision: 'approve' }).expect(409)).body).toMatchObject({
      code: 'media_not_reviewable',
    });
  });

  it('keeps the review routes to admins', async () => {
    const alice = await app.newUser();
    const forbidden = await app.sut.http().get('/api/v1/admin/media').set(alice.auth).expect(403);
    expect(forbidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    await app.sut.http().post(`/api/v1/admin/media/${alice.id}/review`).set(alice.auth).send({ decision: 'approve' }).expect(403);
    await app.sut.http().get('/api/v1/admin/media').expect(401);
  });

  it('pages the queue newest first', async () => {
    const bob = await app.newUser();
    fake.answer({ scores: { hate: 0.8 } });
    const ids = [await app.upload(bob), await app.upload(bob), await app.upload(bob)];
    for (const id of ids) await app.settled(bob, id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await app.sut.http().get('/api/v1/admin/media').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(app.admin.auth).expect(200);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    const ours = seen.filter((id) => ids.includes(id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(ours).toHaveLength(3);
    expect(seen.indexOf(ids[2]!)).toBeLessThan(seen.indexOf(ids[0]!));
    await app.sut.http().get('/api/v1/admin/media').query({ cursor: 'forged' }).set(app.admin.auth).expect(400);
  });
});

describe('moderation of what a user sends to a persona', () => {
  let fake: FakeModeration;
  let app: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    fake = await FakeModeration.start();
    app = await startApp({ MODERATION_PROVIDER: 'openai', MODERATION_OPENAI_BASE_URL: fake.openaiBaseUrl, MODERATION_TEXT: 'true', SEED_EXAMPLE_PERSONAS: 'false' });
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  const persona = async (handle: string, moderationPolicy?: Record<string, unknown>): Promise<string> =>
    (
      await app.sut
        .http()
        .post('/api/v1/influencers')
        .set(app.admin.auth)
        .send({ handle, displayName: handle, category: 'test', systemPrompt: `You are ${handle}.`, greeting: 'Hi', moderationPolicy })
        .expect(201)
    ).body.id as string;
  const conversationWith = async (account: TestAccount, influencerId: string): Promise<string> =>
    (await app.sut.http().post('/api/v1/conversations').set(account.auth).send({ influencerId }).expect(201)).body.id as string;
  const send = (account: TestAccount, conversationId: string, body: Record<string, unknown>) =>
    app.sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(account.auth).send({ clientMessageId: randomUUID(), ...body });
  /** The user's messages in a conversation (the persona's greeting aside). */
  const sentMessages = async (account: TestAccount, conversationId: string) =>
    ((await app.sut.http().get(`/api/v1/conversations/${conversationId}/messages`).set(account.auth).expect(200)).body.items as Array<{ role: string }>).filter(
      (message) => message.role === 'user',
    );

  it("refuses an image judged for one persona's policy in a conversation with a stricter one, and sends it to the first", async () => {
    const alice = await app.newUser();
    const permissive = await persona('permissive', { allowedCategories: ['sexual'] });
    const strict = await persona('strict');
    fake.answer({ scores: { sexual: 0.9 } });
    const id = await app.upload(alice, { influencerId: permissive });
    expect(await app.settled(alice, id)).toMatchObject({ status: 'ready' });

    fake.answer({ scores: {} });
    const strictConversation = await conversationWith(alice, strict);
    const refused = await send(alice, strictConversation, { content: 'look', attachments: [id] }).expect(422);
    expect(refused.body).toMatchObject({ code: 'content_flagged', categories: ['sexual'] });
    expect(await sentMessages(alice, strictConversation)).toEqual([]);

    const sent = await send(alice, await conversationWith(alice, permissive), { content: 'look', attachments: [id] });
    expect(sent.status).toBeLessThan(300);
  });

  it('refuses a message whose text is flagged, storing nothing, and sends a clean one', async () => {
    const bob = await app.newUser();
    const conversationId = await conversationWith(bob, await persona('listener'));
    fake.answer({ scores: { harassment: 0.97 } });
    const refused = await send(bob, conversationId, { content: 'something hateful' }).expect(422);
    expect(refused.body).toMatchObject({ code: 'content_flagged', categories: ['harassment'] });
    expect(fake.requests.at(-1)).toMatchObject({ text: 'something hateful' });
    expect(await sentMessages(bob, conversationId)).toEqual([]);

    fake.answer({ scores: { harassment: 0.01 } });
    await send(bob, conversationId, { content: 'hello there' }).expect((response) => expect(response.status).toBeLessThan(300));
    expect(await sentMessages(bob, conversationId)).toHaveLength(1);
  });
});

describe('media moderation through Rekognition', () => {
  let fake: FakeModeration;
  let app: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    fake = await FakeModeration.start();
    app = await startApp({
      MODERATION_PROVIDER: 'rekognition',
      REKOGNITION_ENDPOINT: fake.origin,
      REKOGNITION_REGION: 'eu-west-1',
      REKOGNITION_ACCESS_KEY_ID: 'AKIDMODERATIONTEST',
      REKOGNITION_SECRET_ACCESS_KEY: 'moderation-test-secret',
    });
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  it('rejects what Rekognition labels explicit, as `sexual`, and makes a clean upload ready', async () => {
    const alice = await app.newUser();
    fake.answer({
      labels: [
        { Name: 'Explicit Nudity', ParentName: '', Confidence: 98.1 },
        { Name: 'Graphic Female Nudity', ParentName: 'Explicit Nudity', Confidence: 98.1 },
      ],
    });
    const flagged = await app.upload(alice);
    expect(await app.settled(alice, flagged)).toMatchObject({ status: 'rejected', rejection: { code: 'moderation_flagged' } });
    expect(await app.adminView(flagged)).toMatchObject({ moderation: { provider: 'rekognition', flaggedCategories: ['sexual'], scores: { sexual: 0.981 } } });

    fake.answer({});
    const clean = await app.upload(alice);
    expect(await app.settled(alice, clean)).toMatchObject({ status: 'ready' });
    expect(fake.requests.map((request) => request.protocol)).toEqual(['rekognition', 'rekognition']);
  });
});
