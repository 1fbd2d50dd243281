import { QuotaService } from '#chorus/usage';
import { createMediumContext, type MediumContext } from '../../../test/support/medium-context.js';

const MINUTE = 60;
const DAY = 24 * 60 * MINUTE;

/**
 * Medium tier: what a crashed process's quota reservations become. Reservations and counters are
 * written as QuotaService.reserveChat leaves them; QuotaService comes from the real application
 * context on a fresh database.
 */
describe('QuotaService: reservations nobody settled', () => {
  let ctx: MediumContext;
  let sut: QuotaService;

  beforeAll(async () => {
    ctx = await createMediumContext();
    sut = ctx.get(QuotaService);
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const reservationIds = async (): Promise<string[]> => (await ctx.query<{ id: string }>('SELECT id FROM usage_reservations ORDER BY id')).map((row) => row.id);
  const ledger = () => ctx.query('SELECT * FROM usage_events ORDER BY id');

  it('releaseExpired gives back exactly what the expired reservations held, and leaves the others held', async () => {
    const alice = await ctx.newUser();
    const bob = await ctx.newUser();
    await ctx.newUsage({ user: alice, messages: 3, tokens: 1200, costMicros: 900 });
    const aliceLive = await ctx.newReservation({ user: alice, holds: { messages: 1, tokens: 700, costMicros: 70 }, expiresInSeconds: 10 * MINUTE });
    const bobLive = await ctx.newReservation({ user: bob, holds: { messages: 1, tokens: 250 }, expiresInSeconds: 10 * MINUTE });
    const aliceBefore = await ctx.counters(alice);
    expect(aliceBefore).toEqual({ messages: { used: 3, reserved: 1 }, tokens: { used: 1200, reserved: 700 }, costMicros: { used: 900, reserved: 70 } });
    const bobBefore = await ctx.counters(bob);
    const ledgerBefore = await ledger();

    await ctx.newReservation({ user: alice, holds: { messages: 1, tokens: 300, costMicros: 30 }, expiresInSeconds: -1 });
    await ctx.newReservation({ user: alice, holds: { messages: 1, tokens: 500, costMicros: 50 }, createdSecondsAgo: 20 * MINUTE, expiresInSeconds: -10 * MINUTE });
    expect(await ctx.counters(alice)).toEqual({ messages: { used: 3, reserved: 3 }, tokens: { used: 1200, reserved: 1500 }, costMicros: { used: 900, reserved: 150 } });

    await expect(sut.releaseExpired()).resolves.toBe(2);

    expect(await ctx.counters(alice)).toEqual(aliceBefore);
    expect(await ctx.counters(bob)).toEqual(bobBefore);
    expect(await reservationIds()).toEqual([aliceLive.id, bobLive.id].sort());
    expect(await ledger()).toEqual(ledgerBefore);
  });

  it('releaseExpired is idempotent: a second run releases nothing and changes nothing', async () => {
    const carol = await ctx.newUser();
    await ctx.newUsage({ user: carol, messages: 1, tokens: 80 });
    await ctx.newReservation({ user: carol, holds: { messages: 1, tokens: 1100, costMicros: 5 }, expiresInSeconds: -30 });

    await expect(sut.releaseExpired()).resolves.toBe(1);
    expect(await ctx.counters(carol)).toEqual({ messages: { used: 1, reserved: 0 }, tokens: { used: 80, reserved: 0 }, costMicros: { used: 0, reserved: 0 } });
    const after = await ctx.snapshot();

    await expect(sut.releaseExpired()).resolves.toBe(0);
    expect(await ctx.snapshot()).toEqual(after);
  });

  it('the periodic sweep releases expired reservations the same way, once', async () => {
    const dave = await ctx.newUser();
    await ctx.newUsage({ user: dave, messages: 2, tokens: 400, costMicros: 40 });
    const live = await ctx.newReservation({ user: dave, holds: { messages: 1, tokens: 600, costMicros: 60 } });
    const before = await ctx.counters(dave);
    const ledgerBefore = await ledger();
    const expired = await ctx.newReservation({ user: dave, holds: { messages: 1, tokens: 900, costMicros: 90 }, expiresInSeconds: -5 });

    await sut.sweep();

    expect(await ctx.counters(dave)).toEqual(before);
    expect(before).toEqual({ messages: { used: 2, reserved: 1 }, tokens: { used: 400, reserved: 600 }, costMicros: { used: 40, reserved: 60 } });
    expect(await ctx.count('SELECT count(*) FROM usage_reservations WHERE id = $1', [expired.id])).toBe(0);
    expect(await ctx.count('SELECT count(*) FROM usage_reservations WHERE id = $1', [live.id])).toBe(1);
    expect(await ledger()).toEqual(ledgerBefore);

    const after = await ctx.snapshot();
    await sut.sweep();
    expect(await ctx.snapshot()).toEqual(after);
  });

  it('gives a hold back to the period it was taken in, not to the current one', async () => {
    const erin = await ctx.newUser();
    const twoDaysAgo = new Date(ctx.clock.now().getTime() - 2 * DAY * 1000);
    await ctx.newUsage({ user: erin, messages: 4, tokens: 100, secondsAgo: 2 * DAY });
    await ctx.newUsage({ user: erin, messages: 1, tokens: 50 });
    await ctx.newReservation({ user: erin, holds: { messages: 1, tokens: 300 } });
    const today = await ctx.counters(erin);
    expect(today.messages).toEqual({ used: 1, reserved: 1 });
    await ctx.newReservation({ user: erin, holds: { messages: 1, tokens: 700 }, createdSecondsAgo: 2 * DAY, expiresInSeconds: -2 * DAY + 10 * MINUTE });
    expect((await ctx.counters(erin, twoDaysAgo)).messages).toEqual({ used: 4, reserved: 1 });

    await expect(sut.releaseExpired()).resolves.toBe(1);

    expect((await ctx.counters(erin, twoDaysAgo)).messages).toEqual({ used: 4, reserved: 0 });
    // Today's counters (and this month's, which the old hold shares unless it fell in last month) are as before it.
    expect(await ctx.counters(erin)).toEqual(today);
  });

  it('releaseAll gives back every hold, expired or not, and never touches what was used', async () => {
    const frank = await ctx.newUser();
    await ctx.newUsage({ user: frank, messages: 2, tokens: 500, costMicros: 25 });
    await ctx.newReservation({ user: frank, holds: { messages: 1, tokens: 1000, costMicros: 10 } });
    await ctx.newReservation({ user: frank, holds: { messages: 1, tokens: 2000, costMicros: 20 }, expiresInSeconds: -1 });
    const held = await ctx.count('SELECT count(*) FROM usage_reservations');
    const ledgerBefore = await ledger();
    const usedBefore = await ctx.query('SELECT user_id, metric, period_start, used FROM usage_counters ORDER BY user_id, metric, period_start');

    await expect(sut.releaseAll()).resolves.toBe(held);

    expect(await ctx.counters(frank)).toEqual({ messages: { used: 2, reserved: 0 }, tokens: { used: 500, reserved: 0 }, costMicros: { used: 25, reserved: 0 } });
    expect(await ctx.count('SELECT count(*) FROM usage_counters WHERE reserved <> 0')).toBe(0);
    expect(await ctx.count('SELECT count(*) FROM usage_reservations')).toBe(0);
    expect(await ctx.query('SELECT user_id, metric, period_start, used FROM usage_counters ORDER BY user_id, metric, period_start')).toEqual(usedBefore);
    expect(await ledger()).toEqual(ledgerBefore);
  });
});
