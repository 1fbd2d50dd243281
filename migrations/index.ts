import type { MigrationInterface } from 'typeorm';

/**
 * Every migration, oldest first. `npm run migration:generate -- <Name>` writes a new file
 * and adds it here; TypeORM runs the ones not yet recorded in the `migrations` table.
 */
export const MIGRATIONS: ReadonlyArray<new () => MigrationInterface> = [];
