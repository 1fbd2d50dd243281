import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock, InjectConfig, MetricsService, ProblemException, currentRequestContext, mergeLimits, queryReturning, type AppConfig, type PlanLimits } from '#chorus/core';
import { UsageProblems } from './usage.errors.js';

/** The chat metrics, the period each counts over, and the plan limit that bounds it. */
const CHAT_METRICS = [
  { metric: 'chat.messages', period: 'day', limit: (limits: PlanLimits) => limits.chat.messagesPerDay, name: 'chat.messagesPerDay' },
  { metric: 'chat.tokens', period: 'month', limit: (limits: PlanLimits) => limits.chat.tokensPerMonth, name: 'chat.tokensPerMonth' },
  { metric: 'chat.cost_micros', period: 'month', limit: (limits: PlanLimits) => limits.chat.costMicrosPerMonth, name: 'chat.costMicrosPerMonth' },
] as const;

type ChatMetric = (typeof CHAT_METRICS)[number]['metric'];

export interface Caller {
  readonly userId: string;
  readonly plan: string;
  readonly role: 'user' | 'admin';
  /** The admin's overrides for this user, when the caller's query already read them (null: none). */
  readonly overrides?: Record<string, unknown> | null;
}

/** What a reply is expected to cost, reserved before it is generated. */
export interface ChatEstimate {
  readonly tokens: number;
  readonly costMicros: number;
}

/** What a reply cost, settled when it ends. */
export interface ChatCharge {
  /** The key the estimate was reserved under (the reply's message id, or a stateless request's id). */
  readonly reservationId: string;
  /** The stored reply, when there is one (stateless OpenAI-compatible requests store none). */
  readonly messageId: string | null;
  readonly conversationId: string | null;
  readonly userId: string;
  /** Whether the message counts toward the daily message limit (not when nothing was generated). */
  readonly countsAsMessage: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly reasoningTokens: number;
  readonly provider: string | null;
  readonly model: string | null;
}

/** How much is left, for the quota headers of chat responses. */
export interface QuotaSnapshot {
  readonly messagesRemainingToday: number | null;
  readonly tokensRemainingThisMonth: number | null;
}

interface Hold {
  metric: ChatMetric;
  periodStart: string;
  amount: number;
}

/** How often reservations left by a crashed process are looked for. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Quotas that cannot be overrun: a reply reserves its estimate with a conditional update
 * (`used + reserved + estimate <= limit`) in the same transaction as the message that asks for
 * it, so concurrent sends serialise on the counter row and never pass the limit together. When
 * the reply ends, the ledger event, the counters and the message are written in one
 * transaction with what the provider reported.
 */
@Injectable()
export class QuotaService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Quota');
  private sweeper?: NodeJS.Timeout;
  private readonly sweepSteps: Array<() => Promise<unknown>> = [];
  private readonly refusals: Counter<'limit'>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.refusals = metrics.counter({
      name: 'chorus_quota_refusals_total',
      help: 'Replies refused with 429 quota_exceeded, by the plan limit that was reached (e.g. chat.messagesPerDay).',
      labelNames: ['limit'],
    });
  }

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** The caller's limits: the plan's, with the admin's per-user overrides on top; undefined for admins (unlimited). */
  async limitsFor(caller: Caller, manager: EntityManager = this.dataSource.manager): Promise<PlanLimits | undefined> {
    if (caller.role === 'admin') return undefined;
    const plan = this.config.usage.plans.find((candidate) => candidate.name === caller.plan) ?? this.config.usage.plans[0]!;
    const overrides =
      caller.overrides !== undefined
        ? caller.overrides
        : ((await manager.query('SELECT limits FROM quota_overrides WHERE user_id = $1', [caller.userId]))[0]?.limits ?? null);
    return overrides ? mergeLimits(plan.limits, overrides) : plan.limits;
  }

  /** 403 `plan_required` for a premium-only persona on a plan without them. */
  async assertPersonaAllowed(caller: Caller, premiumOnly: boolean): Promise<void> {
    if (!premiumOnly) return;
    const limits = await this.limitsFor(caller);
    if (limits && !limits.premiumPersonas) {
      throw new ProblemException(UsageProblems.planRequired, 'This persona is for plans with premium personas.', { extensions: { plan: caller.plan } });
    }
  }

  /**
   * Holds the estimate against every chat limit, inside `manager`'s transaction (the one storing
   * the user's message). Throws 429 `quota_exceeded` naming the limit when it does not fit; the
   * caller's transaction then rolls back and nothing is stored.
   */
  async reserveChat(manager: EntityManager, caller: Caller, reservationId: string, estimate: ChatEstimate): Promise<QuotaSnapshot> {
    const limits = await this.limitsFor(caller, manager);
    const now = this.clock.now();
    const amounts: Record<ChatMetric, number> = { 'chat.messages': 1, 'chat.tokens': estimate.tokens, 'chat.cost_micros': estimate.costMicros };
    const rows = CHAT_METRICS.map((entry) => ({
      ...entry,
      periodStart: periodStartOf(entry.period, now),
      amount: amounts[entry.metric],
      cap: limits ? entry.limit(limits) : null,
    }));
    // Two round trips for every counter: make sure the rows exist, then hold the estimate on all
    // of them in one conditional update, which locks them and re-checks each limit under the lock.
    await manager.query(
      `INSERT INTO usage_counters (user_id, metric, period_start)
       VALUES ${rows.map((_, index) => `($1, $${index * 2 + 2}, $${index * 2 + 3})`).join(', ')}
       ON CONFLICT DO NOTHING`,
      [caller.userId, ...rows.flatMap((row) => [row.metric, row.periodStart])],
    );
    const held = await queryReturning<{ metric: ChatMetric; used: string; reserved: string }>(
      manager,
      `UPDATE usage_counters c SET reserved = c.reserved + v.amount
         FROM (VALUES ${rows.map((_, index) => `($${index * 4 + 2}::varchar, $${index * 4 + 3}::timestamptz, $${index * 4 + 4}::bigint, $${index * 4 + 5}::bigint)`).join(', ')})
              AS v(metric, period_start, amount, cap)
        WHERE c.user_id = $1 AND c.metric = v.metric AND c.period_start = v.period_start
          AND (v.cap IS NULL OR c.used + c.reserved + v.amount <= v.cap)
        RETURNING c.metric, c.used, c.reserved`,
      [caller.userId, ...rows.flatMap((row) => [row.metric, row.periodStart, row.amount, row.cap])],
    );
    const refused = rows.find((row) => !held.some((candidate) => candidate.metric === row.metric));
    if (refused) {
      const [current] = await manager.query(
        'SELECT used, reserved FROM usage_counters WHERE user_id = $1 AND metric = $2 AND period_start = $3',
        [caller.userId, refused.metric, refused.periodStart],
      );
      const resetsAt = periodEndOf(refused.period, now);
      this.refusals.inc({ limit: refused.name });
      throw new ProblemException(UsageProblems.quotaExceeded, `The ${refused.name} limit of your plan is reached; it resets at ${resetsAt.toISOString()}.`, {
        extensions: {
          limit: refused.name,
          used: Number(current?.used ?? 0) + Number(current?.reserved ?? 0),
          max: refused.cap,
          resetsAt: resetsAt.toISOString(),
          retryAfterSeconds: Math.max(1, Math.ceil((resetsAt.getTime() - Date.now()) / 1000)),
        },
      });
    }
    const holds: Hold[] = rows.map((row) => ({ metric: row.metric, periodStart: row.periodStart.toISOString(), amount: row.amount }));
    const remaining = (metric: ChatMetric): number | null => {
      const row = rows.find((candidate) => candidate.metric === metric)!;
      const after = held.find((candidate) => candidate.metric === metric)!;
      return row.cap === null ? null : row.cap - Number(after.used) - Number(after.reserved);
    };
    await manager.query(
      `INSERT INTO usage_reservations (user_id, message_id, holds, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [caller.userId, reservationId, JSON.stringify(holds), this.config.usage.reservationTtlSeconds],
    );
    return { messagesRemainingToday: remaining('chat.messages'), tokensRemainingThisMonth: remaining('chat.tokens') };
  }

  /**
   * Records what a reply cost, inside `manager`'s transaction (the one saving the reply): the
   * ledger event, the counters' use, and the release of its reservation, all or nothing.
   */
  async settleChat(manager: EntityManager, charge: ChatCharge): Promise<void> {
    const [reservation] = await queryReturning<{ holds: Hold[] }>(manager, 'DELETE FROM usage_reservations WHERE message_id = $1 RETURNING holds', [charge.reservationId]);
    const costMicros = this.costOf(charge);
    await manager.query(
      `INSERT INTO usage_events (user_id, modality, quantity, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                                 cost_micros, provider, model, conversation_id, message_id, request_id, created_at)
       VALUES ($1, 'chat', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [charge.userId, charge.countsAsMessage ? 1 : 0, charge.inputTokens, charge.outputTokens, charge.cachedInputTokens, charge.reasoningTokens,
        costMicros, charge.provider, charge.model, charge.conversationId, charge.messageId, currentRequestContext()?.requestId ?? null, this.clock.now()],
    );
    const used: Record<ChatMetric, number> = {
      'chat.messages': charge.countsAsMessage ? 1 : 0,
      'chat.tokens': charge.inputTokens + charge.outputTokens,
      'chat.cost_micros': costMicros,
    };
    const now = this.clock.now();
    // Charged to the period the reservation was made in (a reply may end after midnight); one upsert for every counter.
    const counters = CHAT_METRICS.map(({ metric, period }) => {
      const hold = reservation?.holds.find((candidate) => candidate.metric === metric);
      return [metric, hold ? new Date(hold.periodStart) : periodStartOf(period, now), used[metric], hold?.amount ?? 0];
    });
    // A counter row that does not exist yet had nothing held on it, so `reserved` can carry the hold to release.
    await manager.query(
      `INSERT INTO usage_counters AS c (user_id, metric, period_start, used, reserved)
       VALUES ${counters.map((_, index) => `($1, $${index * 4 + 2}, $${index * 4 + 3}, $${index * 4 + 4}, $${index * 4 + 5})`).join(', ')}
       ON CONFLICT (user_id, metric, period_start)
       DO UPDATE SET used = c.used + EXCLUDED.used, reserved = greatest(c.reserved - EXCLUDED.reserved, 0)`,
      [charge.userId, ...counters.flat()],
    );
  }

  /**
   * Adds work to the periodic sweep, run before expired reservations are released: a feature
   * that can settle its abandoned reservations exactly (bill what was generated) does it
   * there, so that only what nobody can account for is released blind.
   */
  addSweepStep(step: () => Promise<unknown>): void {
    this.sweepSteps.push(step);
  }

  /** The periodic sweep: the features' steps, then the release of expired reservations. Never throws. */
  async sweep(): Promise<void> {
    for (const step of this.sweepSteps) {
      await step().catch((error: Error) => this.logger.warn(`Reservation sweep step failed: ${error.message}`));
    }
    await this.releaseExpired().catch((error: Error) => this.logger.warn(`Reservation sweep failed: ${error.message}`));
  }

  /** Reservations of replies that never settled (their process died) give their hold back. */
  async releaseExpired(): Promise<number> {
    return this.release('expires_at < now()');
  }

  /**
   * Every reservation gives its hold back: only for a process that has the database to itself,
   * at start, once its replies were settled, when whatever is still held is a dead process's
   * (stateless OpenAI-compatible requests store nothing that could be billed).
   */
  async releaseAll(): Promise<number> {
    return this.release('true');
  }

  private async release(condition: 'expires_at < now()' | 'true'): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const expired = await queryReturning<{ user_id: string; holds: Hold[] }>(
        manager,
        `DELETE FROM usage_reservations WHERE ${condition} RETURNING user_id, holds`,
      );
      for (const { user_id: userId, holds } of expired) {
        for (const hold of holds) {
          await manager.query(
            'UPDATE usage_counters SET reserved = greatest(reserved - $4, 0) WHERE user_id = $1 AND metric = $2 AND period_start = $3',
            [userId, hold.metric, new Date(hold.periodStart), hold.amount],
          );
        }
      }
      if (expired.length > 0) this.logger.warn(`Released ${expired.length} abandoned quota reservation(s)`);
      return expired.length;
    });
  }

  /** Micro-dollars: tokens times the model's price per million tokens (1 USD = 1,000,000 micros). */
  costOf(usage: { provider: string | null; model: string | null; inputTokens: number; outputTokens: number }): number {
    const model = this.config.ai.providers.find((provider) => provider.name === usage.provider)?.models.find((candidate) => candidate.id === usage.model);
    if (!model) return 0;
    return Math.round(usage.inputTokens * model.inputUsdPerMillion + usage.outputTokens * model.outputUsdPerMillion);
  }

  /** The clock used for periods, exposed for the usage summary. */
  now(): Date {
    return this.clock.now();
  }
}

export type Period = 'day' | 'month';

/** The start of the UTC day or calendar month containing `at`. */
export function periodStartOf(period: Period, at: Date): Date {
  return period === 'day'
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()))
    : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export function periodEndOf(period: Period, at: Date): Date {
  return period === 'day'
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1))
    : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}
