import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { CoreProblems, ProblemException, decodeCursor, limitsProblem, toCursorPage, type CursorPage, type PlanLimits } from '#chorus/core';
import { QuotaService, periodEndOf, periodStartOf, type Caller, type Period } from './quota.service.js';
import { UsageProblems } from './usage.errors.js';
import { UsageRepository, type UsageAggregateRow, type UsageEventRow } from './usage.repository.js';

export interface MeterView {
  readonly metric: string;
  readonly used: number;
  /** Held by replies being generated right now. */
  readonly reserved: number;
  readonly limit: number | null;
  readonly remaining: number | null;
  readonly resetsAt: Date;
}

export interface UsageEventView {
  readonly id: string;
  readonly modality: string;
  readonly quantity: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly reasoningTokens: number;
  readonly costMicros: number;
  readonly provider: string | null;
  readonly model: string | null;
  readonly conversationId: string | null;
  readonly messageId: string | null;
  readonly mediaId: string | null;
  readonly createdAt: Date;
}

export interface UsageAggregateView {
  readonly day: string;
  readonly userId: string;
  readonly provider: string | null;
  readonly model: string | null;
  readonly events: number;
  readonly messages: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costMicros: number;
}

/** The meters shown per modality: which counter, over which period, bounded by which limit. */
const METERS: Array<{ modality: string; metric: string; name: string; period: Period; limit: (limits: PlanLimits) => number | null }> = [
  { modality: 'chat', metric: 'chat.messages', name: 'messagesPerDay', period: 'day', limit: (l) => l.chat.messagesPerDay },
  { modality: 'chat', metric: 'chat.tokens', name: 'tokensPerMonth', period: 'month', limit: (l) => l.chat.tokensPerMonth },
  { modality: 'chat', metric: 'chat.cost_micros', name: 'costMicrosPerMonth', period: 'month', limit: (l) => l.chat.costMicrosPerMonth },
  { modality: 'media', metric: 'media.uploads', name: 'uploadsPerDay', period: 'day', limit: (l) => l.media.uploadsPerDay },
  { modality: 'media', metric: 'media.bytes', name: 'bytesPerMonth', period: 'month', limit: (l) => l.media.bytesPerMonth },
  { modality: 'voice', metric: 'voice.stt_seconds', name: 'sttSecondsPerMonth', period: 'month', limit: (l) => l.voice.sttSecondsPerMonth },
  { modality: 'voice', metric: 'voice.tts_characters', name: 'ttsCharactersPerMonth', period: 'month', limit: (l) => l.voice.ttsCharactersPerMonth },
  { modality: 'avatar', metric: 'avatar.seconds', name: 'secondsPerMonth', period: 'month', limit: (l) => l.avatar.secondsPerMonth },
];

const FOREIGN_KEY_VIOLATION = '23503';

@Injectable()
export class UsageService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly usage: UsageRepository,
    private readonly quota: QuotaService,
  ) {}

  /** Per modality: used, reserved, limit, remaining and when each meter resets. */
  async meters(caller: Caller): Promise<Record<string, MeterView[]>> {
    const limits = await this.quota.limitsFor(caller);
    const now = this.quota.now();
    const rows = await this.usage.countersSince(caller.userId, periodStartOf('month', now));
    const result: Record<string, MeterView[]> = { chat: [], media: [], voice: [], avatar: [] };
    for (const meter of METERS) {
      const start = periodStartOf(meter.period, now);
      const row = rows.find((candidate) => candidate.metric === meter.metric && candidate.period_start.getTime() === start.getTime());
      const used = Number(row?.used ?? 0);
      const reserved = Number(row?.reserved ?? 0);
      const limit = limits ? meter.limit(limits) : null;
      result[meter.modality]!.push({
        metric: meter.name,
        used,
        reserved,
        limit,
        remaining: limit === null ? null : Math.max(0, limit - used - reserved),
        resetsAt: periodEndOf(meter.period, now),
      });
    }
    return result;
  }

  /** The caller's ledger, newest first. */
  async events(userId: string, limit: number, cursor?: string): Promise<CursorPage<UsageEventView>> {
    const after = cursor ? decodeCursor(cursor, { at: 'timestamp', id: 'uuid' }) : undefined;
    const rows = await this.usage.eventsPage(userId, after && { at: after['at'], id: after['id'] }, limit + 1);
    return toCursorPage(rows, limit, (row) => ({ at: row.created_at.toISOString(), id: row.id }), toEventView);
  }

  /** Admin: totals by day, user, provider and model, newest day first, with filters. */
  async aggregates(query: { from?: Date; to?: Date; userId?: string; provider?: string; model?: string; limit: number; cursor?: string }): Promise<CursorPage<UsageAggregateView>> {
    const after = query.cursor ? decodeCursor(query.cursor, { day: 'text', key: 'text' }) : undefined;
    const rows = await this.usage.aggregatesPage(query, after && { day: after['day'], key: after['key'] }, query.limit + 1);
    return toCursorPage(rows, query.limit, (row) => ({ day: row.day, key: `${row.user_id}/${row.provider ?? ''}/${row.model ?? ''}` }), toAggregateView);
  }

  /**
   * Admin: per-user limits over the plan's (null removes every override). Returns the effective limits.
   * Whether the user exists is for the auth lib to answer (the controller asks it first); a user
   * deleted since has no overrides left to remove, and setting some fails on the foreign key.
   */
  async setOverrides(caller: Caller, limits: Record<string, unknown> | null): Promise<PlanLimits | undefined> {
    if (limits === null) {
      await this.usage.deleteOverrides(caller.userId);
    } else {
      const problem = limitsProblem(limits);
      if (problem) throw new ProblemException(UsageProblems.invalidLimits, `Invalid limits: ${problem}.`, { errors: [{ field: 'limits', message: problem }] });
      try {
        await this.usage.upsertOverrides(caller.userId, limits);
      } catch (error) {
        if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
          throw new ProblemException(CoreProblems.notFound, 'No such user.');
        }
        throw error;
      }
    }
    return this.quota.limitsFor(caller);
  }

  /**
   * Recomputes the counters' `used` from the ledger (the truth) for the current day and month,
   * returning the drift it corrected: counter -> [counter value, ledger value].
   */
  async rebuildCounters(): Promise<Array<{ userId: string; metric: string; periodStart: Date; counter: number; ledger: number }>> {
    const now = this.quota.now();
    const day = periodStartOf('day', now);
    const month = periodStartOf('month', now);
    return this.dataSource.transaction(async (manager) => {
      const truth = await this.usage.ledgerTotals(day, month, manager);
      const counters = await this.usage.lockCounters(day, month, manager);
      const key = (userId: string, metric: string) => `${userId}|${metric}`;
      const ledger = new Map(truth.map((row) => [key(row.user_id, row.metric), { ...row, total: Number(row.total) }]));
      const drift: Array<{ userId: string; metric: string; periodStart: Date; counter: number; ledger: number }> = [];
      for (const counter of counters) {
        const expected = ledger.get(key(counter.user_id, counter.metric))?.total ?? 0;
        ledger.delete(key(counter.user_id, counter.metric));
        if (Number(counter.used) !== expected) drift.push({ userId: counter.user_id, metric: counter.metric, periodStart: counter.period_start, counter: Number(counter.used), ledger: expected });
      }
      for (const missing of ledger.values()) {
        if (missing.total !== 0) drift.push({ userId: missing.user_id, metric: missing.metric, periodStart: missing.period_start, counter: 0, ledger: missing.total });
      }
      for (const row of drift) {
        await this.usage.setCounterUsed({ userId: row.userId, metric: row.metric, periodStart: row.periodStart, used: row.ledger }, manager);
      }
      return drift;
    });
  }
}

function toEventView(row: UsageEventRow): UsageEventView {
  return {
    id: row.id,
    modality: row.modality,
    quantity: Number(row.quantity),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cachedInputTokens: Number(row.cached_input_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    costMicros: Number(row.cost_micros),
    provider: row.provider,
    model: row.model,
    conversationId: row.conversation_id,
    messageId: row.message_id,
    mediaId: row.media_id,
    createdAt: row.created_at,
  };
}

function toAggregateView(row: UsageAggregateRow): UsageAggregateView {
  return {
    day: row.day,
    userId: row.user_id,
    provider: row.provider,
    model: row.model,
    events: Number(row.events),
    messages: Number(row.messages ?? 0),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    costMicros: Number(row.cost_micros),
  };
}
