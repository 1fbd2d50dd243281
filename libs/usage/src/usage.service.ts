import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CoreProblems, ProblemException, decodeCursor, encodeCursor, limitsProblem, type CursorPage, type PlanLimits } from '#chorus/core';
import { QuotaService, periodEndOf, periodStartOf, type Caller, type Period } from './quota.service.js';
import { UsageProblems } from './usage.errors.js';

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

@Injectable()
export class UsageService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly quota: QuotaService,
  ) {}

  /** Per modality: used, reserved, limit, remaining and when each meter resets. */
  async meters(caller: Caller): Promise<Record<string, MeterView[]>> {
    const limits = await this.quota.limitsFor(caller);
    const now = this.quota.now();
    const rows: Array<{ metric: string; period_start: Date; used: string; reserved: string }> = await this.dataSource.query(
      'SELECT metric, period_start, used, reserved FROM usage_counters WHERE user_id = $1 AND period_start >= $2',
      [caller.userId, periodStartOf('month', now)],
    );
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
    const parameters: unknown[] = [userId, limit + 1];
    let after = '';
    if (cursor) {
      const position = decodeCursor(cursor, ['at', 'id']);
      parameters.push(position['at'], position['id']);
      after = 'AND (created_at, id) < ($3::timestamptz, $4::uuid)';
    }
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT * FROM usage_events WHERE user_id = $1 ${after} ORDER BY created_at DESC, id DESC LIMIT $2`,
      parameters,
    );
    const page = rows.slice(0, limit).map(toEventView);
    const last = page.at(-1);
    return { items: page, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt.toISOString(), id: last.id }) : null };
  }

  /** Admin: totals by day, user, provider and model, newest day first, with filters. */
  async aggregates(query: { from?: Date; to?: Date; userId?: string; provider?: string; model?: string; limit: number; cursor?: string }): Promise<CursorPage<UsageAggregateView>> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    const where = (condition: string, value: unknown) => {
      parameters.push(value);
      conditions.push(condition.replace('?', `$${parameters.length}`));
    };
    if (query.from) where('created_at >= ?', query.from);
    if (query.to) where('created_at < ?', query.to);
    if (query.userId) where('user_id = ?', query.userId);
    if (query.provider) where('provider = ?', query.provider);
    if (query.model) where('model = ?', query.model);
    let having = '';
    if (query.cursor) {
      const position = decodeCursor(query.cursor, ['day', 'key']);
      parameters.push(position['day'], position['key']);
      having = `HAVING (to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), user_id::text || '/' || coalesce(provider, '') || '/' || coalesce(model, ''))
                       < ($${parameters.length - 1}, $${parameters.length})`;
    }
    parameters.push(query.limit + 1);
    const rows: Array<Record<string, string | null>> = await this.dataSource.query(
      `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, user_id, provider, model,
              count(*) AS events, sum(quantity) FILTER (WHERE modality = 'chat') AS messages,
              sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_micros) AS cost_micros
         FROM usage_events ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
        GROUP BY 1, user_id, provider, model ${having}
        ORDER BY 1 DESC, user_id::text || '/' || coalesce(provider, '') || '/' || coalesce(model, '') DESC
        LIMIT $${parameters.length}`,
      parameters,
    );
    const page = rows.slice(0, query.limit).map((row) => ({
      day: row['day']!,
      userId: row['user_id']!,
      provider: row['provider'],
      model: row['model'],
      events: Number(row['events']),
      messages: Number(row['messages'] ?? 0),
      inputTokens: Number(row['input_tokens']),
      outputTokens: Number(row['output_tokens']),
      costMicros: Number(row['cost_micros']),
    }));
    const last = page.at(-1);
    return {
      items: page,
      nextCursor: rows.length > query.limit && last ? encodeCursor({ day: last.day, key: `${last.userId}/${last.provider ?? ''}/${last.model ?? ''}` }) : null,
    };
  }

  /** Admin: per-user limits over the plan's (null removes every override). Returns the effective limits. */
  async setOverrides(caller: Caller, limits: Record<string, unknown> | null): Promise<PlanLimits | undefined> {
    const [user]: Array<{ id: string }> = await this.dataSource.query('SELECT id FROM users WHERE id = $1', [caller.userId]);
    if (!user) throw new ProblemException(CoreProblems.notFound, 'No such user.');
    if (limits === null) {
      await this.dataSource.query('DELETE FROM quota_overrides WHERE user_id = $1', [caller.userId]);
    } else {
      const problem = limitsProblem(limits);
      if (problem) throw new ProblemException(UsageProblems.invalidLimits, `Invalid limits: ${problem}.`, { errors: [{ field: 'limits', message: problem }] });
      await this.dataSource.query(
        `INSERT INTO quota_overrides (user_id, limits) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET limits = EXCLUDED.limits, updated_at = now()`,
        [caller.userId, JSON.stringify(limits)],
      );
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
      const truth: Array<{ user_id: string; metric: string; period_start: Date; total: string }> = await manager.query(
        `SELECT user_id, 'chat.messages' AS metric, $1::timestamptz AS period_start, sum(quantity) AS total FROM usage_events WHERE modality = 'chat' AND created_at >= $1 AND created_at < $1::timestamptz + interval '1 day' GROUP BY user_id
         UNION ALL SELECT user_id, 'chat.tokens', $2::timestamptz, sum(input_tokens + output_tokens) FROM usage_events WHERE modality = 'chat' AND created_at >= $2 AND created_at < $2::timestamptz + interval '1 month' GROUP BY user_id
         UNION ALL SELECT user_id, 'chat.cost_micros', $2::timestamptz, sum(cost_micros) FROM usage_events WHERE modality = 'chat' AND created_at >= $2 AND created_at < $2::timestamptz + interval '1 month' GROUP BY user_id`,
        [day, month],
      );
      const counters: Array<{ user_id: string; metric: string; period_start: Date; used: string }> = await manager.query(
        `SELECT user_id, metric, period_start, used FROM usage_counters WHERE (metric = 'chat.messages' AND period_start = $1) OR (metric IN ('chat.tokens', 'chat.cost_micros') AND period_start = $2) FOR UPDATE`,
        [day, month],
      );
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
        await manager.query(
          `INSERT INTO usage_counters AS c (user_id, metric, period_start, used) VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, metric, period_start) DO UPDATE SET used = EXCLUDED.used`,
          [row.userId, row.metric, row.periodStart, row.ledger],
        );
      }
      return drift;
    });
  }
}

function toEventView(row: Record<string, unknown>): UsageEventView {
  return {
    id: row['id'] as string,
    modality: row['modality'] as string,
    quantity: Number(row['quantity']),
    inputTokens: Number(row['input_tokens']),
    outputTokens: Number(row['output_tokens']),
    cachedInputTokens: Number(row['cached_input_tokens']),
    reasoningTokens: Number(row['reasoning_tokens']),
    costMicros: Number(row['cost_micros']),
    provider: row['provider'] as string | null,
    model: row['model'] as string | null,
    conversationId: row['conversation_id'] as string | null,
    messageId: row['message_id'] as string | null,
    createdAt: row['created_at'] as Date,
  };
}
