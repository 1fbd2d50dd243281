/**
 * A user's usage books, as SELECT columns of one row ($1: the user's id): the chat counters
 * (used, and what is still held) next to the ledger's totals, which must equal them once
 * nothing is held.
 */
export const BOOKS_COLUMNS = `
  (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'chat.messages')::int AS messages,
  (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'chat.tokens')::int AS tokens,
  (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'chat.cost_micros')::int AS cost,
  (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1)::int AS reserved,
  (SELECT count(*) FROM usage_reservations WHERE user_id = $1)::int AS reservations,
  (SELECT coalesce(sum(quantity), 0) FROM usage_events WHERE user_id = $1)::int AS "ledgerMessages",
  (SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM usage_events WHERE user_id = $1)::int AS "ledgerTokens",
  (SELECT coalesce(sum(cost_micros), 0) FROM usage_events WHERE user_id = $1)::int AS "ledgerCost"`;

/** A row of BOOKS_COLUMNS. */
export interface Books {
  /** The counters: messages, tokens and micro-dollars used, and what is still reserved (all metrics) by how many reservations. */
  readonly messages: number;
  readonly tokens: number;
  readonly cost: number;
  readonly reserved: number;
  readonly reservations: number;
  /** The ledger's totals of the same. */
  readonly ledgerMessages: number;
  readonly ledgerTokens: number;
  readonly ledgerCost: number;
}
