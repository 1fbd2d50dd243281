import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** A usage counter as stored; bigint columns come back as strings. */
export interface CounterRow {
  readonly user_id: string;
  readonly metric: string;
  readonly period_start: Date;
  readonly used: string;
  readonly reserved: string;
}

/** What the ledger says a counter should hold. */
export interface LedgerTotalRow {
  readonly user_id: string;
  readonly metric: string;
  readonly period_start: Date;
  readonly total: string;
}

/** A ledger event as stored; bigint columns come back as strings. */
export interface UsageEventRow {
  readonly id: string;
  readonly modality: string;
  readonly quantity: string;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cached_input_tokens: number;
  readonly reasoning_tokens: number;
  readonly cost_micros: string;
  readonly provider: string | null;
  readonly model: string | null;
  readonly conversation_id: string | null;
  readonly message_id: string | null;
  readonly media_id: string | null;
  readonly created_at: Date;
}

/** Where a page of a user's ledger starts: after the event with this `created_at` (ISO date) and id. */
export interface UsageEventPosition {
  readonly at: string | number;
  readonly id: string | number;
}

/** Totals of one day (UTC), user, provider and model; sums come back as strings. */
export interface UsageAggregateRow {
  readonly day: string;
  readonly user_id: string;
  readonly provider: string | null;
  readonly model: string | null;
  readonly events: string;
  readonly messages: string | null;
  readonly input_tokens: string;
  readonly output_tokens: string;
  readonly cost_micros: string;
}

/** Which events the totals count. */
export interface UsageAggregateFilter {
  readonly from?: Date;
  readonly to?: Date;
  readonly userId?: string;
  readonly provider?: string;
  readonly model?: string;
}

/** Where a page of totals starts: after the group with this day and `user_id/provider/model` key. */
export interface UsageAggregatePosition {
  readonly day: string | number;
  readonly key: string | number;
}

/** The day of an event (UTC) and the key that orders a day's groups; both are also what cursors hold. */
const AGGREGATE_DAY = `to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`;
const AGGREGATE_KEY = `user_id::text || '/' || coalesce(provider, '') || '/' || coalesce(model, '')`;

/** Queries on the usage ledger, counters and quota overrides. */
@Injectable()
export class UsageRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The user's counters of periods starting at or after `since`. */
  countersSince(userId: string, since: Date): Promise<CounterRow[]> {
    return this.dataSource.query(
      'SELECT user_id, metric, period_start, used, reserved FROM usage_counters WHERE user_id = $1 AND period_start >= $2',
      [userId, since],
    );
  }

  /** The user's ledger, newest first, after `after`; at most `take` events. */
  eventsPage(userId: string, after: UsageEventPosition | undefined, take: number): Promise<UsageEventRow[]> {
    const afterCondition = after ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : '';
    return this.dataSource.query(
      `SELECT id, modality, quantity, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cost_micros,
              provider, model, conversation_id, message_id, media_id, created_at
         FROM usage_events WHERE user_id = $1 ${afterCondition} ORDER BY created_at DESC, id DESC LIMIT $2`,
      after ? [userId, take, after.at, after.id] : [userId, take],
    );
  }

  /** Totals by day, user, provider and model of the events `filter` selects, newest day first, after `after`; at most `take` of them. */
  aggregatesPage(filter: UsageAggregateFilter, after: UsageAggregatePosition | undefined, take: number): Promise<UsageAggregateRow[]> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    const where = (condition: string, value: unknown) => {
      parameters.push(value);
      conditions.push(condition.replace('?', `$${parameters.length}`));
    };
    if (filter.from) where('created_at >= ?', filter.from);
    if (filter.to) where('created_at < ?', filter.to);
    if (filter.userId) where('user_id = ?', filter.userId);
    if (filter.provider) where('provider = ?', filter.provider);
    if (filter.model) where('model = ?', filter.model);
    let having = '';
    if (after) {
      parameters.push(after.day, after.key);
      having = `HAVING (${AGGREGATE_DAY}, ${AGGREGATE_KEY}) < ($${parameters.length - 1}, $${parameters.length})`;
    }
    parameters.push(take);
    return this.dataSource.query(
      `SELECT ${AGGREGATE_DAY} AS day, user_id, provider, model,
              count(*) AS events, sum(quantity) FILTER (WHERE modality = 'chat') AS messages,
              sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cost_micros) AS cost_micros
         FROM usage_events ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
        GROUP BY 1, user_id, provider, model ${having}
        ORDER BY 1 DESC, ${AGGREGATE_KEY} DESC
        LIMIT $${parameters.length}`,
      parameters,
    );
  }

  /** Sets the user's overrides; fails with the driver's foreign key violation when there is no such user. */
  async upsertOverrides(userId: string, limits: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO quota_overrides (user_id, limits) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET limits = EXCLUDED.limits, updated_at = now()`,
      [userId, JSON.stringify(limits)],
    );
  }

  async deleteOverrides(userId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM quota_overrides WHERE user_id = $1', [userId]);
  }

  /** Per user, what the ledger holds for the chat and media counters of the day starting at `day` and the month starting at `month`. */
  ledgerTotals(day: Date, month: Date, manager: EntityManager): Promise<LedgerTotalRow[]> {
    const inDay = `created_at >= $1 AND created_at < $1::timestamptz + interval '1 day'`;
    const inMonth = `created_at >= $2 AND created_at < $2::timestamptz + interval '1 month'`;
    return manager.query(
      `SELECT user_id, 'chat.messages' AS metric, $1::timestamptz AS period_start, sum(quantity) AS total FROM usage_events WHERE modality = 'chat' AND ${inDay} GROUP BY user_id
       UNION ALL SELECT user_id, 'chat.tokens', $2::timestamptz, sum(input_tokens + output_tokens) FROM usage_events WHERE modality = 'chat' AND ${inMonth} GROUP BY user_id
       UNION ALL SELECT user_id, 'chat.cost_micros', $2::timestamptz, sum(cost_micros) FROM usage_events WHERE modality = 'chat' AND ${inMonth} GROUP BY user_id
       UNION ALL SELECT user_id, 'media.uploads', $1::timestamptz, count(*) FROM usage_events WHERE modality = 'media' AND ${inDay} GROUP BY user_id
       UNION ALL SELECT user_id, 'media.bytes', $2::timestamptz, sum(quantity) FROM usage_events WHERE modality = 'media' AND ${inMonth} GROUP BY user_id`,
      [day, month],
    );
  }

  /** Every user's chat and media counters of the day starting at `day` and the month starting at `month`, locked until the transaction ends. */
  lockCounters(day: Date, month: Date, manager: EntityManager): Promise<CounterRow[]> {
    return manager.query(
      `SELECT user_id, metric, period_start, used, reserved FROM usage_counters
        WHERE (metric IN ('chat.messages', 'media.uploads') AND period_start = $1) OR (metric IN ('chat.tokens', 'chat.cost_micros', 'media.bytes') AND period_start = $2) FOR UPDATE`,
      [day, month],
    );
  }

  /** Sets a counter's `used`, creating the counter when there is none. */
  async setCounterUsed(counter: { userId: string; metric: string; periodStart: Date; used: number }, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO usage_counters AS c (user_id, metric, period_start, used) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, metric, period_start) DO UPDATE SET used = EXCLUDED.used`,
      [counter.userId, counter.metric, counter.periodStart, counter.used],
    );
  }
}
