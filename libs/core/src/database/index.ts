export { DatabaseModule } from './database.module.js';
export {
  OpenDatabase,
  openDatabase,
  pendingSchemaChanges,
  revertLastMigration,
  runPendingMigrations,
  type DatabaseSchema,
} from './database.js';
export { EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';
export { queryReturning } from './returning.js';
export { retryWhileUnavailable } from './retry-unavailable.js';
export { raisedException, SqlParameters } from './sql-parameters.js';
