import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { avatarSpeechOf, createChorusClient, type AvatarSpeakCommand } from '#chorus/sdk';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { ServerProcess } from './support/server-process.js';
import { TestApp } from './support/test-app.js';
import { until } from './support/waiting.js';

const ADMIN = { email: 'avatar-admin@example.com', password: 'admin password 123' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = Record<string, any>;

/**
 * Streaming avatars over HTTP on the simulated provider (the embedded default): the lifecycle a
 * client drives (start, keep alive, stop) and the SDK's helpers, what a refused start leaves
 * (nothing), who may see and change what, and a session outliving a process killed with -9.
 * LiveAvatar's wire protocol, the sweeper and the ledger's exactness are in avatar.medium.spec.ts.
 */
describe('avatar sessions', () => {
  let sut: TestApp;
  let base: string;
  let dataSource: DataSource;
  let admin: TestAccount;
  let novaId: string;

  beforeAll(async () => {
    sut = await TestApp.start({
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        SIMULATED_FIRST_TOKEN_MS: '0',
        SIMULATED_TOKENS_PER_SECOND: '2000',
        AVATAR_MIN_SESSION_SECONDS: '30',
        PLANS: JSON.stringify({ free: { requestsPerMinute: 10_000, avatar: { secondsPerMonth: 300, concurrentSessions: 1 } } }),
      },
    });
    base = await sut.listen();
    dataSource = sut.app.get(DataSource);
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    novaId = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
  });

  afterAll(async () => {
    await sut?.close();
  });

  const start = (account: TestAccount, body: Body) => sut.http().post('/api/v1/avatar/sessions').set(account.auth).send(body);
  /** What a start could change: the user's sessions, avatar counters and ledger events. */
  const footprint = async (account: TestAccount) => {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*) FROM avatar_sessions WHERE user_id = $1)::int AS sessions,
              (SELECT coalesce(sum(used + reserved), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'avatar.seconds')::int AS seconds,
              (SELECT count(*) FROM usage_events WHERE user_id = $1 AND modality = 'avatar')::int AS events`,
      [account.id],
    );
    return row as { sessions: number; seconds: number; events: number };
  };

  it('starts, keeps alive and stops a simulated session, billing the seconds it ran', async () => {
    const alice = await newAccount(sut);
    const persona = (await sut.http().get('/api/v1/influencers/nova').set(alice.auth).expect(200)).body;
    expect(persona.hasLiveAvatar).toBe(true);
    expect(persona.avatar).toBeUndefined();

    // A null conversation is no conversation.
    const started = (await start(alice, { influencerId: 'nova', conversationId: null }).expect(201)).body;
    expect(started.session).toMatchObject({ influencerId: novaId, provider: 'simulated', status: 'active', reservedSeconds: 300, userId: alice.id });
    expect(started.join).toMatchObject({ transport: 'none', url: null, token: null, simulated: true });
    const id = started.session.id as string;

    const alive = (await sut.http().post(`/api/v1/avatar/sessions/${id}/keep-alive`).set(alice.auth).expect(200)).body;
    expect(alive.status).toBe('active');
    expect((await sut.http().get('/api/v1/avatar/sessions').set(alice.auth).expect(200)).body.items.map((item: Body) => item.id)).toEqual([id]);

    const stopped = (await sut.http().post(`/api/v1/avatar/sessions/${id}/stop`).set(alice.auth).expect(200)).body;
    expect(stopped).toMatchObject({ status: 'stopped', stopReason: 'user', billedSeconds: expect.any(Number) });
    expect((await sut.http().post(`/api/v1/avatar/sessions/${id}/stop`).set(alice.auth).expect(200)).body).toEqual(stopped);
    const ended = await sut.http().post(`/api/v1/avatar/sessions/${id}/keep-alive`).set(alice.auth).expect(409);
    expect(ended.body).toMatchObject({ code: 'avatar_session_ended', status: 409 });
    expect(ended.headers['content-type']).toMatch(/^application\/problem\+json/);

    const usage = (await sut.http().get('/api/v1/me/usage').set(alice.auth).expect(200)).body;
    expect(usage.meters.avatar).toEqual([expect.objectContaining({ metric: 'secondsPerMonth', used: stopped.billedSeconds, reserved: 0, limit: 300 })]);
    expect(await footprint(alice)).toEqual({ sessions: 1, seconds: stopped.billedSeconds, events: 1 });
  });

  it('refuses a start that cannot be served with a problem, and changes nothing', async () => {
    const alice = await newAccount(sut);
    const bob = await newAccount(sut);
    const bobsConversation = (await sut.http().post('/api/v1/conversations').set(bob.auth).send({ influencerId: novaId }).expect(201)).body.id;
    const sage = (await sut.http().get('/api/v1/influencers/sage').expect(200)).body.id;
    const alicesSageConversation = (await sut.http().post('/api/v1/conversations').set(alice.auth).send({ influencerId: sage }).expect(201)).body.id;
    const plain = (
      await sut.http().post('/api/v1/influencers').set(admin.auth)
        .send({ handle: `plain-${randomUUID().slice(0, 6)}`, displayName: 'Plain', category: 'test', systemPrompt: 'You are plain.', greeting: 'Hi.' })
        .expect(201)
    ).body.id;

    const refusals: Array<[Body, number, string]> = [
      [{}, 400, 'validation_failed'],
      [{ influencerId: 'nova', conversationId: 'not-a-uuid' }, 400, 'validation_failed'],
      [{ influencerId: 'nova', extra: true }, 400, 'validation_failed'],
      [{ influencerId: 'nobody-here' }, 404, 'not_found'],
      [{ influencerId: plain }, 409, 'avatar_unavailable'],
      [{ influencerId: 'nova', conversationId: bobsConversation }, 404, 'not_found'],
      [{ influencerId: 'nova', conversationId: alicesSageConversation }, 422, 'conversation_persona_mismatch'],
    ];
    for (const [body, status, code] of refusals) {
      const response = await start(alice, body);
      expect({ body, status: response.status, code: response.body.code }).toEqual({ body, status, code });
    }
    expect(await footprint(alice)).toEqual({ sessions: 0, seconds: 0, events: 0 });

    const first = (await start(alice, { influencerId: 'nova' }).expect(201)).body.session.id;
    expect((await start(alice, { influencerId: 'sage' }).expect(409)).body).toMatchObject({ code: 'avatar_session_limit', limit: 1 });
    expect(await footprint(alice)).toEqual({ sessions: 1, seconds: 300, events: 0 });
    await sut.http().post(`/api/v1/avatar/sessions/${first}/stop`).set(alice.auth).expect(200);

    await dataSource.query('INSERT INTO quota_overrides (user_id, limits) VALUES ($1, $2)', [bob.id, JSON.stringify({ avatar: { secondsPerMonth: 0 } })]);
    expect((await start(bob, { influencerId: 'nova' }).expect(403)).body.code).toBe('plan_required');
    await dataSource.query('UPDATE quota_overrides SET limits = $2 WHERE user_id = $1', [bob.id, JSON.stringify({ avatar: { secondsPerMonth: 20 } })]);
    expect((await start(bob, { influencerId: 'nova' }).expect(429)).body).toMatchObject({ code: 'quota_exceeded', limit: 'avatar.secondsPerMonth', max: 20 });
    expect(await footprint(bob)).toEqual({ sessions: 0, seconds: 0, events: 0 });
  });

  it("keeps another user's sessions and the avatar settings out of reach", async () => {
    const alice = await newAccount(sut);
    const bob = await newAccount(sut);
    const id = (await start(alice, { influencerId: 'nova' }).expect(201)).body.session.id;

    for (const request of [
      sut.http().get(`/api/v1/avatar/sessions/${id}`),
      sut.http().post(`/api/v1/avatar/sessions/${id}/keep-alive`),
      sut.http().post(`/api/v1/avatar/sessions/${id}/stop`),
    ]) {
      expect((await request.set(bob.auth).expect(404)).body.code).toBe('not_found');
    }
    expect((await sut.http().get(`/api/v1/avatar/sessions/${randomUUID()}`).set(alice.auth).expect(404)).body.code).toBe('not_found');
    expect((await sut.http().get('/api/v1/avatar/sessions').set(bob.auth).expect(200)).body.items).toEqual([]);
    expect((await sut.http().get(`/api/v1/avatar/sessions/${id}`).set(admin.auth).expect(200)).body.status).toBe('active');
    await sut.http().get('/api/v1/avatar/sessions').expect(401);

    await sut.http().patch(`/api/v1/influencers/${novaId}`).set(bob.auth).send({ avatar: { avatarId: 'mine' } }).expect(403);
    for (const avatar of [[], [{ avatarId: 'x' }], 'x', { quality: 'high' }]) {
      await sut.http().patch(`/api/v1/influencers/${novaId}`).set(admin.auth).send({ avatar }).expect(400);
    }
    const bad = await sut.http().patch(`/api/v1/influencers/${novaId}`).set(admin.auth).send({ avatar: { provider: 'heygen-classic', avatarId: 'x' } }).expect(400);
    expect(bad.body.code).toBe('unknown_avatar_provider');
    await sut.http().patch(`/api/v1/influencers/${novaId}`).set(admin.auth).send({ avatar: { avatarId: 'x', quality: 'ultra' } }).expect(400);
    await sut.http().patch(`/api/v1/influencers/${novaId}`).set(admin.auth).send({ avatar: { avatarId: 'x y' } }).expect(400);
    const asAdmin = (await sut.http().get(`/api/v1/influencers/${novaId}`).set(admin.auth).expect(200)).body;
    expect(asAdmin.avatar).toEqual({ provider: 'simulated', avatarId: 'nova', language: 'en' });

    await sut.http().post(`/api/v1/avatar/sessions/${id}/stop`).set(alice.auth).expect(200);
  });

  it('drives a session from the SDK: keep-alives by themselves, and a reply spoken a sentence at a time', async () => {
    const carol = await newAccount(sut);
    const chorus = createChorusClient({ baseUrl: base, credentials: { accessToken: carol.accessToken } });
    const conversation = await chorus.api.createConversation({ body: { influencerId: novaId } });

    const live = await chorus.startAvatarSession(novaId, { conversationId: conversation.id, keepAliveMs: 100 });
    expect(live.join).toMatchObject({ transport: 'none', simulated: true });
    await until('a keep-alive from the SDK', () => live.session.lastKeepAliveAt !== live.session.startedAt);

    const commands: AvatarSpeakCommand[] = [];
    for await (const command of avatarSpeechOf(chorus.sendMessageStream(conversation.id, { content: 'Tell me about Saturn. Keep it short!' }))) commands.push(command);
    const history = await chorus.api.listMessages({ path: { id: conversation.id } });
    const reply = history.items.at(-1)!;
    expect(reply.role).toBe('assistant');
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.every((command) => command.event_type === 'avatar.speak_text' && command.text.length > 0)).toBe(true);
    expect(commands.map((command) => command.text).join(' ').replace(/\s+/g, ' ')).toBe(reply.content.trim().replace(/\s+/g, ' '));

    const stopped = await live.stop();
    expect(stopped).toMatchObject({ status: 'stopped', conversationId: conversation.id });
    expect(await live.ended).toEqual(stopped);
  });
});

describe('avatar sessions after a crash', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'chorus-avatar-crash-'));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('ends and bills a session left active by a process killed with -9, when the embedded server starts again', async () => {
    const env = { EMBEDDED_DB_DIR: join(work, 'pg'), MEDIA_DIR: join(work, 'media'), LOG_FORMAT: 'json' };
    const first = await ServerProcess.start(undefined, env);
    let id: string;
    let auth: { Authorization: string };
    try {
      const api = `${first.baseUrl}/api/v1`;
      const json = { 'Content-Type': 'application/json' };
      const registered = (await fetch(`${api}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'crash@example.com', password: 'correct horse battery' }) }).then((response) =>
        response.json(),
      )) as { tokens: { accessToken: string } };
      auth = { Authorization: `Bearer ${registered.tokens.accessToken}` };
      const started = (await fetch(`${api}/avatar/sessions`, { method: 'POST', headers: { ...auth, ...json }, body: JSON.stringify({ influencerId: 'nova' }) }).then((response) => response.json())) as Body;
      expect(started.session.status).toBe('active');
      id = started.session.id;
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    } finally {
      await first.stop('SIGKILL');
    }

    const second = await ServerProcess.start(undefined, env);
    try {
      const api = `${second.baseUrl}/api/v1`;
      const session = (await fetch(`${api}/avatar/sessions/${id}`, { headers: auth }).then((response) => response.json())) as Body;
      expect(session).toMatchObject({ status: 'expired', stopReason: 'abandoned', billedSeconds: expect.any(Number) });
      expect(session.billedSeconds).toBeGreaterThanOrEqual(1);
      const usage = (await fetch(`${api}/me/usage`, { headers: auth }).then((response) => response.json())) as Body;
      expect(usage.meters.avatar).toEqual([expect.objectContaining({ used: session.billedSeconds, reserved: 0 })]);
      expect(second.logged('left open by a process that stopped')).toHaveLength(1);
    } finally {
      await second.stop('SIGTERM');
    }
    // Two servers started from source, one after the other.
  }, 150_000);
});
