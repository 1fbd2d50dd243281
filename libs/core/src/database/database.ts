import { DataSource, MigrationExecutor, type MigrationInterface } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { boundedPoolOptions, withoutStatementTimeouts } from './pool.js';

type EntityList = NonNullable<ConstructorParameters<typeof DataSource>[0]['entities']>;

/** What the schema is made of: the entity classes and, in order, the migrations that build their tables. */
export interface DatabaseSchema {
  readonly entities: EntityList;
  readonly migrations: ReadonlyArray<new () => MigrationInterface>;
}

/** Any stable number: it names the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK_ID = 4_807_211;

/** An initialised DataSource and, in the embedded default, the PGlite server behind it. */
export class OpenDatabase {
  constructor(
    readonly dataSource: DataSource,
    readonly embedded: EmbeddedPostgres | undefined,
  ) {}

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

/**
 * Connects to PostgreSQL at DATABASE_URL or, when it is unset, starts the embedded PGlite
 * database and connects to it. Never synchronizes: the schema only changes through migrations.
 */
export async function openDatabase(config: AppConfig, schema: DatabaseSchema): Promise<OpenDatabase> {
  const { url, poolSize, timeouts, embedded: embeddedOptions } = config.database;
  const embedded = url ? undefined : await EmbeddedPostgres.start(embeddedOptions);
  const dataSource = new DataSource({
    type: 'postgres',
    url: url ?? embedded!.url,
    entities: schema.entities,
    migrations: [...schema.migrations],
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    extra: {
      application_name: 'chorus',
      ...boundedPoolOptions(timeouts),
      // PGlite is one backend: a single connection keeps every transaction whole (TOOLCHAIN.md).
      // It is kept open for the life of the process instead of being reopened after idling.
      ...(embedded ? { max: 1, idleTimeoutMillis: 0 } : { max: poolSize }),
    },
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return new OpenDatabase(dataSource, embedded);
}

/**
 * Runs pending migrations while holding an advisory lock, so that several processes starting
 * together against one database migrate it once. Returns the names of the migrations applied.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<string[]> {
  return withMigrationLock(dataSource, async (executor) => {
    const applied = await executor.executePendingMigrations();
    return applied.map((migration) => migration.name);
  });
}

/** Reverts the most recently applied migration. */
export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  await withMigrationLock(dataSource, (executor) => executor.undoLastMigration());
}

/**
 * The SQL that would bring the database in line with the entities, after migrations have run.
 * Empty means the migrations and the entities agree.
 */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<{ up: string[]; down: string[] }> {
  const sqlInMemory = await dataSource.driver.createSchemaBuilder().log();
  return {
    up: sqlInMemory.upQueries.map((query) => query.query),
    down: sqlInMemory.downQueries.map((query) => query.query),
  };
}

async function withMigrationLock<T>(
  dataSource: DataSource,
  work: (executor: MigrationExecutor) => Promise<T>,
): Promise<T> {
  // The lock and the migrations share one connection, so this also works on a one-connection pool.
  const queryRunner = dataSource.createQueryRunner();
  try {
    return await withoutStatementTimeouts(queryRunner, async () => {
      await queryRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      try {
        // All pending migrations run in one transaction: a failing one leaves the schema as it was.
        return await work(new MigrationExecutor(dataSource, queryRunner));
      } finally {
        await queryRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
      }
    });
  } finally {
    await queryRunner.release();
  }
}
