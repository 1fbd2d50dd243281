import { randomUUID } from 'node:crypto';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppLogger, Clock, ProblemException, loadConfig, type AppConfig, type Env } from '#chorus/core';
import { AppModule } from '../../apps/api/src/app.module.js';
import { CapturedLogs, deleteRedisKeys, testEnvironment } from './test-app.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/**
 * The medium test tier: the real application's modules (services, repositories, the simulated AI
 * provider) booted as a Nest application context on a fresh, migrated database, with no HTTP.
 * Services come from dependency injection (`ctx.get(QuotaService)`), never from `new`, so a test
 * does not care how their constructors change. Data is made with one-line factories that write
 * rows directly (`await ctx.newConversation()`), and read back with plain SQL.
 */
export interface MediumContextOptions {
  /** Configuration variables on top of the test defaults, e.g. DATABASE_EXCLUSIVE, QUOTA_RESERVATION_TTL_SECONDS, PLANS. */
  readonly env?: Env;
  /** The time source of usage periods (a ManualClock to cross a day or month). */
  readonly clock?: Clock;
}

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly plan: string;
  readonly role: 'user' | 'admin';
}

export interface TestInfluencer {
  readonly id: string;
  readonly handle: string;
  readonly premiumOnly: boolean;
  readonly status: 'active' | 'coming_soon' | 'discontinued';
  /** The model its replies are generated (and billed) with. */
  readonly model: { readonly provider: string; readonly model: string };
}

export interface TestConversation {
  readonly id: string;
  readonly user: TestUser;
  readonly influencer: TestInfluencer;
}

/** Amounts of the chat metrics, as a reservation holds them or a user has used them. */
export interface ChatAmounts {
  readonly messages?: number;
  readonly tokens?: number;
  readonly costMicros?: number;
}

/** One entry of `usage_reservations.holds`, as QuotaService writes it. */
export interface Hold {
  readonly metric: 'chat.messages' | 'chat.tokens' | 'chat.cost_micros';
  readonly periodStart: string;
  readonly amount: number;
}

export interface TestReservation {
  readonly id: string;
  /** The reply it is held for (the reservation's key). */
  readonly messageId: string;
  readonly userId: string;
  readonly holds: readonly Hold[];
}

export interface TestStreamingReply {
  readonly id: string;
  /** The user message it answers. */
  readonly userMessageId: string;
  readonly conversation: TestConversation;
  /** Its checkpointed text. */
  readonly text: string;
  /** The prompt's tokens, as the placeholder carries them. */
  readonly inputTokens: number;
  readonly reservation: TestReservation;
}

/** A user's chat counters for the periods containing one instant: the day for messages, the month for the others. */
export interface ChatCounters {
  readonly messages: { used: number; reserved: number };
  readonly tokens: { used: number; reserved: number };
  readonly costMicros: { used: number; reserved: number };
}

/** Every row of the tables a chat turn writes, in a stable order. */
export type ChatTablesSnapshot = Record<(typeof CHAT_TABLES)[number]['table'], unknown[]>;

const CHAT_TABLES = [
  { table: 'conversations', order: 'id' },
  { table: 'messages', order: 'position' },
  { table: 'usage_counters', order: 'user_id, metric, period_start' },
  { table: 'usage_reservations', order: 'id' },
  { table: 'usage_events', order: 'id' },
] as const;

/** What a placeholder reserves beyond its prompt: the simulated models' whole reply budget (maxOutputTokens). */
const SIMULATED_REPLY_BUDGET = 1024;
const DEFAULT_MODEL = { provider: 'simulated', model: 'simulated-chat' } as const;

/** The problem code a call failed with ('no failure' when it succeeded; the error itself when it is not a problem). */
export function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => 'no failure',
    (error: unknown) => (error instanceof ProblemException ? error.problem.code : error),
  );
}

/** A fresh migrated database and the application context on it; `close()` drops both. */
export async function createMediumContext(options: MediumContextOptions = {}): Promise<MediumContext> {
  const database = await createTestDatabase();
  let app: INestApplicationContext | undefined;
  try {
    // No example personas: a medium test makes the data it reads.
    const config = loadConfig(testEnvironment(database, { SEED_EXAMPLE_PERSONAS: 'false', ...options.env }));
    const logs = new CapturedLogs();
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config, { logDestination: logs, clock: options.clock }), {
      bufferLogs: true,
      abortOnError: false,
    });
    app.useLogger(app.get(AppLogger));
    app.flushLogs();
    return new MediumContext(app, config, database, logs);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.drop();
    throw error;
  }
}

export class MediumContext {
  private closed = false;

  constructor(
    readonly app: INestApplicationContext,
    readonly config: AppConfig,
    readonly database: TestDatabase,
    /** What the application logged (nestjs-pino keeps the first capture of the test file: see test-app.ts). */
    readonly logs: CapturedLogs,
  ) {}

  /** A provider of the application, resolved by dependency injection. */
  get<T>(type: Type<T>): T {
    return this.app.get(type);
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  /** The application's clock (usage periods are counted by it). */
  get clock(): Clock {
    return this.app.get(Clock);
  }

  /** Plain SQL on the application's own connection pool (PGlite serves one connection at a time). */
  async query<Row = Record<string, unknown>>(sql: string, parameters: unknown[] = []): Promise<Row[]> {
    return (await this.dataSource.query(sql, parameters)) as Row[];
  }

  /** The first column of the first row, as a number: `await ctx.count('SELECT count(*) FROM messages')`. */
  async count(sql: string, parameters: unknown[] = []): Promise<number> {
    const [row] = await this.query(sql, parameters);
    if (!row) throw new Error(`No row from: ${sql}`);
    return Number(Object.values(row)[0]);
  }

  async newUser(options: { plan?: string; role?: 'user' | 'admin'; email?: string; quotaOverrides?: Record<string, unknown> } = {}): Promise<TestUser> {
    const email = options.email ?? `user-${randomUUID().slice(0, 8)}@example.com`;
    const plan = options.plan ?? this.config.auth.defaultPlan;
    const role = options.role ?? 'user';
    const [{ id }] = (await this.query<{ id: string }>(
      `INSERT INTO users (email, password_hash, display_name, role, plan) VALUES ($1, '!', $2, $3, $4) RETURNING id`,
      [email, email.split('@')[0], role, plan],
    )) as [{ id: string }];
    if (options.quotaOverrides) {
      await this.query('INSERT INTO quota_overrides (user_id, limits) VALUES ($1, $2)', [id, JSON.stringify(options.quotaOverrides)]);
    }
    return { id, email, plan, role };
  }

  async newInfluencer(
    options: { handle?: string; premiumOnly?: boolean; status?: TestInfluencer['status']; systemPrompt?: string; model?: TestInfluencer['model'] } = {},
  ): Promise<TestInfluencer> {
    const handle = options.handle ?? `persona-${randomUUID().slice(0, 8)}`;
    const premiumOnly = options.premiumOnly ?? false;
    const status = options.status ?? 'active';
    const model = options.model ?? DEFAULT_MODEL;
    const systemPrompt = options.systemPrompt ?? `You are ${handle}, a friendly astronomer.`;
    const [{ id }] = (await this.query<{ id: string }>(
      `INSERT INTO influencers (handle, display_name, category, system_prompt, greeting, status, premium_only, model_policy)
       VALUES ($1, $2, 'medium', $3, 'Hi!', $4, $5, $6) RETURNING id`,
      [handle, handle.toUpperCase(), systemPrompt, status, premiumOnly, JSON.stringify({ primary: model, fallbacks: [] })],
    )) as [{ id: string }];
    await this.query('INSERT INTO influencer_prompts (influencer_id, version, system_prompt) VALUES ($1, 1, $2)', [id, systemPrompt]);
    return { id, handle, premiumOnly, status, model };
  }

  /** A conversation of `user` (a new one by default) with `influencer` (a new active persona by default). */
  async newConversation(options: { user?: TestUser; influencer?: TestInfluencer } = {}): Promise<TestConversation> {
    const user = options.user ?? (await this.newUser());
    const influencer = options.influencer ?? (await this.newInfluencer());
    const [{ id }] = (await this.query<{ id: string }>(
      'INSERT INTO conversations (user_id, influencer_id, last_message_at) VALUES ($1, $2, now()) RETURNING id',
      [user.id, influencer.id],
    )) as [{ id: string }];
    return { id, user, influencer };
  }

  /**
   * A quota reservation as QuotaService.reserveChat leaves it: a row holding every chat metric
   * (for the periods of its creation) and the same amounts added to the counters' `reserved`.
   * It expires `expiresInSeconds` from now (negative: already expired); by default one
   * QUOTA_RESERVATION_TTL_SECONDS after it was created.
   */
  async newReservation(options: {
    user: TestUser;
    holds?: ChatAmounts;
    messageId?: string;
    createdSecondsAgo?: number;
    expiresInSeconds?: number;
  }): Promise<TestReservation> {
    const createdSecondsAgo = options.createdSecondsAgo ?? 0;
    const expiresInSeconds = options.expiresInSeconds ?? this.config.usage.reservationTtlSeconds - createdSecondsAgo;
    const at = new Date(this.clock.now().getTime() - createdSecondsAgo * 1000);
    const holds = chatEntries(options.holds ?? { messages: 1 }, at).map(({ metric, periodStart, amount }) => ({ metric, periodStart: periodStart.toISOString(), amount }));
    const messageId = options.messageId ?? randomUUID();
    const [{ id }] = (await this.query<{ id: string }>(
      `INSERT INTO usage_reservations (user_id, message_id, holds, created_at, expires_at)
       VALUES ($1, $2, $3, now() - make_interval(secs => $4), now() + make_interval(secs => $5)) RETURNING id`,
      [options.user.id, messageId, JSON.stringify(holds), createdSecondsAgo, expiresInSeconds],
    )) as [{ id: string }];
    await this.addToCounters(options.user, holds.map((hold) => ({ ...hold, periodStart: new Date(hold.periodStart) })), 'reserved');
    return { id, messageId, userId: options.user.id, holds };
  }

  /**
   * Use already billed: the amounts added to the counters' `used` for the periods containing
   * `secondsAgo` ago, and one ledger event saying so, so that counters and ledger agree.
   */
  async newUsage(options: { user: TestUser; secondsAgo?: number } & ChatAmounts): Promise<void> {
    const secondsAgo = options.secondsAgo ?? 0;
    const at = new Date(this.clock.now().getTime() - secondsAgo * 1000);
    await this.addToCounters(options.user, chatEntries(options, at), 'used');
    await this.query(
      `INSERT INTO usage_events (user_id, modality, quantity, input_tokens, cost_micros, provider, model, created_at)
       VALUES ($1, 'chat', $2, $3, $4, $5, $6, $7)`,
      [options.user.id, options.messages ?? 0, options.tokens ?? 0, options.costMicros ?? 0, DEFAULT_MODEL.provider, DEFAULT_MODEL.model, at],
    );
  }

  /**
   * A reply a process started and never finished, as it is left in the database: the user's
   * message, the assistant's placeholder still `streaming` with its checkpointed `text` and the
   * prompt's `inputTokens`, both created `startedSecondsAgo`, and its quota reservation (one
   * message, the prompt plus the reply budget in tokens) expiring one reservation lifetime later.
   */
  async newStreamingReply(options: {
    conversation: TestConversation;
    text?: string;
    inputTokens?: number;
    startedSecondsAgo?: number;
  }): Promise<TestStreamingReply> {
    const { conversation } = options;
    const text = options.text ?? '';
    const inputTokens = options.inputTokens ?? 20;
    const startedSecondsAgo = options.startedSecondsAgo ?? 0;
    const [{ id: userMessageId }] = (await this.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, content, status, client_message_id, created_at, completed_at)
       VALUES ($1, 'user', 'Tell me about the rings of Saturn', 'completed', $2, now() - make_interval(secs => $3), now() - make_interval(secs => $3))
       RETURNING id`,
      [conversation.id, randomUUID(), startedSecondsAgo],
    )) as [{ id: string }];
    const [{ id }] = (await this.query<{ id: string }>(
      `INSERT INTO messages (conversation_id, role, content, status, reply_to_id, provider, model, prompt_version, input_tokens, created_at)
       VALUES ($1, 'assistant', $2, 'streaming', $3, $4, $5, 1, $6, now() - make_interval(secs => $7))
       RETURNING id`,
      [conversation.id, text, userMessageId, conversation.influencer.model.provider, conversation.influencer.model.model, inputTokens, startedSecondsAgo],
    )) as [{ id: string }];
    await this.query('UPDATE conversations SET last_message_at = now() - make_interval(secs => $2) WHERE id = $1', [conversation.id, startedSecondsAgo]);
    const reservation = await this.newReservation({
      user: conversation.user,
      messageId: id,
      holds: { messages: 1, tokens: inputTokens + SIMULATED_REPLY_BUDGET, costMicros: 0 },
      createdSecondsAgo: startedSecondsAgo,
    });
    return { id, userMessageId, conversation, text, inputTokens, reservation };
  }

  /** The user's chat counters (used and reserved) for the periods containing `at` (now by default); a missing row reads as zeros. */
  async counters(user: TestUser, at: Date = this.clock.now()): Promise<ChatCounters> {
    const rows = await this.query<{ metric: string; used: string; reserved: string }>(
      `SELECT metric, used, reserved FROM usage_counters
        WHERE user_id = $1 AND ((metric = 'chat.messages' AND period_start = $2) OR (metric IN ('chat.tokens', 'chat.cost_micros') AND period_start = $3))`,
      [user.id, periodStart('day', at), periodStart('month', at)],
    );
    const of = (metric: string) => {
      const row = rows.find((candidate) => candidate.metric === metric);
      return { used: Number(row?.used ?? 0), reserved: Number(row?.reserved ?? 0) };
    };
    return { messages: of('chat.messages'), tokens: of('chat.tokens'), costMicros: of('chat.cost_micros') };
  }

  /** Every row of the chat tables, to assert that nothing changed: `expect(await ctx.snapshot()).toEqual(before)`. */
  async snapshot(): Promise<ChatTablesSnapshot> {
    const snapshot: Partial<ChatTablesSnapshot> = {};
    for (const { table, order } of CHAT_TABLES) snapshot[table] = await this.query(`SELECT * FROM ${table} ORDER BY ${order}`);
    return snapshot as ChatTablesSnapshot;
  }

  /** Shuts the application down (its shutdown hooks run), drops the database and deletes its Redis keys. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.app.close();
    } finally {
      await this.database.drop();
      if (this.config.redis.url) await deleteRedisKeys(this.config.redis.url, this.config.redis.keyPrefix);
    }
  }

  private async addToCounters(user: TestUser, entries: ReadonlyArray<{ metric: string; periodStart: Date; amount: number }>, column: 'used' | 'reserved'): Promise<void> {
    for (const { metric, periodStart: start, amount } of entries) {
      await this.query(
        `INSERT INTO usage_counters AS c (user_id, metric, period_start, ${column}) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, metric, period_start) DO UPDATE SET ${column} = c.${column} + EXCLUDED.${column}`,
        [user.id, metric, start, amount],
      );
    }
  }
}

/** The three chat metrics with their amounts and the period (containing `at`) each counts in. */
function chatEntries(amounts: ChatAmounts, at: Date): Array<{ metric: Hold['metric']; periodStart: Date; amount: number }> {
  return [
    { metric: 'chat.messages', periodStart: periodStart('day', at), amount: amounts.messages ?? 0 },
    { metric: 'chat.tokens', periodStart: periodStart('month', at), amount: amounts.tokens ?? 0 },
    { metric: 'chat.cost_micros', periodStart: periodStart('month', at), amount: amounts.costMicros ?? 0 },
  ];
}

/** The start of the UTC day or calendar month containing `at` (the quota periods). */
function periodStart(period: 'day' | 'month', at: Date): Date {
  return period === 'day'
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()))
    : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}
