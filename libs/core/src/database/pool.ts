import type { ClientBase, PoolConfig } from 'pg';
import type { QueryRunner } from 'typeorm';
import type { DatabaseTimeouts } from '../config/app-config.js';

/** pg's error when a statement's answer did not arrive within `query_timeout`. */
const QUERY_READ_TIMEOUT = 'Query read timeout';

/**
 * The `pg` pool and connection options that bound every wait for the database: opening a
 * connection or waiting for a free one (`connectionTimeoutMillis` does both), each statement's
 * answer on the client side, and statements and idle transactions on the server side.
 * PGlite ignores the server-side ones (it has no timers); the client-side ones work the same.
 */
export function boundedPoolOptions(timeouts: DatabaseTimeouts): PoolConfig {
  return {
    connectionTimeoutMillis: timeouts.connectMs,
    query_timeout: timeouts.queryMs,
    // Sent in the startup packet: the session's defaults, which RESET returns to.
    ...(timeouts.statementMs > 0 ? { statement_timeout: timeouts.statementMs } : {}),
    ...(timeouts.idleInTransactionMs > 0 ? { idle_in_transaction_session_timeout: timeouts.idleInTransactionMs } : {}),
    keepAlive: timeouts.keepAliveMs > 0,
    ...(timeouts.keepAliveMs > 0 ? { keepAliveInitialDelayMillis: timeouts.keepAliveMs } : {}),
    onConnect: endOnQueryTimeout,
  };
}

/**
 * pg answers a statement that outlived `query_timeout` with an error but keeps its connection,
 * still waiting for that answer, and the pool hands it out again: every later statement on it
 * would wait behind the lost one, and a dead connection would never leave the pool. Ending it
 * lets the pool open a fresh one.
 */
function endOnQueryTimeout(client: ClientBase): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if ((error as { message?: unknown } | undefined)?.message === QUERY_READ_TIMEOUT) endClient(client);
      });
    }
    return result;
  }) as ClientBase['query'];
}

function endClient(client: ClientBase): void {
  // With its statement still pending, pg destroys the socket rather than waiting for a goodbye.
  (client as ClientBase & { end(): Promise<void> }).end().catch(() => undefined);
}

/** pg's per-connection settings; `query_timeout` is read again for every statement. */
interface ClientWithParameters {
  readonly connectionParameters: { query_timeout: number | false };
}

/**
 * Runs `work` on the query runner's connection with neither the client-side nor the server-side
 * statement limit: migrations, and the wait for the lock another process holds while it
 * migrates, can take longer than any request may. The connection gets its limits back after.
 */
export async function withoutStatementTimeouts<T>(queryRunner: QueryRunner, work: () => Promise<T>): Promise<T> {
  const { connectionParameters } = (await queryRunner.connect()) as ClientWithParameters;
  const queryTimeout = connectionParameters.query_timeout;
  connectionParameters.query_timeout = false;
  try {
    await queryRunner.query('SET statement_timeout = 0');
    try {
      return await work();
    } finally {
      await queryRunner.query('RESET statement_timeout');
    }
  } finally {
    connectionParameters.query_timeout = queryTimeout;
  }
}
