import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SqlParameters } from '#chorus/core';
import type { Modality } from './usage.entity.js';

/** A hold on one counter: what a reservation keeps aside until its reply settles. */
export interface Hold {
  readonly metric: string;
  readonly periodStart: string;
  readonly amount: number;
}

/** One counter a reservation asks to hold `amount` on, refused when it would pass `cap` (null: unlimited). */
export interface WantedHold extends Hold {
  readonly cap: number | null;
}

/** What one counter ends up charged when a reservation settles: `used`, in the reservation's period when it had one. */
export interface CounterCharge {
  readonly metric: string;
  /** The period to charge when the reservation is gone (or there never was one). */
  readonly periodStart: Date;
  readonly used: number;
}

/** The ledger event of a settled reply or upload (an upload's tokens and cost are 0, its provider and model null). */
export interface LedgerEvent {
  readonly userId: string;
  readonly modality: Modality;
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
  readonly requestId: string | null;
  readonly createdAt: Date;
}

/**
 * Part of a statement composed by another lib's repository: common table expressions (to
 * follow a `WITH`, comma-separated) and the select-list items the statement must return
 * (without them, a CTE that is only read would not run).
 */
export interface StatementPart {
  readonly ctes: string;
  readonly columns: string;
}

/** A settlement's part: `released` (the CTE `quota_released`) comes before the gate, which may read it. */
export interface SettlementPart extends StatementPart {
  readonly released: string;
}

/** A counter after a reservation held on it. */
export interface HeldCounter {
  readonly metric: string;
  readonly used: string;
  readonly reserved: string;
}

/** The message `usage_refuse_chat` raises: a send's statement was refused by a quota. */
export const QUOTA_REFUSAL = 'quota_exceeded';

/**
 * The usage ledger's queries: reservations, settlements and their release. The reservation and
 * the settlement are written as statement parts so that a reply's own rows and its usage are
 * written in one statement (one round trip, atomic without a transaction).
 */
@Injectable()
export class QuotaRepository {
  constructor(private readonly dataSource: DataSource) {}

  async overridesOf(userId: string): Promise<Record<string, unknown> | null> {
    const [row]: Array<{ limits: Record<string, unknown> }> = await this.dataSource.query('SELECT limits FROM quota_overrides WHERE user_id = $1', [userId]);
    return row?.limits ?? null;
  }

  /** The user a reservation holds for, or undefined when it is gone (settled, released or expired). */
  async reservationOwner(reservationId: string): Promise<string | undefined> {
    const [row]: Array<{ user_id: string }> = await this.dataSource.query('SELECT user_id FROM usage_reservations WHERE message_id = $1', [reservationId]);
    return row?.user_id;
  }

  /** A counter's use so far (used + reserved), to explain a refusal. */
  async currentUse(userId: string, metric: string, periodStart: Date, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [row]: Array<{ total: string }> = await manager.query(
      'SELECT used + reserved AS total FROM usage_counters WHERE user_id = $1 AND metric = $2 AND period_start = $3',
      [userId, metric, periodStart],
    );
    return Number(row?.total ?? 0);
  }

  /**
   * Holds `wanted` on the user's counters for the reservation keyed by the `id` of the one row
   * of CTE `gate` (no row: nothing is held). Each counter is created or updated by one
   * conditional upsert that re-checks its cap under the row lock, so concurrent sends never pass
   * a limit together; a counter that does not fit makes `usage_refuse_chat` abort the statement.
   * Returns `quota_held` (json rows of HeldCounter) and `quota_refused`.
   */
  reservationPart(userId: string, wanted: readonly WantedHold[], ttlSeconds: number, gate: string, parameters: SqlParameters): StatementPart {
    const user = parameters.add(userId, 'uuid');
    const values = wanted
      .map((hold) => `(${parameters.add(hold.metric, 'varchar')}, ${parameters.add(hold.periodStart, 'timestamptz')}, ${parameters.add(hold.amount, 'bigint')}, ${parameters.add(hold.cap, 'bigint')})`)
      .join(', ');
    const holds = parameters.add(JSON.stringify(wanted.map(({ metric, periodStart, amount }) => ({ metric, periodStart, amount }))), 'jsonb');
    const ttl = parameters.add(ttlSeconds, 'int');
    return {
      ctes: `
        quota_wanted (metric, period_start, amount, cap) AS (VALUES ${values}),
        quota_held AS (
          INSERT INTO usage_counters AS c (user_id, metric, period_start, reserved)
          SELECT ${user}, w.metric, w.period_start, w.amount FROM quota_wanted w, ${gate}
           WHERE w.cap IS NULL OR w.amount <= w.cap
          ON CONFLICT (user_id, metric, period_start) DO UPDATE SET reserved = c.reserved + EXCLUDED.reserved
           WHERE c.used + c.reserved + EXCLUDED.reserved <= ALL (SELECT w.cap FROM quota_wanted w WHERE w.metric = EXCLUDED.metric AND w.cap IS NOT NULL)
          RETURNING c.metric, c.used, c.reserved),
        quota_reservation AS (
          INSERT INTO usage_reservations (user_id, message_id, holds, expires_at)
          SELECT ${user}, ${gate}.id, ${holds}, now() + make_interval(secs => ${ttl}) FROM ${gate}),
        quota_refused AS (
          SELECT usage_refuse_chat(w.metric) FROM quota_wanted w
           WHERE EXISTS (SELECT 1 FROM ${gate}) AND NOT EXISTS (SELECT 1 FROM quota_held h WHERE h.metric = w.metric))`,
      columns: `(SELECT json_agg(quota_held) FROM quota_held) AS quota_held, (SELECT count(*) FROM quota_refused) AS quota_refused`,
    };
  }

  /**
   * Settles a reply: deletes its reservation (CTE `quota_released`, whatever `gate` says: the
   * composer may gate on it), and when CTE `gate` has a row, writes the ledger event and charges
   * each counter `used` while releasing what the reservation held on it (in the reservation's
   * period: a reply may end after midnight). Returns `quota_settled` (the number of ledger events
   * written: 0 or 1).
   */
  settlementPart(reservationId: string, event: LedgerEvent, counters: readonly CounterCharge[], gate: string, parameters: SqlParameters): SettlementPart {
    const released = `quota_released AS (DELETE FROM usage_reservations WHERE message_id = ${parameters.add(reservationId, 'uuid')} RETURNING holds)`;
    const user = parameters.add(event.userId, 'uuid');
    const values = counters
      .map((counter) => `(${parameters.add(counter.metric, 'varchar')}, ${parameters.add(counter.periodStart, 'timestamptz')}, ${parameters.add(counter.used, 'bigint')})`)
      .join(', ');
    const eventValues = [
      event.modality, event.quantity, event.inputTokens, event.outputTokens, event.cachedInputTokens, event.reasoningTokens, event.costMicros,
      event.provider, event.model, event.conversationId, event.messageId, event.mediaId, event.requestId, event.createdAt,
    ].map((value) => parameters.add(value));
    return {
      released,
      ctes: `
        quota_release (metric, period_start, amount) AS (
          SELECT h->>'metric', (h->>'periodStart')::timestamptz, (h->>'amount')::bigint FROM quota_released r, jsonb_array_elements(r.holds) h),
        quota_event AS (
          INSERT INTO usage_events (user_id, modality, quantity, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                                    cost_micros, provider, model, conversation_id, message_id, media_id, request_id, created_at)
          SELECT ${user}, ${eventValues.join(', ')} FROM ${gate}
          RETURNING id),
        quota_charged AS (
          INSERT INTO usage_counters AS c (user_id, metric, period_start, used, reserved)
          SELECT ${user}, v.metric, coalesce(r.period_start, v.period_start), v.used, coalesce(r.amount, 0)
            FROM (VALUES ${values}) AS v (metric, period_start, used)
            LEFT JOIN quota_release r ON r.metric = v.metric
           WHERE EXISTS (SELECT 1 FROM ${gate})
          ON CONFLICT (user_id, metric, period_start)
          DO UPDATE SET used = c.used + EXCLUDED.used, reserved = greatest(c.reserved - EXCLUDED.reserved, 0))`,
      columns: `(SELECT count(*)::int FROM quota_event) AS quota_settled, EXISTS (SELECT 1 FROM quota_released) AS quota_was_held`,
    };
  }

  /** Runs a statement made of parts (and the CTE `gate` they depend on) and returns its one row. */
  async run<T>(gate: string, parts: readonly StatementPart[], parameters: SqlParameters, manager: EntityManager = this.dataSource.manager): Promise<T> {
    const [row]: T[] = await manager.query(
      `WITH ${gate}, ${parts.map((part) => part.ctes).join(',')} SELECT ${parts.map((part) => part.columns).join(', ')}`,
      parameters.values,
    );
    return row!;
  }

  /**
   * Deletes the reservations matching `condition` (expired ones, all, or one) and gives their
   * holds back, in one statement. Returns how many were released.
   */
  async release(condition: 'expires_at < now()' | 'true' | { readonly reservationId: string }): Promise<number> {
    const [where, values] = typeof condition === 'string' ? [condition, []] : ['message_id = $1', [condition.reservationId]];
    // Counters are locked in the order sends and settlements lock them (each user's, in the order
    // of the holds), so that a sweep never deadlocks with them.
    const [row]: Array<{ released: number }> = await this.dataSource.query(
      `WITH expired AS (DELETE FROM usage_reservations WHERE ${where} RETURNING user_id, holds),
            held AS (
              SELECT e.user_id, h.value->>'metric' AS metric, (h.value->>'periodStart')::timestamptz AS period_start,
                     sum((h.value->>'amount')::bigint) AS amount, min(h.ordinality) AS ordinal
                FROM expired e, jsonb_array_elements(e.holds) WITH ORDINALITY h GROUP BY 1, 2, 3),
            locked AS (
              SELECT c.user_id, c.metric, c.period_start, held.amount FROM usage_counters c
                JOIN held ON c.user_id = held.user_id AND c.metric = held.metric AND c.period_start = held.period_start
               ORDER BY held.user_id, held.ordinal FOR UPDATE OF c),
            given_back AS (
              UPDATE usage_counters c SET reserved = greatest(c.reserved - locked.amount, 0)
                FROM locked WHERE c.user_id = locked.user_id AND c.metric = locked.metric AND c.period_start = locked.period_start)
       SELECT count(*)::int AS released FROM expired`,
      values,
    );
    return row!.released;
  }
}
