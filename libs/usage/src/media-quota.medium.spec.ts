import { randomUUID } from 'node:crypto';
import { ProblemException } from '#chorus/core';
import { QuotaService, UsageService, type Caller } from '#chorus/usage';
import { createMediumContext, type MediumContext, type TestUser } from '../../../test/support/medium-context.js';

const PLANS = JSON.stringify({ free: { media: { uploadsPerDay: 3, bytesPerMonth: 10_000 } } });

/**
 * Medium tier: the media quota (QuotaService.reserveMedia, settleMedia, releaseMedia) on a real
 * database, with the application's own QuotaService.
 */
describe('QuotaService: media uploads', () => {
  let ctx: MediumContext;
  let sut: QuotaService;

  beforeAll(async () => {
    ctx = await createMediumContext({ env: { PLANS } });
    sut = ctx.get(QuotaService);
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const callerOf = (user: TestUser): Caller => ({ userId: user.id, plan: user.plan, role: user.role });
  /** The user's media counters (summed over periods), the holds on them, and the ledger's media events. */
  const books = async (user: TestUser) => {
    const [row] = await ctx.query<Record<string, number>>(
      `SELECT (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'media.uploads')::int AS uploads,
              (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'media.uploads')::int AS "uploadsHeld",
              (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'media.bytes')::int AS bytes,
              (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'media.bytes')::int AS "bytesHeld",
              (SELECT count(*) FROM usage_reservations WHERE user_id = $1)::int AS reservations,
              (SELECT count(*) FROM usage_events WHERE user_id = $1 AND modality = 'media')::int AS events`,
      [user.id],
    );
    return row!;
  };
  const refusalOf = async (promise: Promise<unknown>): Promise<ProblemException> => {
    const error = await promise.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ProblemException);
    return error as ProblemException;
  };

  it('holds one upload and its bytes, then bills the bytes received once, in the ledger', async () => {
    const user = await ctx.newUser();
    const mediaId = randomUUID();

    await sut.reserveMedia(callerOf(user), mediaId, 4000);
    expect(await books(user)).toEqual({ uploads: 0, uploadsHeld: 1, bytes: 0, bytesHeld: 4000, reservations: 1, events: 0 });

    await sut.settleMedia(mediaId, 3500);
    await sut.settleMedia(mediaId, 3500);

    expect(await books(user)).toEqual({ uploads: 1, uploadsHeld: 0, bytes: 3500, bytesHeld: 0, reservations: 0, events: 1 });
    const [event] = await ctx.query('SELECT modality, quantity, media_id, message_id, input_tokens FROM usage_events WHERE user_id = $1', [user.id]);
    expect(event).toEqual({ modality: 'media', quantity: '3500', media_id: mediaId, message_id: null, input_tokens: 0 });
  });

  it('refuses what does not fit with 429 naming the limit, holding nothing on any counter', async () => {
    const user = await ctx.newUser();
    await sut.reserveMedia(callerOf(user), randomUUID(), 6000);
    const before = await books(user);

    const bytes = await refusalOf(sut.reserveMedia(callerOf(user), randomUUID(), 4001));

    expect(bytes.problem.code).toBe('quota_exceeded');
    const now = ctx.clock.now();
    expect(bytes.extras.extensions).toMatchObject({
      limit: 'media.bytesPerMonth',
      used: 6000,
      max: 10_000,
      resetsAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
    });
    expect(await books(user)).toEqual(before);

    await sut.reserveMedia(callerOf(user), randomUUID(), 1);
    await sut.reserveMedia(callerOf(user), randomUUID(), 1);
    const uploads = await refusalOf(sut.reserveMedia(callerOf(user), randomUUID(), 1));
    expect(uploads.extras.extensions).toMatchObject({ limit: 'media.uploadsPerDay', used: 3, max: 3 });
    expect(await books(user)).toMatchObject({ uploadsHeld: 3, bytesHeld: 6002, reservations: 3 });
  });

  it('gives a released hold back unbilled, and a released upload bills nothing when settled after', async () => {
    const user = await ctx.newUser();
    const mediaId = randomUUID();
    await sut.reserveMedia(callerOf(user), mediaId, 5000);

    await sut.releaseMedia(mediaId);
    await sut.settleMedia(mediaId, 5000);

    expect(await books(user)).toEqual({ uploads: 0, uploadsHeld: 0, bytes: 0, bytesHeld: 0, reservations: 0, events: 0 });
  });

  it('lets admins upload without limit, counting what they upload', async () => {
    const admin = await ctx.newUser({ role: 'admin' });
    for (let index = 0; index < 5; index++) {
      const mediaId = randomUUID();
      await sut.reserveMedia(callerOf(admin), mediaId, 9000);
      await sut.settleMedia(mediaId, 9000);
    }
    expect(await books(admin)).toMatchObject({ uploads: 5, bytes: 45_000, reservations: 0 });
  });

  it('releases an upload nobody settled in the sweep once its hold expires', async () => {
    const user = await ctx.newUser();
    const mediaId = randomUUID();
    await sut.reserveMedia(callerOf(user), mediaId, 2000, { holdSeconds: 60 });
    await ctx.query(`UPDATE usage_reservations SET expires_at = now() - interval '1 second' WHERE message_id = $1`, [mediaId]);

    await sut.sweep();

    expect(await books(user)).toEqual({ uploads: 0, uploadsHeld: 0, bytes: 0, bytesHeld: 0, reservations: 0, events: 0 });
  });

  it('rebuilds the media counters from the ledger, like the chat ones', async () => {
    const user = await ctx.newUser();
    const mediaId = randomUUID();
    await sut.reserveMedia(callerOf(user), mediaId, 700);
    await sut.settleMedia(mediaId, 700);
    await ctx.query(`UPDATE usage_counters SET used = 99 WHERE user_id = $1 AND metric LIKE 'media.%'`, [user.id]);

    const drift = await ctx.get(UsageService).rebuildCounters();

    expect(drift.filter((row) => row.userId === user.id).map(({ metric, counter, ledger }) => ({ metric, counter, ledger }))).toEqual(
      expect.arrayContaining([
        { metric: 'media.uploads', counter: 99, ledger: 1 },
        { metric: 'media.bytes', counter: 99, ledger: 700 },
      ]),
    );
    expect(await books(user)).toMatchObject({ uploads: 1, bytes: 700 });
  });
});
