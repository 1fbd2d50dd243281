import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProblemException } from '#chorus/core';
import { ConversationsService, RepliesService, type ReplyHandle } from '#chorus/conversations';
import { QuotaService, type ChatCharge } from '#chorus/usage';
import { createMediumContext, type MediumContext, type TestConversation, type TestUser } from '../../../test/support/medium-context.js';
import { externalDatabaseUrl } from '../../../test/support/test-database.js';
import type { MessageView } from './message.view.js';
import { TurnsRepository, type ReplyEnding } from './turns.repository.js';

/**
 * A slow simulator: a reply streams for about half a second (some twenty words at 40 a second),
 * long enough for every concurrent call of a test to land while it is still `streaming`.
 */
const SIMULATED = { SIMULATED_FIRST_TOKEN_MS: '5', SIMULATED_TOKENS_PER_SECOND: '40' };
/** Races are real only with several connections: PostgreSQL (the pool has 4); PGlite serves one at a time. */
const ON_POSTGRES = externalDatabaseUrl() !== undefined;
const itOnPostgres = ON_POSTGRES ? it : it.skip;

/** A ledger event, as the tests read it. */
interface LedgerRow {
  user_id: string;
  conversation_id: string;
  message_id: string;
  quantity: number;
  input_tokens: number;
  output_tokens: number;
  provider: string;
  model: string;
}

/** How a call ended: `{ value }`, or the problem code it failed with (the error itself when not a problem). */
type Outcome<T> = { value: T } | { failed: unknown };
const outcomeOf = <T>(call: Promise<T>): Promise<Outcome<T>> =>
  call.then(
    (value) => ({ value }),
    (error: unknown) => ({ failed: error instanceof ProblemException ? error.problem.code : error }),
  );
const valuesOf = <T>(outcomes: Array<Outcome<T>>): T[] => outcomes.flatMap((outcome) => ('value' in outcome ? [outcome.value] : []));
const failuresOf = (outcomes: Array<Outcome<unknown>>): unknown[] => outcomes.flatMap((outcome) => ('failed' in outcome ? [outcome.failed] : []));

/**
 * Medium tier: the races the review and the attack run of the one-statement chat turn found
 * (commit 2930538), on the real application context and database (DATABASE_EXCLUSIVE=false, as
 * processes sharing PostgreSQL run). On PostgreSQL the concurrent calls really run at once on
 * several connections; on PGlite (one connection) they interleave statement by statement, and
 * the same outcomes must hold.
 */
describe('Concurrent chat turns', () => {
  let ctx: MediumContext;
  let replies: RepliesService;
  let turns: TurnsRepository;
  let quota: QuotaService;

  beforeAll(async () => {
    ctx = await createMediumContext({ env: { DATABASE_EXCLUSIVE: 'false', ...SIMULATED } });
    replies = ctx.get(RepliesService);
    turns = ctx.get(TurnsRepository);
    quota = ctx.get(QuotaService);
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** A test-only trigger that sleeps 30 ms in every update of a counter row, after the row is locked (PostgreSQL only). */
  const slowCounterUpdates = async (on: boolean): Promise<void> => {
    if (!ON_POSTGRES) return;
    if (!on) {
      await ctx.query('DROP TRIGGER IF EXISTS test_slow_counter_update ON usage_counters');
      await ctx.query('DROP FUNCTION IF EXISTS test_slow_counter_update()');
      return;
    }
    await ctx.query(
      `CREATE OR REPLACE FUNCTION test_slow_counter_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.03); RETURN NEW; END $$`,
    );
    await ctx.query('CREATE TRIGGER test_slow_counter_update BEFORE UPDATE ON usage_counters FOR EACH ROW EXECUTE FUNCTION test_slow_counter_update()');
  };

  /** Polls `condition` until it holds (a reply's generation and settlement run detached from the send). */
  const eventually = async (what: string, condition: () => Promise<boolean> | boolean): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  /** Waits until no reply of the conversations is streaming any more. */
  const settled = (...conversations: TestConversation[]): Promise<void> =>
    eventually('the replies to settle', async () => {
      const ids = conversations.map((conversation) => conversation.id);
      return (await ctx.count(`SELECT count(*) FROM messages WHERE conversation_id = ANY($1::uuid[]) AND status = 'streaming'`, [ids])) === 0;
    });
  const ledgerOf = (messageId: string) =>
    ctx.query<LedgerRow>(
      `SELECT user_id, conversation_id, message_id, quantity::int, input_tokens, output_tokens, provider, model FROM usage_events WHERE message_id = $1`,
      [messageId],
    );
  const reservationsOf = (user: TestUser) => ctx.count('SELECT count(*) FROM usage_reservations WHERE user_id = $1', [user.id]);
  const sendAndSettle = async (conversation: TestConversation, content: string): Promise<MessageView> => {
    const handle = await replies.send(conversation.user.id, conversation.id, content, randomUUID());
    const reply = await replies.finishedReply({ userId: conversation.user.id, plan: conversation.user.plan, role: conversation.user.role }, handle);
    expect(reply).toMatchObject({ status: 'completed', errorCode: null });
    return reply;
  };

  /** The settlement RepliesService.settle composes for a reply of `conversation`: its ending and its charge. */
  const settlementOf = (reply: { id: string; conversationId: string; userId: string }, ending: ReplyEnding) => {
    const charge: ChatCharge = {
      reservationId: reply.id,
      messageId: reply.id,
      conversationId: reply.conversationId,
      userId: reply.userId,
      countsAsMessage: ending.status !== 'failed' || ending.content.length > 0,
      inputTokens: ending.inputTokens,
      outputTokens: ending.outputTokens,
      cachedInputTokens: ending.cachedInputTokens ?? 0,
      reasoningTokens: ending.reasoningTokens ?? 0,
      provider: ending.provider,
      model: ending.model,
    };
    return (title?: { conversationId: string; title: string }) =>
      turns.settle(reply.id, ending, title, (gate, parameters) => quota.settlementPart(charge, gate, parameters));
  };
  const endingOf = (saved: MessageView): ReplyEnding => ({
    content: saved.content,
    status: saved.status,
    provider: saved.provider,
    model: saved.model,
    inputTokens: saved.inputTokens!,
    outputTokens: saved.outputTokens!,
    cachedInputTokens: saved.cachedInputTokens,
    reasoningTokens: saved.reasoningTokens,
    firstTokenMs: saved.firstTokenMs,
    finishReason: saved.finishReason!,
    errorCode: saved.errorCode,
  });

  it('ten identical sends at once all answer the first attempt: one user message, one reply, billed once', async () => {
    const conversation = await ctx.newConversation();
    const { user } = conversation;
    const clientMessageId = randomUUID();

    // Before the fix, a send whose statement waited on the first attempt's commit read the
    // conflict with an older snapshot and failed ("found no first attempt"), a 500.
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => outcomeOf(replies.send(user.id, conversation.id, 'What are the rings of Saturn made of?', clientMessageId))),
    );

    expect(failuresOf(outcomes)).toEqual([]);
    const handles: ReplyHandle[] = valuesOf(outcomes);
    expect(new Set(handles.map((handle) => handle.userMessage.id)).size).toBe(1);
    expect(new Set(handles.map((handle) => handle.replyId)).size).toBe(1);
    // Exactly one of them stored the turn (only a stored send reports the quota left).
    expect(handles.filter((handle) => handle.quota !== undefined)).toHaveLength(1);
    const [{ userMessage, replyId }] = handles as [ReplyHandle];
    expect(userMessage).toMatchObject({ role: 'user', clientMessageId, conversationId: conversation.id });

    await settled(conversation);
    expect(await ctx.query('SELECT id, role, reply_to_id, status FROM messages WHERE conversation_id = $1 ORDER BY position', [conversation.id])).toEqual([
      { id: userMessage.id, role: 'user', reply_to_id: null, status: 'completed' },
      { id: replyId, role: 'assistant', reply_to_id: userMessage.id, status: 'completed' },
    ]);
    expect(await ledgerOf(replyId)).toEqual([expect.objectContaining({ user_id: user.id, conversation_id: conversation.id, quantity: 1 })]);
    expect(await ctx.count('SELECT count(*) FROM usage_events WHERE user_id = $1', [user.id])).toBe(1);
    expect((await ctx.counters(user)).messages).toEqual({ used: 1, reserved: 0 });
    expect(await reservationsOf(user)).toBe(0);
  });

  it('of five concurrent regenerates of the same finished reply, one runs and the others are refused with reply_in_progress', async () => {
    const conversation = await ctx.newConversation();
    const { user } = conversation;
    const first = await sendAndSettle(conversation, 'Tell me about Titan');
    const userMessageId = first.replyToId!;

    // Before the fix, each statement checked "no reply streaming" in its own snapshot: all of them
    // could store a reply, generate it and bill it.
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => outcomeOf(replies.regenerate(user.id, conversation.id, first.id))));

    expect(failuresOf(outcomes)).toEqual(Array.from({ length: 4 }, () => 'reply_in_progress'));
    const [regenerated] = valuesOf(outcomes) as [ReplyHandle];
    expect(regenerated.userMessage.id).toBe(userMessageId);
    expect(regenerated.replyId).not.toBe(first.id);

    await settled(conversation);
    expect(await ctx.query('SELECT id, status FROM messages WHERE reply_to_id = $1 ORDER BY position', [userMessageId])).toEqual([
      { id: first.id, status: 'completed' },
      { id: regenerated.replyId, status: 'completed' },
    ]);
    expect(await ledgerOf(regenerated.replyId)).toEqual([expect.objectContaining({ user_id: user.id, conversation_id: conversation.id, quantity: 1 })]);
    expect(await ctx.count('SELECT count(*) FROM usage_events WHERE user_id = $1', [user.id])).toBe(2);
    // The refused regenerates held nothing; the one that ran gave its hold back when it settled.
    expect(await reservationsOf(user)).toBe(0);
    expect(await ctx.counters(user)).toMatchObject({ messages: { used: 2, reserved: 0 }, tokens: { reserved: 0 }, costMicros: { reserved: 0 } });
  });

  describe('settlement is idempotent', () => {
    it('settling a reply again after it ended (a retry after a lost answer) answers ended elsewhere, and bills nothing twice', async () => {
      const conversation = await ctx.newConversation();
      const { user } = conversation;
      const saved = await sendAndSettle(conversation, 'How far is Neptune?');
      expect(await ledgerOf(saved.id)).toHaveLength(1);
      const before = await ctx.snapshot();
      expect(await reservationsOf(user)).toBe(0);

      const settleAgain = settlementOf({ id: saved.id, conversationId: conversation.id, userId: user.id }, endingOf(saved));
      await expect(settleAgain({ conversationId: conversation.id, title: 'How far is Neptune?' })).resolves.toEqual({ ended: 'elsewhere' });

      // Nothing changed: the reply, the title, the one ledger event, the counters.
      expect(await ctx.snapshot()).toEqual(before);
      expect(await ledgerOf(saved.id)).toHaveLength(1);
    });

    it('a reply whose conversation is deleted while it streams is billed exactly once, its reservation released, and a repeat bills nothing', async () => {
      const conversation = await ctx.newConversation();
      const { user } = conversation;
      const handle = await replies.send(user.id, conversation.id, 'Describe the Great Red Spot', randomUUID());
      const live = handle.live!;
      await eventually('the first token', () => live.events.some((event) => event.type === 'reply.delta'));
      expect(await ctx.count('SELECT count(*) FROM messages WHERE id = $1 AND status = $2', [handle.replyId, 'streaming'])).toBe(1);

      await ctx.get(ConversationsService).remove(user.id, conversation.id);
      await live.finished;

      expect(live.events.at(-1)).toMatchObject({ type: 'error', data: { code: 'conversation_deleted', messageId: handle.replyId } });
      expect(await ctx.count('SELECT count(*) FROM messages WHERE conversation_id = $1', [conversation.id])).toBe(0);
      const ledger = await ledgerOf(handle.replyId);
      expect(ledger).toHaveLength(1);
      const event = ledger[0]!;
      expect(event).toEqual({
        user_id: user.id,
        conversation_id: conversation.id,
        message_id: handle.replyId,
        quantity: 1,
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
        provider: 'simulated',
        model: 'simulated-chat',
      });
      // Cut off after its first words: they and the prompt are billed.
      expect(event.input_tokens).toBeGreaterThan(0);
      expect(event.output_tokens).toBeGreaterThan(0);
      expect(await reservationsOf(user)).toBe(0);
      expect(await ctx.counters(user)).toEqual({
        messages: { used: 1, reserved: 0 },
        tokens: { used: event.input_tokens + event.output_tokens, reserved: 0 },
        costMicros: { used: 0, reserved: 0 },
      });
      const after = await ctx.snapshot();

      // Before the fix, a reply that was gone was billed on every attempt: a repeat billed it twice.
      const ending: ReplyEnding = {
        content: 'The Great Red Spot is',
        status: 'cancelled',
        provider: event.provider,
        model: event.model,
        inputTokens: event.input_tokens,
        outputTokens: event.output_tokens,
        cachedInputTokens: null,
        reasoningTokens: null,
        firstTokenMs: 5,
        finishReason: 'cancelled',
        errorCode: null,
      };
      await expect(settlementOf({ id: handle.replyId, conversationId: conversation.id, userId: user.id }, ending)()).resolves.toEqual({ ended: 'elsewhere' });
      expect(await ctx.snapshot()).toEqual(after);
    });

    // Needs two connections: the delete holds the reply's row while the settlement waits for it.
    itOnPostgres('a conversation deleted while the settlement waits for the reply’s row still bills the reply once (PostgreSQL)', async () => {
      const conversation = await ctx.newConversation();
      const { user } = conversation;
      const reply = await ctx.newStreamingReply({ conversation, text: 'Io has', inputTokens: 20 });
      const ending: ReplyEnding = {
        content: 'Io has over 400 active volcanoes.',
        status: 'completed',
        provider: 'simulated',
        model: 'simulated-chat',
        inputTokens: 20,
        outputTokens: 8,
        cachedInputTokens: null,
        reasoningTokens: null,
        firstTokenMs: 40,
        finishReason: 'stop',
        errorCode: null,
      };
      const settle = settlementOf({ id: reply.id, conversationId: conversation.id, userId: user.id }, ending);

      const deleter = ctx.dataSource.createQueryRunner();
      await deleter.connect();
      let settling: Promise<unknown> | undefined;
      try {
        await deleter.startTransaction();
        await deleter.query('DELETE FROM conversations WHERE id = $1', [conversation.id]);
        settling = settle();
        // The settlement's statement started (its snapshot still sees the reply) and waits for the deleted row's lock.
        await eventually('the settlement to wait for the deleted reply', async () =>
          (await ctx.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%saved AS%'`)) > 0,
        );
        await deleter.commitTransaction();
      } finally {
        if (deleter.isTransactionActive) await deleter.rollbackTransaction();
        await deleter.release();
      }

      // Before the fix the statement, seeing the row in its snapshot, took the reply for ended
      // elsewhere: it billed nothing and left the reservation held until it expired.
      await expect(settling).resolves.toEqual({ ended: 'deleted' });
      expect(await ledgerOf(reply.id)).toEqual([
        {
          user_id: user.id,
          conversation_id: conversation.id,
          message_id: reply.id,
          quantity: 1,
          input_tokens: 20,
          output_tokens: 8,
          provider: 'simulated',
          model: 'simulated-chat',
        },
      ]);
      expect(await reservationsOf(user)).toBe(0);
      expect(await ctx.counters(user)).toEqual({ messages: { used: 1, reserved: 0 }, tokens: { used: 28, reserved: 0 }, costMicros: { used: 0, reserved: 0 } });
      const after = await ctx.snapshot();
      await expect(settle()).resolves.toEqual({ ended: 'elsewhere' });
      expect(await ctx.snapshot()).toEqual(after);
    });
  });

  it('the expiry sweep runs alongside sends of the same users without a deadlock, and leaves reserved equal to the live holds', async () => {
    const users: TestUser[] = [];
    const conversations: TestConversation[] = [];
    const live: string[] = [];
    for (let index = 0; index < 3; index++) {
      const user = await ctx.newUser();
      users.push(user);
      conversations.push(await ctx.newConversation({ user }));
      for (let expired = 0; expired < 2; expired++) {
        await ctx.newReservation({ user, holds: { messages: 1, tokens: 400 + index, costMicros: 40 + index }, createdSecondsAgo: 120, expiresInSeconds: -60 });
      }
      live.push((await ctx.newReservation({ user, holds: { messages: 1, tokens: 300 + index, costMicros: 30 + index }, expiresInSeconds: 600 })).id);
    }
    const userIds = users.map((user) => user.id);
    /** Counters whose `reserved` differs from what the users' reservations hold on them, read in one statement (one snapshot). */
    const inconsistent = () =>
      ctx.query(
        `WITH held AS (
           SELECT r.user_id, h->>'metric' AS metric, (h->>'periodStart')::timestamptz AS period_start, sum((h->>'amount')::bigint) AS amount
             FROM usage_reservations r, jsonb_array_elements(r.holds) h WHERE r.user_id = ANY($1::uuid[]) GROUP BY 1, 2, 3)
         SELECT user_id, metric, period_start, coalesce(c.reserved, 0)::int AS reserved, coalesce(held.amount, 0)::int AS held
           FROM (SELECT * FROM usage_counters WHERE user_id = ANY($1::uuid[])) c FULL JOIN held USING (user_id, metric, period_start)
          WHERE coalesce(c.reserved, 0) <> coalesce(held.amount, 0)`,
        [userIds],
      );
    expect(await inconsistent()).toEqual([]);
    // On PostgreSQL, each counter update holds its row lock a while before the statement goes on to
    // the next counter: the windows in which a sweep and a send could each hold a lock the other
    // waits for are wide enough that locking in different orders deadlocks (40P01) every time.
    cleanups.push(() => slowCounterUpdates(false));
    await slowCounterUpdates(true);

    // Ten sends of those users (each locks its user's counters, in the order of its holds) and the
    // sweep (which locked them in whatever order its join found them before the fix), at once.
    const sends = Array.from({ length: 10 }, (_, index) => {
      const conversation = conversations[index % conversations.length]!;
      return outcomeOf(replies.send(conversation.user.id, conversation.id, `Question ${index} about the outer planets`, randomUUID()));
    });
    const [released, ...sent] = await Promise.all([outcomeOf(quota.releaseExpired()), ...sends]);

    expect(failuresOf([released!, ...sent])).toEqual([]);
    expect(released).toEqual({ value: 6 });
    expect(valuesOf(sent)).toHaveLength(10);
    // While the replies stream: what is reserved is exactly what the live reservations hold.
    expect(await inconsistent()).toEqual([]);

    await settled(...conversations);
    expect(await inconsistent()).toEqual([]);
    expect((await ctx.query<{ id: string }>('SELECT id FROM usage_reservations WHERE user_id = ANY($1::uuid[]) ORDER BY id', [userIds])).map((row) => row.id)).toEqual(
      [...live].sort(),
    );
    expect(await ctx.count('SELECT count(*) FROM usage_events WHERE user_id = ANY($1::uuid[])', [userIds])).toBe(10);
    for (const [index, user] of users.entries()) {
      const counters = await ctx.counters(user);
      expect({ messages: counters.messages.reserved, tokens: counters.tokens.reserved, costMicros: counters.costMicros.reserved }).toEqual({
        messages: 1,
        tokens: 300 + index,
        costMicros: 30 + index,
      });
    }
  });
});
