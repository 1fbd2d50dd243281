import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { Clock, InjectConfig, Jobs, MetricsService, ProblemException, SqlParameters, currentRequestContext, mergeLimits, raisedException, type AppConfig, type PlanLimits } from '#chorus/core';
import { QUOTA_REFUSAL, QuotaRepository, type HeldCounter, type SettlementPart, type StatementPart, type WantedHold } from './quota.repository.js';
import { UsageProblems } from './usage.errors.js';

/** The chat metrics, the period each counts over, and the plan limit that bounds it. */
const CHAT_METRICS = [
  { metric: 'chat.messages', period: 'day', limit: (limits: PlanLimits) => limits.chat.messagesPerDay, name: 'chat.messagesPerDay' },
  { metric: 'chat.tokens', period: 'month', limit: (limits: PlanLimits) => limits.chat.tokensPerMonth, name: 'chat.tokensPerMonth' },
  { metric: 'chat.cost_micros', period: 'month', limit: (limits: PlanLimits) => limits.chat.costMicrosPerMonth, name: 'chat.costMicrosPerMonth' },
] as const;

type ChatMetric = (typeof CHAT_METRICS)[number]['metric'];

/** The media metrics: an upload counts once a day, and its bytes a month. */
const MEDIA_METRICS = [
  { metric: 'media.uploads', period: 'day', limit: (limits: PlanLimits) => limits.media.uploadsPerDay, name: 'media.uploadsPerDay' },
  { metric: 'media.bytes', period: 'month', limit: (limits: PlanLimits) => limits.media.bytesPerMonth, name: 'media.bytesPerMonth' },
] as const;

type MediaMetric = (typeof MEDIA_METRICS)[number]['metric'];

/** The voice metrics: seconds of audio transcribed, and characters spoken, a month. */
const VOICE_METRICS = [
  { metric: 'voice.stt_seconds', period: 'month', limit: (limits: PlanLimits) => limits.voice.sttSecondsPerMonth, name: 'voice.sttSecondsPerMonth' },
  { metric: 'voice.tts_characters', period: 'month', limit: (limits: PlanLimits) => limits.voice.ttsCharactersPerMonth, name: 'voice.ttsCharactersPerMonth' },
] as const;

export type VoiceMetric = (typeof VOICE_METRICS)[number]['metric'];

/** What a speech call used, as its ledger event records it. */
export interface VoiceCharge {
  readonly metric: VoiceMetric;
  /** Seconds transcribed, or characters spoken. */
  readonly quantity: number;
  readonly costMicros: number;
  readonly provider: string;
  readonly model: string;
  readonly conversationId: string | null;
  readonly messageId: string | null;
  readonly mediaId: string | null;
}

/** Streaming-avatar seconds a month, reserved up to a session's longest and settled with what it lasted. */
const AVATAR_METRICS = [
  { metric: 'avatar.seconds', period: 'month', limit: (limits: PlanLimits) => limits.avatar.secondsPerMonth, name: 'avatar.secondsPerMonth' },
] as const;

/** What an avatar session used, as its ledger event records it. */
export interface AvatarCharge {
  readonly seconds: number;
  readonly costMicros: number;
  readonly provider: string;
  readonly model: string | null;
  readonly conversationId: string | null;
}

/** A counter reservations hold on: the period it counts over, and the plan limit (by its name) that bounds it. */
interface QuotaMetric {
  readonly metric: string;
  readonly period: Period;
  readonly limit: (limits: PlanLimits) => number | null;
  readonly name: string;
}

/** Every metric a reservation may hold on. */
const METRICS: readonly QuotaMetric[] = [...CHAT_METRICS, ...MEDIA_METRICS, ...VOICE_METRICS, ...AVATAR_METRICS];

/** What an upload's ledger event has none of. */
const NO_GENERATION = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0, costMicros: 0, provider: null, model: null, conversationId: null, messageId: null } as const;

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
  /** Messages it counts toward the daily limit: 1 for a reply (the default), 0 for work around one (a conversation's title). */
  readonly messages?: number;
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

/** Amounts to hold on the caller's counters (a reply's estimate, an upload's size), ready to be written in a statement. */
export interface QuotaReservation {
  readonly userId: string;
  readonly holds: readonly WantedHold[];
}

/** A reply's estimate, as holds. */
export type ChatReservation = QuotaReservation;

/** The job that looks for reservations left by a crashed process, and how often the deployment runs it. */
const SWEEP_JOB = 'quota.sweep';
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Quotas that cannot be overrun: a reply reserves its estimate with a conditional upsert
 * (`used + reserved + estimate <= limit`, checked under the counter's row lock) in the same
 * statement as the message that asks for it, so concurrent sends serialise on the counter row
 * and never pass the limit together, and a refusal stores nothing. When the reply ends, the
 * ledger event, the counters and the message are written in one statement with what the
 * provider reported. Uploads do the same with their size: reserved before a byte is stored,
 * settled with the bytes received.
 */
@Injectable()
export class QuotaService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Quota');
  private readonly sweepSteps: Array<() => Promise<unknown>> = [];
  private readonly refusals: Counter<'limit'>;

  constructor(
    private readonly repository: QuotaRepository,
    private readonly clock: Clock,
    private readonly jobs: Jobs,
    @InjectConfig() private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.refusals = metrics.counter({
      name: 'chorus_quota_refusals_total',
      help: 'Replies and uploads refused with 429 quota_exceeded, by the plan limit that was reached (e.g. chat.messagesPerDay).',
      labelNames: ['limit'],
    });
  }

  onModuleInit(): void {
    this.jobs.define(SWEEP_JOB, { handler: () => this.sweep(), attempts: 1 });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.every(SWEEP_JOB, SWEEP_INTERVAL_MS);
  }

  /** The caller's limits: the plan's, with the admin's per-user overrides on top; undefined for admins (unlimited). */
  async limitsFor(caller: Caller): Promise<PlanLimits | undefined> {
    if (caller.role === 'admin') return undefined;
    const plan = this.config.usage.plans.find((candidate) => candidate.name === caller.plan) ?? this.config.usage.plans[0]!;
    const overrides = caller.overrides !== undefined ? caller.overrides : await this.repository.overridesOf(caller.userId);
    return overrides ? mergeLimits(plan.limits, overrides) : plan.limits;
  }

  /** The caller with the admin's overrides read, so that later checks need no query. */
  async withOverrides(caller: Caller): Promise<Caller> {
    if (caller.overrides !== undefined || caller.role === 'admin') return caller;
    return { ...caller, overrides: await this.repository.overridesOf(caller.userId) };
  }

  /** Whether the caller's plan opens premium-only personas and their premium-only photos (always, for admins). */
  async premiumPersonasOpen(caller: Caller): Promise<boolean> {
    const limits = await this.limitsFor(caller);
    return !limits || limits.premiumPersonas;
  }

  /** 403 `plan_required` for a premium-only persona on a plan without them. */
  async assertPersonaAllowed(caller: Caller, premiumOnly: boolean): Promise<void> {
    if (!premiumOnly) return;
    if (!(await this.premiumPersonasOpen(caller))) {
      throw new ProblemException(UsageProblems.planRequired, 'This persona is for plans with premium personas.', { extensions: { plan: caller.plan } });
    }
  }

  /** The holds a reply's estimate needs on the caller's counters, each bounded by its limit. */
  async chatReservation(caller: Caller, estimate: ChatEstimate): Promise<ChatReservation> {
    return this.reservationOf(caller, CHAT_METRICS, { 'chat.messages': estimate.messages ?? 1, 'chat.tokens': estimate.tokens, 'chat.cost_micros': estimate.costMicros });
  }

  /** `amounts` as holds on the caller's counters of the current periods, each bounded by its limit (none for admins). */
  private async reservationOf<M extends string>(caller: Caller, metrics: ReadonlyArray<QuotaMetric & { metric: M }>, amounts: Record<M, number>): Promise<QuotaReservation> {
    const limits = await this.limitsFor(caller);
    const now = this.clock.now();
    return {
      userId: caller.userId,
      holds: metrics.map((entry) => ({
        metric: entry.metric,
        periodStart: periodStartOf(entry.period, now).toISOString(),
        amount: amounts[entry.metric],
        cap: limits ? entry.limit(limits) : null,
      })),
    };
  }

  /**
   * The reservation as part of a statement that stores what it is for (see
   * QuotaRepository.reservationPart): held only when CTE `gate` yields the reservation's key as
   * `id`, refused atomically (the statement fails) when a limit does not fit.
   */
  reservationPart(reservation: ChatReservation, gate: string, parameters: SqlParameters): StatementPart {
    return this.repository.reservationPart(reservation.userId, reservation.holds, this.config.usage.reservationTtlSeconds, gate, parameters);
  }

  /** What is left after the reservation, from the counters its statement returned. */
  snapshotOf(reservation: ChatReservation, held: readonly HeldCounter[]): QuotaSnapshot {
    const remaining = (metric: ChatMetric): number | null => {
      const cap = reservation.holds.find((hold) => hold.metric === metric)?.cap ?? null;
      const after = held.find((counter) => counter.metric === metric);
      return cap === null || !after ? null : cap - Number(after.used) - Number(after.reserved);
    };
    return { messagesRemainingToday: remaining('chat.messages'), tokensRemainingThisMonth: remaining('chat.tokens') };
  }

  /**
   * 429 `quota_exceeded` naming the limit, when `error` is a reservation's statement refused by a
   * quota; otherwise undefined. Counted in chorus_quota_refusals_total unless `counted` is false
   * (work around a reply, such as a title, that no user asked for).
   */
  async refusal(error: unknown, reservation: QuotaReservation, counted = true): Promise<ProblemException | undefined> {
    const raised = raisedException(error, QUOTA_REFUSAL);
    const entry = METRICS.find((candidate) => candidate.metric === raised?.detail);
    const hold = reservation.holds.find((candidate) => candidate.metric === entry?.metric);
    if (!entry || !hold) return undefined;
    const resetsAt = periodEndOf(entry.period, new Date(hold.periodStart));
    if (counted) this.refusals.inc({ limit: entry.name });
    return new ProblemException(UsageProblems.quotaExceeded, `The ${entry.name} limit of your plan is reached; it resets at ${resetsAt.toISOString()}.`, {
      extensions: {
        limit: entry.name,
        used: await this.repository.currentUse(reservation.userId, entry.metric, new Date(hold.periodStart)),
        max: hold.cap,
        resetsAt: resetsAt.toISOString(),
        retryAfterSeconds: Math.max(1, Math.ceil((resetsAt.getTime() - Date.now()) / 1000)),
      },
    });
  }

  /**
   * What a reply cost, as part of the statement that ends it (see
   * QuotaRepository.settlementPart): its reservation is released, and when CTE `gate` has a
   * row, the ledger event and the counters' use are written with it, all or nothing.
   */
  settlementPart(charge: ChatCharge, gate: string, parameters: SqlParameters): SettlementPart {
    const costMicros = this.costOf(charge);
    const used: Record<ChatMetric, number> = {
      'chat.messages': charge.countsAsMessage ? 1 : 0,
      'chat.tokens': charge.inputTokens + charge.outputTokens,
      'chat.cost_micros': costMicros,
    };
    const now = this.clock.now();
    return this.repository.settlementPart(
      charge.reservationId,
      {
        userId: charge.userId,
        modality: 'chat',
        quantity: used['chat.messages'],
        inputTokens: charge.inputTokens,
        outputTokens: charge.outputTokens,
        cachedInputTokens: charge.cachedInputTokens,
        reasoningTokens: charge.reasoningTokens,
        costMicros,
        provider: charge.provider,
        model: charge.model,
        conversationId: charge.conversationId,
        messageId: charge.messageId,
        mediaId: null,
        requestId: currentRequestContext()?.requestId ?? null,
        createdAt: now,
      },
      CHAT_METRICS.map(({ metric, period }) => ({ metric, periodStart: periodStartOf(period, now), used: used[metric] })),
      gate,
      parameters,
    );
  }

  /** Reserves for a reply that stores nothing but its usage (a stateless completion), keyed by `reservationId`. */
  async reserveChat(caller: Caller, reservationId: string, estimate: ChatEstimate, { countRefusal = true } = {}): Promise<QuotaSnapshot> {
    const reservation = await this.chatReservation(caller, estimate);
    return this.snapshotOf(reservation, await this.hold(reservation, reservationId, this.config.usage.reservationTtlSeconds, countRefusal));
  }

  /**
   * Settles a reply that stores nothing but its usage (see reserveChat), once: billed only while
   * its reservation is there to release, so that repeating it after a lost answer bills nothing
   * twice.
   */
  async settleChat(charge: ChatCharge): Promise<void> {
    await this.settleHeld((gate, parameters) => this.settlementPart(charge, gate, parameters));
  }

  /**
   * Holds one upload on `media.uploads` (today) and `bytes` on `media.bytes` (this month) for the
   * upload keyed by `mediaId`, before any of it is stored; refused atomically with 429
   * `quota_exceeded` naming `media.uploadsPerDay` or `media.bytesPerMonth`. Held for
   * `holdSeconds` (by default as long as a reply's estimate): an upload neither settled nor
   * released by then gives its hold back in the sweep.
   */
  async reserveMedia(caller: Caller, mediaId: string, bytes: number, { holdSeconds = this.config.usage.reservationTtlSeconds } = {}): Promise<void> {
    const reservation = await this.reservationOf(caller, MEDIA_METRICS, { 'media.uploads': 1, 'media.bytes': bytes });
    await this.hold(reservation, mediaId, holdSeconds, true);
  }

  /**
   * Settles an upload with the bytes actually stored: its ledger event (modality `media`,
   * quantity its bytes) and counters, in the periods it was reserved in. Billed once, only while
   * its reservation is there (like settleChat): a second call bills nothing.
   */
  async settleMedia(mediaId: string, bytes: number): Promise<void> {
    const userId = await this.repository.reservationOwner(mediaId);
    if (!userId) return;
    const now = this.clock.now();
    const used: Record<MediaMetric, number> = { 'media.uploads': 1, 'media.bytes': bytes };
    const event = { ...NO_GENERATION, userId, modality: 'media', quantity: bytes, mediaId, requestId: currentRequestContext()?.requestId ?? null, createdAt: now } as const;
    const counters = MEDIA_METRICS.map(({ metric, period }) => ({ metric, periodStart: periodStartOf(period, now), used: used[metric] }));
    await this.settleHeld((gate, parameters) => this.repository.settlementPart(mediaId, event, counters, gate, parameters));
  }

  /** An upload refused or failed gives its hold back unbilled. */
  async releaseMedia(mediaId: string): Promise<void> {
    await this.repository.release({ reservationId: mediaId });
  }

  /**
   * Holds `amount` on one voice metric (this month) for the speech call keyed by `reservationId`,
   * before the provider is called; refused atomically with 429 `quota_exceeded` naming
   * `voice.sttSecondsPerMonth` or `voice.ttsCharactersPerMonth`.
   */
  async reserveVoice(caller: Caller, reservationId: string, metric: VoiceMetric, amount: number): Promise<void> {
    const entry = VOICE_METRICS.filter((candidate) => candidate.metric === metric);
    const reservation = await this.reservationOf(caller, entry, { [metric]: amount } as Record<VoiceMetric, number>);
    await this.hold(reservation, reservationId, this.config.usage.reservationTtlSeconds, true);
  }

  /** Settles a speech call with what it used: its ledger event (modality `voice`) and counter, once (like settleMedia). */
  async settleVoice(reservationId: string, charge: VoiceCharge): Promise<void> {
    const userId = await this.repository.reservationOwner(reservationId);
    if (userId) await this.settleMonthly(reservationId, userId, 'voice', charge.metric, charge, {});
  }

  /** A speech call refused or failed gives its hold back unbilled. */
  async releaseVoice(reservationId: string): Promise<void> {
    await this.repository.release({ reservationId });
  }

  /**
   * The avatar seconds a user with `limits` (undefined: unlimited) has left this month, used and
   * held ones taken off, as seen in `manager`'s transaction; null when unlimited.
   */
  async avatarSecondsLeft(userId: string, limits: PlanLimits | undefined, manager?: EntityManager): Promise<number | null> {
    const cap = limits ? limits.avatar.secondsPerMonth : null;
    if (cap === null) return null;
    return Math.max(0, cap - (await this.repository.currentUse(userId, 'avatar.seconds', periodStartOf('month', this.clock.now()), manager)));
  }

  /**
   * Holds `seconds` on `avatar.seconds` (this month) for the session keyed by `sessionId`, for
   * `holdSeconds` (the session's longest, and the sweeper's slack); refused atomically with 429
   * `quota_exceeded` naming `avatar.secondsPerMonth`. Inside `manager`'s transaction, a refusal
   * is thrown as the database's error: avatarRefusal explains it after the rollback.
   */
  async reserveAvatar(caller: Caller, sessionId: string, seconds: number, holdSeconds: number, manager?: EntityManager): Promise<void> {
    const reservation = await this.reservationOf(caller, AVATAR_METRICS, { 'avatar.seconds': seconds });
    await this.hold(reservation, sessionId, holdSeconds, true, manager);
  }

  /**
   * The 429 of a reserveAvatar refused inside a transaction, once it has rolled back (explaining
   * it reads the counter, which PGlite's one connection cannot do while the transaction holds it).
   */
  async avatarRefusal(error: unknown, caller: Caller, seconds: number): Promise<unknown> {
    return (await this.refusal(error, await this.reservationOf(caller, AVATAR_METRICS, { 'avatar.seconds': seconds }))) ?? error;
  }

  /**
   * Settles a session with the seconds it lasted, inside `manager`'s transaction (the one that
   * ends the session, which makes it once only): its ledger event (modality `avatar`) and counter,
   * in the month it was reserved in (`reservedAt`'s), and whatever is still held released. Billed
   * even when its hold has expired meanwhile: the session ran.
   */
  async settleAvatar(sessionId: string, userId: string, charge: AvatarCharge, reservedAt: Date, manager: EntityManager): Promise<void> {
    const usage = { ...charge, quantity: charge.seconds, messageId: null, mediaId: null };
    await this.settleMonthly(sessionId, userId, 'avatar', 'avatar.seconds', usage, { manager, periodOf: reservedAt, onlyWhileHeld: false });
  }

  /**
   * Bills a reservation of a monthly metric with what it used: its ledger event and counter, in
   * the month of `periodOf` (default now) unless the reservation names its own. Once: only while it
   * is held, unless `onlyWhileHeld` is false (the caller then makes it once).
   */
  private async settleMonthly(
    reservationId: string,
    userId: string,
    modality: 'voice' | 'avatar',
    metric: string,
    usage: Pick<VoiceCharge, 'quantity' | 'costMicros' | 'provider' | 'conversationId' | 'messageId' | 'mediaId'> & { readonly model: string | null },
    { manager, periodOf, onlyWhileHeld = true }: { manager?: EntityManager; periodOf?: Date; onlyWhileHeld?: boolean },
  ): Promise<void> {
    const now = this.clock.now();
    const { quantity, costMicros, provider, model, conversationId, messageId, mediaId } = usage;
    const requestId = currentRequestContext()?.requestId ?? null;
    const event = { ...NO_GENERATION, userId, modality, quantity, costMicros, provider, model, conversationId, messageId, mediaId, requestId, createdAt: now } as const;
    const counters = [{ metric, periodStart: periodStartOf('month', periodOf ?? now), used: quantity }];
    await this.settleHeld((gate, parameters) => this.repository.settlementPart(reservationId, event, counters, gate, parameters), manager, onlyWhileHeld);
  }

  /** A session that never started at the provider gives its hold back unbilled. */
  async releaseAvatar(sessionId: string): Promise<void> {
    await this.repository.release({ reservationId: sessionId });
  }

  /**
   * Holds a reservation keyed by `reservationId` on its own (in `manager`'s transaction when
   * given); the counters after it, or the 429 of the limit it would pass (outside a transaction).
   */
  private async hold(reservation: QuotaReservation, reservationId: string, ttlSeconds: number, countRefusal: boolean, manager?: EntityManager): Promise<HeldCounter[]> {
    const parameters = new SqlParameters();
    const gate = `quota_key AS (SELECT ${parameters.add(reservationId, 'uuid')} AS id)`;
    try {
      const part = this.repository.reservationPart(reservation.userId, reservation.holds, ttlSeconds, 'quota_key', parameters);
      return (await this.repository.run<{ quota_held: HeldCounter[] }>(gate, [part], parameters, manager)).quota_held;
    } catch (error) {
      if (manager) throw error;
      throw (await this.refusal(error, reservation, countRefusal)) ?? error;
    }
  }

  /** Runs a settlement on its own, billed only when it released its reservation (so at most once), unless `onlyWhileHeld` is false. */
  private async settleHeld(settlement: (gate: string, parameters: SqlParameters) => SettlementPart, manager?: EntityManager, onlyWhileHeld = true): Promise<void> {
    const parameters = new SqlParameters();
    const part = settlement('quota_billable', parameters);
    const billable = onlyWhileHeld ? 'SELECT 1 WHERE EXISTS (SELECT 1 FROM quota_released)' : 'SELECT 1';
    await this.repository.run(`${part.released}, quota_billable AS (${billable})`, [part], parameters, manager);
  }

  /**
   * Adds work to the periodic sweep, run before expired reservations are released: a feature
   * that can settle its abandoned reservations exactly (bill what was generated) does it
   * there, so that only what nobody can account for is released blind.
   */
  addSweepStep(step: () => Promise<unknown>): void {
    this.sweepSteps.push(step);
  }

  /**
   * The periodic sweep: the features' steps, then the release of expired reservations. Each
   * runs whatever the others did; the sweep then fails with what failed, so that the job's
   * failure shows in /metrics and the log.
   */
  async sweep(): Promise<void> {
    const failures: unknown[] = [];
    for (const step of [...this.sweepSteps, () => this.releaseExpired()]) await step().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, `Reservation sweep: ${failures.map((error) => (error as Error).message).join('; ')}`);
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

  /** A reservation made with reserveChat gives its hold back unbilled (what it was for consumed nothing). */
  async releaseChat(reservationId: string): Promise<void> {
    await this.repository.release({ reservationId });
  }

  private async release(condition: 'expires_at < now()' | 'true'): Promise<number> {
    const released = await this.repository.release(condition);
    if (released > 0) this.logger.warn(`Released ${released} abandoned quota reservation(s)`);
    return released;
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
