import { randomUUID } from 'node:crypto';
import { ProblemException } from '#chorus/core';
import { RepliesService, type ReplyHandle } from '#chorus/conversations';
import { QuotaService, type Caller } from '#chorus/usage';
// Not exported by #chorus/openai-compat (its module is), but provided by the application context.
import { OpenAICompatService } from '../../openai-compat/src/openai-compat.service.js';
import { FAKE_MODEL, FakeOpenAIServer, GPT_FAKE, fakeOpenAIEnv, within, type RecordedRequest } from '../../../test/support/fake-openai.js';
import { createMediumContext, type MediumContext, type TestConversation, type TestInfluencer, type TestUser } from '../../../test/support/medium-context.js';
import { TurnsRepository } from './turns.repository.js';

const API_KEY = 'sk-chat-turn';
const MODEL = FAKE_MODEL;
/** The whole reply budget a turn reserves besides its prompt: the model's maxOutputTokens. */
const REPLY_BUDGET = GPT_FAKE.maxOutputTokens;
/** Micro-dollars per token: $2 and $10 per million input and output tokens. */
const PRICE = { input: GPT_FAKE.inputUsdPerMillion, output: GPT_FAKE.outputUsdPerMillion } as const;
/** The free plan allows two messages a day here; its tokens and cost keep the default limits. */
const PLANS = { free: { chat: { messagesPerDay: 2 } } };
/** Long enough for a refused statement to land, and the request to be aborted, before any token. */
const FIRST_TOKEN_DELAY_MS = 600;

/** How a call failed: the problem code and the limit it names, or what else happened. */
async function refusalOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
    return 'no failure';
  } catch (error) {
    if (!(error instanceof ProblemException)) return error;
    return { code: error.problem.code, limit: error.extras.extensions?.['limit'] };
  }
}

/**
 * Medium tier: a chat turn against a fake OpenAI-compatible upstream (the real `openai` SDK and
 * adapter), with RepliesService and OpenAICompatService from the real application context on a
 * fresh database.
 *
 * A turn opens its provider request while the statement storing it (messages, reservation) runs.
 * Whether the request reaches the upstream before a refused statement returns is a race (on
 * PostgreSQL the refusal often lands first, and the request is aborted before it is sent); to
 * prove, every time, what happens to a request that is already open
 * when the refusal lands, the refused statement is held until the upstream has the request
 * (`storeAfterUpstreamHas`). A turn that opened its request only after storing would never get
 * there: its test fails on the gate's timeout.
 */
describe('ChatTurns: the provider request opened while the turn is stored', () => {
  let ctx: MediumContext;
  let upstream: FakeOpenAIServer;
  let replies: RepliesService;
  let completions: OpenAICompatService;
  let persona: TestInfluencer;
  const restores: Array<() => void> = [];

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start({ apiKey: API_KEY });
    ctx = await createMediumContext({
      // One request per turn (no retries, the fixture's default): a retry would blur which request a turn opened.
      env: { ...fakeOpenAIEnv(upstream, { apiKey: API_KEY }), PLANS: JSON.stringify(PLANS) },
    });
    replies = ctx.get(RepliesService);
    completions = ctx.get(OpenAICompatService);
    persona = await ctx.newInfluencer({ model: MODEL });
  });

  beforeEach(() => {
    upstream.reset({ firstTokenDelayMs: FIRST_TOKEN_DELAY_MS, usage: { prompt_tokens: 12, completion_tokens: 4 } });
  });

  afterEach(() => {
    for (const restore of restores.splice(0)) restore();
  });

  afterAll(async () => {
    await ctx?.close();
    await upstream?.close();
  });

  /**
   * Until restored (after each test), `target[method]` waits for the upstream to have received
   * `count` requests in all before it runs: the statement starts only once the request is open.
   */
  function storeAfterUpstreamHas<T extends object>(target: T, method: keyof T & string, count: number): { calls: number } {
    const original = target[method] as (...args: unknown[]) => Promise<unknown>;
    const gate = { calls: 0 };
    Object.defineProperty(target, method, {
      configurable: true,
      writable: true,
      value: async function (this: unknown, ...args: unknown[]) {
        gate.calls += 1;
        await within(upstream.waitForRequests(count), 3000, `the provider request, opened while the turn is stored (${method})`);
        return original.apply(this, args);
      },
    });
    restores.push(() => Reflect.deleteProperty(target, method));
    return gate;
  }

  /** The one request the upstream received, once its exchange has ended. */
  async function onlyRequest(): Promise<RecordedRequest> {
    expect(upstream.requests).toHaveLength(1);
    const [request] = upstream.requests as [RecordedRequest];
    await within(request.ended);
    return request;
  }

  /** The chat completion request a turn with `content` as its last user message sends. */
  function expectChatCompletion(request: RecordedRequest, content: string): void {
    expect(request).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    const body = request.body as { model: string; stream: boolean; max_tokens: number; messages: Array<{ role: string; content: string }> };
    expect({ model: body.model, stream: body.stream, max_tokens: body.max_tokens, last: body.messages.at(-1) }).toEqual({
      model: MODEL.model,
      stream: true,
      max_tokens: REPLY_BUDGET,
      last: { role: 'user', content },
    });
  }

  const caller = (user: TestUser): Caller => ({ userId: user.id, plan: user.plan, role: user.role });

  /** Two refusals: a counter already at the plan's limit, and an estimate that alone passes the limit (no counter exists yet). */
  const refusals = [
    {
      name: "the plan's messagesPerDay is reached",
      limit: 'chat.messagesPerDay',
      user: async () => {
        const user = await ctx.newUser({ plan: 'free' });
        await ctx.newUsage({ user, messages: 2, tokens: 300, costMicros: 900 });
        return user;
      },
    },
    {
      name: "an override's tokensPerMonth is smaller than the estimate",
      limit: 'chat.tokensPerMonth',
      user: () => ctx.newUser({ plan: 'free', quotaOverrides: { chat: { tokensPerMonth: REPLY_BUDGET } } }),
    },
  ];

  describe.each(refusals)('a turn refused by the quota ($name)', ({ limit, user: newUser }) => {
    it('send: fails with quota_exceeded, closes the provider request it opened before any token, and stores and bills nothing', async () => {
      const user = await newUser();
      const conversation = await ctx.newConversation({ user, influencer: persona });
      const gate = storeAfterUpstreamHas(ctx.get(TurnsRepository), 'storeSend', 1);
      const before = await ctx.snapshot();

      expect(await refusalOf(replies.send(user.id, conversation.id, 'Is the quota spent?', randomUUID()))).toEqual({ code: 'quota_exceeded', limit });
      expect(gate.calls).toBe(1);

      const request = await onlyRequest();
      expectChatCompletion(request, 'Is the quota spent?');
      expect({ outcome: request.outcome, tokensSent: request.tokensSent }).toEqual({ outcome: 'client_closed', tokensSent: 0 });
      expect(await ctx.snapshot()).toEqual(before);
    });

    it('stateless completion: its first step fails with quota_exceeded, closes the provider request, and records nothing', async () => {
      const user = await newUser();
      const gate = storeAfterUpstreamHas(ctx.get(QuotaService), 'reserveChat', 1);
      const before = await ctx.snapshot();
      const request = { model: `persona/${persona.handle}`, messages: [{ role: 'user' as const, content: 'Anything left?' }] };

      const events = completions.complete(caller(user), request, undefined, undefined, new AbortController().signal)[Symbol.asyncIterator]();
      expect(await refusalOf(events.next())).toEqual({ code: 'quota_exceeded', limit });
      expect(gate.calls).toBe(1);

      const received = await onlyRequest();
      expectChatCompletion(received, 'Anything left?');
      expect({ outcome: received.outcome, tokensSent: received.tokensSent }).toEqual({ outcome: 'client_closed', tokensSent: 0 });
      expect(await ctx.snapshot()).toEqual(before);
    });
  });

  describe('a turn that is stored', () => {
    /** The reply as saved, with what it was billed. */
    const savedReply = async (id: string) =>
      (
        await ctx.query(
          `SELECT status, content, provider, model, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, finish_reason, error_code
             FROM messages WHERE id = $1`,
          [id],
        )
      )[0];
    const ledgerOf = (user: TestUser) =>
      ctx.query(
        `SELECT modality, quantity::int, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cost_micros::int,
                provider, model, conversation_id, message_id
           FROM usage_events WHERE user_id = $1`,
        [user.id],
      );
    const reservationsOf = (user: TestUser) => ctx.count('SELECT count(*) FROM usage_reservations WHERE user_id = $1', [user.id]);

    const sendAndFinish = async (conversation: TestConversation, content: string, clientMessageId: string): Promise<ReplyHandle> => {
      const handle = await replies.send(conversation.user.id, conversation.id, content, clientMessageId);
      expect(handle.live).toBeDefined();
      await within(handle.live!.finished, 5000, 'the reply to finish');
      return handle;
    };

    it('bills exactly the usage the upstream reported, once, and gives its reservation back', async () => {
      upstream.script({
        tokens: ['Saturn', ' has', ' 146', ' moons.'],
        firstTokenDelayMs: 300,
        usage: { prompt_tokens: 57, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 5 }, completion_tokens_details: { reasoning_tokens: 3 } },
      });
      const user = await ctx.newUser({ plan: 'free' });
      const conversation = await ctx.newConversation({ user, influencer: persona });

      const handle = await replies.send(user.id, conversation.id, 'How many moons has Saturn?', randomUUID());

      // While it streams, the estimate is held: one message, the prompt as estimated plus the whole reply budget, at their prices.
      const [{ input_tokens: estimated }] = (await ctx.query<{ input_tokens: number }>('SELECT input_tokens FROM messages WHERE id = $1', [handle.replyId])) as [
        { input_tokens: number },
      ];
      expect(await ctx.counters(user)).toEqual({
        messages: { used: 0, reserved: 1 },
        tokens: { used: 0, reserved: estimated + REPLY_BUDGET },
        costMicros: { used: 0, reserved: estimated * PRICE.input + REPLY_BUDGET * PRICE.output },
      });
      expect(await ctx.count('SELECT count(*) FROM usage_reservations WHERE message_id = $1', [handle.replyId])).toBe(1);
      const tokensPerMonth = ctx.config.usage.plans.find((plan) => plan.name === 'free')!.limits.chat.tokensPerMonth;
      expect(handle.quota).toEqual({ messagesRemainingToday: 1, tokensRemainingThisMonth: tokensPerMonth === null ? null : tokensPerMonth - estimated - REPLY_BUDGET });

      await within(handle.live!.finished, 5000, 'the reply to finish');

      const request = await onlyRequest();
      expectChatCompletion(request, 'How many moons has Saturn?');
      expect({ outcome: request.outcome, tokensSent: request.tokensSent }).toEqual({ outcome: 'completed', tokensSent: 4 });
      expect(await savedReply(handle.replyId)).toEqual({
        status: 'completed',
        content: 'Saturn has 146 moons.',
        provider: MODEL.provider,
        model: MODEL.model,
        input_tokens: 57,
        output_tokens: 9,
        cached_input_tokens: 5,
        reasoning_tokens: 3,
        finish_reason: 'stop',
        error_code: null,
      });
      const cost = 57 * PRICE.input + 9 * PRICE.output;
      expect(await ledgerOf(user)).toEqual([
        {
          modality: 'chat',
          quantity: 1,
          input_tokens: 57,
          output_tokens: 9,
          cached_input_tokens: 5,
          reasoning_tokens: 3,
          cost_micros: cost,
          provider: MODEL.provider,
          model: MODEL.model,
          conversation_id: conversation.id,
          message_id: handle.replyId,
        },
      ]);
      expect(await ctx.counters(user)).toEqual({ messages: { used: 1, reserved: 0 }, tokens: { used: 57 + 9, reserved: 0 }, costMicros: { used: cost, reserved: 0 } });
      expect(await reservationsOf(user)).toBe(0);

      // Once: neither the sweep nor a recovery finds anything left to settle or release.
      const after = await ctx.snapshot();
      await ctx.get(QuotaService).sweep();
      await expect(replies.recoverInterrupted()).resolves.toBe(0);
      expect(await ctx.snapshot()).toEqual(after);
    });

    it("a retried send answers the first attempt's messages, closes the provider request it opened, and stores and bills nothing new", async () => {
      upstream.script({ firstTokenDelayMs: 0, usage: { prompt_tokens: 40, completion_tokens: 4 } });
      const user = await ctx.newUser({ plan: 'free' });
      // The first attempt takes the last message of the day: the retry must still answer, not be refused.
      await ctx.newUsage({ user, messages: 1 });
      const conversation = await ctx.newConversation({ user, influencer: persona });
      const clientMessageId = randomUUID();
      const first = await sendAndFinish(conversation, 'Tell me about Titan', clientMessageId);
      expect(upstream.requests).toHaveLength(1);
      expect(await within(upstream.requests[0]!.ended)).toBe('completed');
      const billed = { messages: { used: 2, reserved: 0 }, tokens: { used: 44, reserved: 0 }, costMicros: { used: 40 * PRICE.input + 4 * PRICE.output, reserved: 0 } };
      expect(await ctx.counters(user)).toEqual(billed);
      const before = await ctx.snapshot();

      upstream.script({ firstTokenDelayMs: FIRST_TOKEN_DELAY_MS, usage: { prompt_tokens: 70, completion_tokens: 4 } });
      const gate = storeAfterUpstreamHas(ctx.get(TurnsRepository), 'storeSend', 2);
      const retry = await replies.send(user.id, conversation.id, 'Tell me about Titan', clientMessageId);
      expect(gate.calls).toBe(1);

      expect({ userMessageId: retry.userMessage.id, replyId: retry.replyId, quota: retry.quota }).toEqual({
        userMessageId: first.userMessage.id,
        replyId: first.replyId,
        quota: undefined,
      });
      // Its events are the first attempt's, replayed.
      expect(retry.live).toBe(first.live);
      expect(upstream.requests).toHaveLength(2);
      const opened = upstream.requests[1]!;
      expectChatCompletion(opened, 'Tell me about Titan');
      await within(opened.ended);
      expect({ outcome: opened.outcome, tokensSent: opened.tokensSent }).toEqual({ outcome: 'client_closed', tokensSent: 0 });
      expect(await ctx.snapshot()).toEqual(before);
      expect(await ctx.counters(user)).toEqual(billed);
      expect(await ctx.count('SELECT count(*) FROM usage_events WHERE message_id = $1', [first.replyId])).toBe(1);
    });
  });
});
