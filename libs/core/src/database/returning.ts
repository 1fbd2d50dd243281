import type { EntityManager } from 'typeorm';

/**
 * Runs `UPDATE` / `DELETE ... RETURNING` and gives back the rows. TypeORM's PostgreSQL driver
 * answers those statements with `[rows, rowCount]` (and `SELECT`/`INSERT` with the rows alone),
 * which is easy to destructure wrongly.
 */
export async function queryReturning<T>(manager: Pick<EntityManager, 'query'>, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result: unknown = await manager.query(sql, parameters);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
