import { randomUUID } from 'node:crypto';
import { ManualClock, MetricsService } from '#chorus/core';
import { QuotaService, type Caller } from '#chorus/usage';
import { FakeLiveAvatar } from '../../../test/support/fake-liveavatar.js';
import { createMediumContext, failure, type MediumContext, type TestInfluencer, type TestUser } from '../../../test/support/medium-context.js';
import { until } from '../../../test/support/waiting.js';
import { AvatarService } from './avatar.service.js';

const API_KEY = 'la-secret-key-0123456789';
const PLANS = JSON.stringify({ free: { avatar: { secondsPerMonth: 600, concurrentSessions: 1 } }, pro: { avatar: { secondsPerMonth: null, concurrentSessions: 2 } } });
const START = new Date('2026-06-10T12:00:00.000Z');

/**
 * Medium tier: avatar sessions through the application's AvatarService on a real database,
 * against a wire-compatible fake of LiveAvatar, with a manual clock driving the sweeper (its
 * job's own schedule is pushed out of the way): what the provider was asked, what the ledger
 * billed, and that no session is left running at the provider.
 */
describe('AvatarService with LiveAvatar', () => {
  let ctx: MediumContext;
  let fake: FakeLiveAvatar;
  let sut: AvatarService;
  let clock: ManualClock;
  let persona: TestInfluencer;

  beforeAll(async () => {
    fake = await FakeLiveAvatar.start(API_KEY);
    clock = new ManualClock(START);
    ctx = await createMediumContext({
      clock,
      env: {
        PLANS,
        LIVEAVATAR_API_KEY: API_KEY,
        LIVEAVATAR_BASE_URL: fake.origin,
        LIVEAVATAR_USD_PER_MINUTE: '0.6',
        AVATAR_MAX_SESSION_SECONDS: '300',
        AVATAR_MIN_SESSION_SECONDS: '30',
        AVATAR_IDLE_TIMEOUT_SECONDS: '60',
        AVATAR_START_TIMEOUT_SECONDS: '30',
        AVATAR_SWEEP_INTERVAL_MS: '600000',
        AVATAR_PROVIDER_TIMEOUT_MS: '2000',
        AVATAR_BREAKER_THRESHOLD: '0',
      },
    });
    sut = ctx.get(AvatarService);
    persona = await ctx.newInfluencer();
    await ctx.query(`UPDATE influencers SET avatar = $2 WHERE id = $1`, [persona.id, JSON.stringify({ avatarId: 'avatar-7', quality: 'medium', language: 'fr' })]);
  });

  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  beforeEach(() => {
    fake.reset();
    clock.set(START);
  });

  afterEach(() => {
    // Whatever a test did, nothing it started may still run at the provider.
    expect(fake.running()).toEqual([]);
  });

  const callerOf = (user: TestUser): Caller => ({ userId: user.id, plan: user.plan, role: user.role });
  const advance = (seconds: number): void => clock.set(new Date(clock.now().getTime() + seconds * 1000));
  /** The user's avatar counter, its holds and ledger events. */
  const books = async (user: TestUser) => {
    const [row] = await ctx.query<Record<string, number>>(
      `SELECT (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'avatar.seconds')::int AS used,
              (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'avatar.seconds')::int AS held,
              (SELECT count(*) FROM usage_reservations WHERE user_id = $1)::int AS reservations,
              (SELECT count(*) FROM usage_events WHERE user_id = $1 AND modality = 'avatar')::int AS events`,
      [user.id],
    );
    return row!;
  };
  const tokenRequests = () => fake.requests.filter((request) => request.endpoint === 'token');

  it('starts a session at the provider with the persona\'s settings, keeps it alive, and bills the seconds it ran once when stopped', async () => {
    const user = await ctx.newUser();

    const started = await sut.start(callerOf(user), { influencerId: persona.id });

    expect(started.session).toMatchObject({ status: 'active', provider: 'liveavatar', reservedSeconds: 300 });
    expect(started.join).toEqual({ transport: 'livekit', url: 'wss://livekit.fake.example', token: expect.stringMatching(/^client-/) });
    expect(started.expiresAt).toEqual(new Date(START.getTime() + 300_000));
    const [token, start] = fake.requests;
    expect(token!.headers['x-api-key']).toBe(API_KEY);
    expect(token!.json).toMatchObject({ mode: 'FULL', avatar_id: 'avatar-7', max_session_duration: 300, video_settings: { quality: 'medium' }, avatar_persona: { language: 'fr' } });
    expect(start!.headers.authorization).toMatch(/^Bearer token-/);
    expect(start!.headers['x-api-key']).toBeUndefined();
    expect(await books(user)).toEqual({ used: 0, held: 300, reservations: 1, events: 0 });

    advance(20);
    await sut.keepAlive(callerOf(user), started.session.id);
    expect(fake.running()[0]!.keepAlives).toBe(1);

    advance(22.3);
    const stopped = await sut.stop(callerOf(user), started.session.id);
    const again = await sut.stop(callerOf(user), started.session.id);

    expect(stopped).toMatchObject({ status: 'stopped', stopReason: 'user', billedSeconds: 43 });
    expect(again).toEqual(stopped);
    expect(fake.stops).toEqual([{ sessionId: [...fake.sessions.keys()][0], reason: 'USER_CLOSED' }]);
    expect(await books(user)).toEqual({ used: 43, held: 0, reservations: 0, events: 1 });
    const [event] = await ctx.query('SELECT quantity, cost_micros, provider, model FROM usage_events WHERE user_id = $1', [user.id]);
    expect(event).toEqual({ quantity: '43', cost_micros: '430000', provider: 'liveavatar', model: null });
    expect(await failure(sut.keepAlive(callerOf(user), started.session.id))).toBe('avatar_session_ended');
  });

  it.each([
    ['the key is refused', { token: { status: 401, code: 4001, message: 'Invalid API key' } }, 'avatar_provider_unavailable'],
    ['it does not know the avatar', { token: { status: 422, message: 'avatar_id: unknown avatar' } }, 'avatar_provider_failed'],
    ['it has no capacity to start', { start: { status: 429, message: 'Too many concurrent sessions' } }, 'avatar_provider_unavailable'],
    ['it fails', { start: { status: 500 } }, 'avatar_provider_unavailable'],
  ])('leaves no running session and no charge when the provider refuses: %s', async (_case, answer, code) => {
    const user = await ctx.newUser();
    fake.answer(answer);

    expect(await failure(sut.start(callerOf(user), { influencerId: persona.id }))).toBe(code);

    expect(await books(user)).toEqual({ used: 0, held: 0, reservations: 0, events: 0 });
    expect(await ctx.query(`SELECT status, stop_reason, billed_seconds FROM avatar_sessions WHERE user_id = $1`, [user.id])).toEqual([{ status: 'failed', stop_reason: 'start_failed', billed_seconds: 0 }]);
    // A session the provider created before it failed to start is stopped there.
    expect(fake.stops.length).toBe([...fake.sessions.values()].filter((session) => session.state === 'stopped').length);
    fake.reset();
    expect((await sut.start(callerOf(user), { influencerId: persona.id })).session.status).toBe('active');
    await sut.sweep();
    advance(61);
    await sut.sweep();
  });

  it('stops a session at its longest, billing exactly that, while it is kept alive', async () => {
    const user = await ctx.newUser();
    const { session } = await sut.start(callerOf(user), { influencerId: persona.id });

    for (let second = 50; second < 300; second += 50) {
      advance(50);
      await sut.keepAlive(callerOf(user), session.id);
      await sut.sweep();
    }
    expect(fake.stops).toEqual([]);
    advance(50);
    await sut.sweep();
    await sut.sweep();

    expect(await sut.get(callerOf(user), session.id)).toMatchObject({ status: 'expired', stopReason: 'max_duration', billedSeconds: 300 });
    expect(fake.stops).toEqual([{ sessionId: expect.any(String), reason: 'MAX_DURATION_REACHED' }]);
    expect(await books(user)).toEqual({ used: 300, held: 0, reservations: 0, events: 1 });
    expect(await ctx.get(MetricsService).exposition()).toMatch(/chorus_avatar_sessions_ended_total\{provider="liveavatar",reason="max_duration"\} 1\n/);
  });

  it('stops a session whose keep-alives stopped, billing until it was stopped', async () => {
    const user = await ctx.newUser();
    const { session } = await sut.start(callerOf(user), { influencerId: persona.id });

    advance(30);
    await sut.keepAlive(callerOf(user), session.id);
    advance(59);
    await sut.sweep();
    expect(fake.stops).toEqual([]);
    advance(2);
    await sut.sweep();

    expect(await sut.get(callerOf(user), session.id)).toMatchObject({ status: 'expired', stopReason: 'idle', billedSeconds: 91 });
    expect(fake.stops).toEqual([{ sessionId: expect.any(String), reason: 'IDLE_TIMEOUT' }]);
    expect(await books(user)).toEqual({ used: 91, held: 0, reservations: 0, events: 1 });
  });

  it('gives a session only the minutes left, stops it when they run out, and then refuses to start another without calling the provider', async () => {
    const user = await ctx.newUser({ quotaOverrides: { avatar: { secondsPerMonth: 100 } } });
    const { session } = await sut.start(callerOf(user), { influencerId: persona.id });
    expect(session.reservedSeconds).toBe(100);
    expect(tokenRequests()[0]!.json).toMatchObject({ max_session_duration: 100 });

    advance(50);
    await sut.keepAlive(callerOf(user), session.id);
    advance(50);
    await sut.sweep();

    expect(await sut.get(callerOf(user), session.id)).toMatchObject({ status: 'expired', stopReason: 'quota', billedSeconds: 100 });
    expect(fake.stops).toEqual([{ sessionId: expect.any(String), reason: 'NO_CREDITS' }]);
    expect(await books(user)).toEqual({ used: 100, held: 0, reservations: 0, events: 1 });

    fake.reset();
    expect(await failure(sut.start(callerOf(user), { influencerId: persona.id }))).toBe('quota_exceeded');
    expect(fake.requests).toEqual([]);
    expect(await books(user)).toEqual({ used: 100, held: 0, reservations: 0, events: 1 });
    expect(await ctx.count(`SELECT count(*) FROM avatar_sessions WHERE user_id = $1`, [user.id])).toBe(1);
  });

  it('lets exactly one of two simultaneous starts through a cap of one', async () => {
    const user = await ctx.newUser();

    const outcomes = await Promise.all([1, 2].map(() => failure(sut.start(callerOf(user), { influencerId: persona.id }))));

    expect(outcomes.sort()).toEqual(['avatar_session_limit', 'no failure']);
    expect(tokenRequests()).toHaveLength(1);
    expect(await books(user)).toEqual({ used: 0, held: 300, reservations: 1, events: 0 });
    const [open] = await ctx.query<{ id: string }>(`SELECT id FROM avatar_sessions WHERE user_id = $1 AND status = 'active'`, [user.id]);
    await sut.stop(callerOf(user), open!.id);
  });

  it('stops and settles a session left starting by a process that died, and releases its minutes unbilled', async () => {
    const user = await ctx.newUser();
    // What a process that died between the provider's token and its start leaves: a session row, its hold, a session at the provider.
    const opened = (await fetch(`${fake.origin}/v1/sessions/token`, {
      method: 'POST',
      headers: { 'X-API-KEY': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'FULL', avatar_id: 'avatar-7' }),
    }).then((response) => response.json())) as { data: { session_id: string } };
    const id = randomUUID();
    await ctx.query(
      `INSERT INTO avatar_sessions (id, user_id, influencer_id, provider, avatar_id, provider_session_id, status, reserved_seconds, created_at)
       VALUES ($1, $2, $3, 'liveavatar', 'avatar-7', $4, 'starting', 300, $5)`,
      [id, user.id, persona.id, opened.data.session_id, START],
    );
    await ctx.get(QuotaService).reserveAvatar(callerOf(user), id, 300, 900);

    advance(29);
    await sut.sweep();
    expect(fake.stops).toEqual([]);
    advance(2);
    await sut.sweep();

    expect(await sut.get(callerOf(user), id)).toMatchObject({ status: 'failed', stopReason: 'abandoned', billedSeconds: 0 });
    expect(fake.stops).toEqual([{ sessionId: opened.data.session_id, reason: 'ZOMBIE_SESSION_REAP' }]);
    expect(await books(user)).toEqual({ used: 0, held: 0, reservations: 0, events: 0 });
  });

  it('asks the provider again, at each sweep, to stop a session it did not confirm stopping', async () => {
    const user = await ctx.newUser();
    const { session } = await sut.start(callerOf(user), { influencerId: persona.id });
    fake.answer({ stop: { status: 503, message: 'try later' } });
    advance(10);

    expect(await sut.stop(callerOf(user), session.id)).toMatchObject({ status: 'stopped', billedSeconds: 10 });
    expect(fake.running()).toHaveLength(1);
    await expect(sut.sweep()).rejects.toThrow('could not be ended');
    expect(fake.running()).toHaveLength(1);

    fake.answer({});
    await sut.sweep();
    await sut.sweep();
    expect(fake.stops).toEqual([{ sessionId: expect.any(String), reason: 'USER_CLOSED' }]);
    expect(await books(user)).toEqual({ used: 10, held: 0, reservations: 0, events: 1 });
  });

  it('gives a start up when the provider is slower than the start timeout, and stops what the provider opened late', async () => {
    const user = await ctx.newUser();
    fake.answer({ token: { delayMs: 500 } });

    const starting = failure(sut.start(callerOf(user), { influencerId: persona.id }));
    await until('the token request', () => fake.requests.length === 1);
    advance(31);
    await sut.sweep();

    expect(await starting).toBe('avatar_session_ended');
    expect(await ctx.query(`SELECT status, stop_reason FROM avatar_sessions WHERE user_id = $1`, [user.id])).toEqual([{ status: 'failed', stop_reason: 'abandoned' }]);
    expect(fake.stops).toHaveLength(1);
    expect(fake.requests.map((request) => request.endpoint)).toEqual(['token', 'stop']);
    expect(await books(user)).toEqual({ used: 0, held: 0, reservations: 0, events: 0 });
  });

  it('bills a session that ran past the life of its hold (released by the quota sweep) all the same', async () => {
    const user = await ctx.newUser();
    const { session } = await sut.start(callerOf(user), { influencerId: persona.id });
    await ctx.query(`UPDATE usage_reservations SET expires_at = now() - interval '1 second' WHERE message_id = $1`, [session.id]);
    await ctx.get(QuotaService).releaseExpired();
    expect(await books(user)).toEqual({ used: 0, held: 0, reservations: 0, events: 0 });

    advance(12);
    expect(await sut.stop(callerOf(user), session.id)).toMatchObject({ billedSeconds: 12 });
    expect(await books(user)).toEqual({ used: 12, held: 0, reservations: 0, events: 1 });
  });

  it('ends the open sessions of a deleted account at the next sweep, stopping them at the provider', async () => {
    const user = await ctx.newUser();
    const { session } = await sut.start(callerOf(user), { influencerId: persona.id });

    await ctx.query('DELETE FROM users WHERE id = $1', [user.id]);
    advance(5);
    await sut.sweep();

    expect(await ctx.query(`SELECT user_id, status, stop_reason FROM avatar_sessions WHERE id = $1`, [session.id])).toEqual([{ user_id: null, status: 'expired', stop_reason: 'account_deleted' }]);
    expect(fake.stops).toEqual([{ sessionId: expect.any(String), reason: 'USER_CLOSED' }]);
  });

  it('ends the sessions of a banned user, and of a persona deleted or taken off, at the next sweep, billing what they ran', async () => {
    const banned = await ctx.newUser();
    const other = await ctx.newUser();
    const doomed = await ctx.newInfluencer();
    await ctx.query(`UPDATE influencers SET avatar = $2 WHERE id = $1`, [doomed.id, JSON.stringify({ avatarId: 'avatar-8' })]);
    const first = await sut.start(callerOf(banned), { influencerId: persona.id });
    const second = await sut.start(callerOf(other), { influencerId: doomed.id });

    advance(7);
    await ctx.query(`UPDATE users SET status = 'banned' WHERE id = $1`, [banned.id]);
    await ctx.query(`UPDATE influencers SET deleted_at = now() WHERE id = $1`, [doomed.id]);
    await sut.sweep();

    expect(await sut.get(callerOf(banned), first.session.id)).toMatchObject({ status: 'expired', stopReason: 'user_banned', billedSeconds: 7 });
    expect(await sut.get(callerOf(other), second.session.id)).toMatchObject({ status: 'expired', stopReason: 'persona_gone', billedSeconds: 7 });
    expect(fake.stops.map((stop) => stop.reason).sort()).toEqual(['AVATAR_DELETED', 'USER_CLOSED']);
    expect(await books(banned)).toEqual({ used: 7, held: 0, reservations: 0, events: 1 });
  });

  it("answers another user's session as not found, and admins see it", async () => {
    const owner = await ctx.newUser();
    const other = await ctx.newUser();
    const admin = await ctx.newUser({ role: 'admin' });
    const { session } = await sut.start(callerOf(owner), { influencerId: persona.id });

    for (const call of [sut.get(callerOf(other), session.id), sut.keepAlive(callerOf(other), session.id), sut.stop(callerOf(other), session.id)]) {
      expect(await failure(call)).toBe('not_found');
    }
    expect((await sut.list(callerOf(other), { limit: 10 })).items).toEqual([]);
    expect((await sut.get(callerOf(admin), session.id)).status).toBe('active');
    expect((await sut.list(callerOf(admin), { limit: 100 })).items.map((item) => item.id)).toContain(session.id);
    expect(await sut.stop(callerOf(admin), session.id)).toMatchObject({ status: 'stopped', stopReason: 'admin' });
  });

  it('never writes the provider key in a log line', () => {
    expect(ctx.logs.raw.join('\n')).not.toContain(API_KEY);
  });
});
