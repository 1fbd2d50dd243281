import { Global, Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { OpenDatabase, openDatabase, runPendingMigrations, type DatabaseSchema } from './database.js';

@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(@Inject(OpenDatabase) private readonly database: OpenDatabase) {}

  /** Opens the database, migrates it to the latest schema, and provides TypeORM's `DataSource`. */
  static forRoot(schema: DatabaseSchema): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: OpenDatabase,
          inject: [APP_CONFIG],
          useFactory: async (config: AppConfig) => {
            const logger = new Logger('Database');
            const database = await openDatabase(config, schema);
            try {
              const applied = await runPendingMigrations(database.dataSource);
              if (applied.length > 0) logger.log(`Applied migrations: ${applied.join(', ')}`);
            } catch (error) {
              await database.close();
              throw error;
            }
            if (database.embedded) {
              logger.log(
                `Embedded PostgreSQL (PGlite) in ${config.database.embedded.dataDir}; ` +
                  `connect with: psql "${database.embedded.url}"`,
              );
            }
            return database;
          },
        },
        { provide: DataSource, inject: [OpenDatabase], useFactory: (database: OpenDatabase) => database.dataSource },
      ],
      exports: [DataSource],
    };
  }

  /** Runs after the HTTP server has closed, so in-flight requests still had their connections. */
  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
    this.logger.log('Database closed');
  }
}
