import { randomUUID } from 'node:crypto';
import { RepliesService } from '#chorus/conversations';
import { QuotaService } from '#chorus/usage';
import { createMediumContext, failure, type MediumContext, type TestConversation } from '../../../test/support/medium-context.js';

/** How long a reservation lives here: a reply streaming for longer is taken for a dead process's. */
const TTL_SECONDS = 60;
/** The free plan allows two messages a day here; premium keeps the default limits and has premium personas. */
const PLANS = { free: { chat: { messagesPerDay: 2 } }, premium: { premiumPersonas: true } };

const CHECKPOINTED = 'Saturn has 146 known moons, and its rings are mostly';
/** o200k tokens of CHECKPOINTED: what its recovery bills as output. */
const CHECKPOINTED_TOKENS = 13;
/** What a placeholder reserves besides its prompt: the simulated model's whole reply budget. */
const REPLY_BUDGET = 1024;

interface StoredReply {
  status: string;
  content: string;
  error_code: string | null;
  finish_reason: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  completed_at: Date | null;
}

/**
 * Medium tier: RepliesService and QuotaService from the real application context, on a fresh
 * database shared the way several processes share PostgreSQL (DATABASE_EXCLUSIVE=false), with the
 * simulated provider.
 */
describe('RepliesService on a shared database', () => {
  let ctx: MediumContext;
  let sut: RepliesService;

  beforeAll(async () => {
    ctx = await createMediumContext({
      // Processes sharing PostgreSQL only: with Redis, leases tell a dead process's replies sooner (test/scale-out.e2e-spec.ts).
      env: { DATABASE_EXCLUSIVE: 'false', REDIS_URL: '', QUOTA_RESERVATION_TTL_SECONDS: String(TTL_SECONDS), PLANS: JSON.stringify(PLANS) },
    });
    sut = ctx.get(RepliesService);
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const sweep = () => ctx.get(QuotaService).sweep();
  const storedReply = async (id: string): Promise<StoredReply> =>
    (await ctx.query<StoredReply>('SELECT status, content, error_code, finish_reason, input_tokens, output_tokens, completed_at FROM messages WHERE id = $1', [id]))[0]!;
  const ledgerOf = (messageId: string) =>
    ctx.query(
      `SELECT user_id, quantity::int, input_tokens, output_tokens, cost_micros::int, provider, model, conversation_id
         FROM usage_events WHERE message_id = $1`,
      [messageId],
    );
  /** Waits until no reply of the conversation is streaming any more (a send's generation runs detached). */
  const settled = async (conversation: TestConversation): Promise<void> => {
    for (let attempt = 0; attempt < 200; attempt++) {
      if ((await ctx.count(`SELECT count(*) FROM messages WHERE conversation_id = $1 AND status = 'streaming'`, [conversation.id])) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`A reply of conversation ${conversation.id} is still streaming`);
  };

  describe('the sweep of replies a dead process left streaming', () => {
    it('ends an orphaned reply as interrupted, keeping its text and billing it exactly once, and leaves a younger one alone', async () => {
      const user = await ctx.newUser({ plan: 'premium' });
      const conversation = await ctx.newConversation({ user });
      const orphan = await ctx.newStreamingReply({ conversation, text: CHECKPOINTED, inputTokens: 42, startedSecondsAgo: TTL_SECONDS + 30 });
      const young = await ctx.newStreamingReply({ conversation: await ctx.newConversation({ user }), text: 'Jupiter is', inputTokens: 17, startedSecondsAgo: 5 });
      expect(await ctx.counters(user)).toEqual({
        messages: { used: 0, reserved: 2 },
        tokens: { used: 0, reserved: 42 + REPLY_BUDGET + 17 + REPLY_BUDGET },
        costMicros: { used: 0, reserved: 0 },
      });

      await sweep();

      expect(await storedReply(orphan.id)).toEqual({
        status: 'failed',
        error_code: 'interrupted',
        finish_reason: 'error',
        content: CHECKPOINTED,
        input_tokens: 42,
        output_tokens: CHECKPOINTED_TOKENS,
        completed_at: expect.any(Date),
      });
      expect(await ledgerOf(orphan.id)).toEqual([
        {
          user_id: user.id,
          quantity: 1,
          input_tokens: 42,
          output_tokens: CHECKPOINTED_TOKENS,
          cost_micros: 0,
          provider: 'simulated',
          model: 'simulated-chat',
          conversation_id: conversation.id,
        },
      ]);
      // The orphan's hold became use; only the young reply's hold is still reserved.
      expect(await ctx.counters(user)).toEqual({
        messages: { used: 1, reserved: 1 },
        tokens: { used: 42 + CHECKPOINTED_TOKENS, reserved: 17 + REPLY_BUDGET },
        costMicros: { used: 0, reserved: 0 },
      });
      expect(await ctx.count('SELECT count(*) FROM usage_reservations WHERE message_id = $1', [orphan.id])).toBe(0);
      expect(await ctx.count('SELECT count(*) FROM usage_reservations WHERE message_id = $1', [young.id])).toBe(1);
      expect(await storedReply(young.id)).toEqual({
        status: 'streaming',
        content: 'Jupiter is',
        error_code: null,
        finish_reason: null,
        input_tokens: 17,
        output_tokens: null,
        completed_at: null,
      });

      const after = await ctx.snapshot();
      await sweep();
      expect(await ctx.snapshot()).toEqual(after);
      expect(await ctx.count('SELECT count(*) FROM usage_events WHERE message_id = $1', [orphan.id])).toBe(1);
    });

    it('bills an orphaned reply that never produced text nothing, not even its prompt or a message, and releases its hold', async () => {
      const user = await ctx.newUser({ plan: 'premium' });
      const conversation = await ctx.newConversation({ user });
      const orphan = await ctx.newStreamingReply({ conversation, text: '', inputTokens: 42, startedSecondsAgo: TTL_SECONDS + 30 });

      await sweep();

      expect(await storedReply(orphan.id)).toMatchObject({ status: 'failed', error_code: 'interrupted', content: '', input_tokens: 0, output_tokens: 0 });
      expect(await ledgerOf(orphan.id)).toEqual([expect.objectContaining({ quantity: 0, input_tokens: 0, output_tokens: 0, cost_micros: 0 })]);
      expect(await ctx.counters(user)).toEqual({ messages: { used: 0, reserved: 0 }, tokens: { used: 0, reserved: 0 }, costMicros: { used: 0, reserved: 0 } });
      expect(await ctx.count('SELECT count(*) FROM usage_reservations WHERE user_id = $1', [user.id])).toBe(0);
    });
  });

  describe('a send that is refused changes nothing', () => {
    it('refuses a send over the plan’s daily messages with quota_exceeded, once the limit is exactly reached', async () => {
      const user = await ctx.newUser({ plan: 'free' });
      const conversation = await ctx.newConversation({ user });
      await ctx.newUsage({ user, messages: 1, tokens: 30 });

      // The second message of the day still fits.
      await sut.send(user.id, conversation.id, 'Hello there', randomUUID());
      await settled(conversation);
      expect((await ctx.counters(user)).messages).toEqual({ used: 2, reserved: 0 });
      expect(await ctx.count('SELECT count(*) FROM messages WHERE conversation_id = $1', [conversation.id])).toBe(2);
      const before = await ctx.snapshot();

      expect(await failure(sut.send(user.id, conversation.id, 'One more?', randomUUID()))).toBe('quota_exceeded');
      expect(await ctx.snapshot()).toEqual(before);
    });

    it('refuses a send when an admin override allows no messages, even on a plan with room, creating no counter', async () => {
      const user = await ctx.newUser({ plan: 'premium', quotaOverrides: { chat: { messagesPerDay: 0 } } });
      const conversation = await ctx.newConversation({ user });
      const before = await ctx.snapshot();

      expect(await failure(sut.send(user.id, conversation.id, 'Hello?', randomUUID()))).toBe('quota_exceeded');
      expect(await ctx.snapshot()).toEqual(before);
      expect(await ctx.count('SELECT count(*) FROM usage_counters WHERE user_id = $1', [user.id])).toBe(0);
    });

    it('answers not_found for another user’s conversation, or one that does not exist', async () => {
      const alice = await ctx.newUser();
      const bob = await ctx.newUser();
      const alicesConversation = await ctx.newConversation({ user: alice });
      const before = await ctx.snapshot();

      expect(await failure(sut.send(bob.id, alicesConversation.id, 'Let me in', randomUUID()))).toBe('not_found');
      expect(await failure(sut.send(alice.id, randomUUID(), 'Anyone?', randomUUID()))).toBe('not_found');
      expect(await ctx.snapshot()).toEqual(before);
    });

    it('refuses a premium-only persona on a plan without them, and a persona not taking messages', async () => {
      const user = await ctx.newUser({ plan: 'free' });
      const premium = await ctx.newConversation({ user, influencer: await ctx.newInfluencer({ premiumOnly: true }) });
      const comingSoon = await ctx.newConversation({ user, influencer: await ctx.newInfluencer({ status: 'coming_soon' }) });
      const before = await ctx.snapshot();

      expect(await failure(sut.send(user.id, premium.id, 'Hi', randomUUID()))).toBe('plan_required');
      expect(await failure(sut.send(user.id, comingSoon.id, 'Hi', randomUUID()))).toBe('persona_unavailable');
      expect(await ctx.snapshot()).toEqual(before);
    });
  });
});
