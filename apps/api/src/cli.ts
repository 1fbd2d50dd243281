import 'reflect-metadata';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, UsersService } from '#chorus/auth';
import {
  ConfigValidationError,
  DEFAULT_EMBEDDED_DB_DIR,
  EmbeddedPostgres,
  ProblemException,
  loadConfig,
  openDatabase,
  pendingSchemaChanges,
  readEnvironment,
  revertLastMigration,
  runPendingMigrations,
  type AppConfig,
  type Env,
} from '#chorus/core';
import { UsageService } from '#chorus/usage';
import { AppModule, SCHEMA } from './app.module.js';
import { renderOpenApiDocument } from './openapi-document.js';

/** Paths are relative to the directory npm scripts run in: the repository root. */
const MIGRATIONS_DIR = resolve('migrations');
const OPENAPI_FILE = resolve('openapi/openapi.json');

const USAGE = `Usage: npm run cli -- <command>

  migration:run              apply pending migrations
  migration:revert           revert the last applied migration
  migration:generate <Name>  write a migration for the difference between the entities and the database
  migration:check            fail if the migrated database differs from the entities (CI gate)
  openapi [--check]          write openapi/openapi.json, or fail if it is out of date
  usage:rebuild              recompute the usage counters from the ledger and report any drift
  create-admin <email>       create an admin account; the password is read from standard input,
                             e.g. printf '%s' "$PASSWORD" | npm run cli -- create-admin ops@example.com

The database is the one the app would use: DATABASE_URL, or the embedded one in EMBEDDED_DB_DIR.`;

type Command = (config: AppConfig, args: string[]) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  'migration:run': async (config) => {
    await withDatabase(config, async (dataSource) => {
      const applied = await runPendingMigrations(dataSource);
      say(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'No pending migrations.');
    });
  },

  'migration:revert': async (config) => {
    await withDatabase(config, async (dataSource) => {
      await revertLastMigration(dataSource);
      say('Reverted the last migration.');
    });
  },

  'migration:generate': async (config, [name]) => {
    if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) {
      throw new CliError('Give the migration a PascalCase name: npm run migration:generate -- AddUsers');
    }
    await withDatabase(config, async (dataSource) => {
      await runPendingMigrations(dataSource);
      const changes = await pendingSchemaChanges(dataSource);
      if (changes.up.length === 0) {
        say('The entities and the migrated database agree: nothing to generate.');
        return;
      }
      const file = writeMigration(name, changes);
      say(`Wrote ${file} and registered it in migrations/index.ts. Review it before committing.`);
    });
  },

  'migration:check': async (config) => {
    await withDatabase(config, async (dataSource) => {
      await runPendingMigrations(dataSource);
      const changes = await pendingSchemaChanges(dataSource);
      if (changes.up.length > 0) {
        throw new CliError(
          `The entities differ from the migrated schema; run npm run migration:generate -- <Name>.\n` +
            changes.up.map((query) => `  ${query}`).join('\n'),
        );
      }
      say('Migrations and entities agree.');
    });
  },

  'usage:rebuild': async (config) => {
    await withAppContext(config, async (app) => {
      const drift = await app.get(UsageService).rebuildCounters();
      if (drift.length === 0) {
        say('Counters match the ledger.');
        return;
      }
      for (const row of drift) say(`${row.userId} ${row.metric} ${row.periodStart.toISOString()}: counter ${row.counter}, ledger ${row.ledger} (fixed)`);
      say(`Corrected ${drift.length} counter(s) from the ledger.`);
    });
  },

  'create-admin': async (config, [email]) => {
    if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) throw new CliError('Usage: npm run cli -- create-admin <email> (password on standard input)');
    if (process.stdin.isTTY) throw new CliError('Pipe the password on standard input, so it stays out of the shell history.');
    const password = (await readStandardInput()).replace(/\r?\n$/, '');
    if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
      throw new CliError(`The password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`);
    }
    await withAppContext(config, async (app) => {
      const users = app.get(UsersService);
      const admin = await users.insert(await users.prepare({ email, password, role: 'admin', displayName: 'Admin' }));
      say(`Created admin ${admin.email} (${admin.id}).`);
    });
  },

  openapi: async (config, args) => {
    const generated = await renderOpenApiDocument(config);
    if (args.includes('--check')) {
      const committed = readFileSync(OPENAPI_FILE, 'utf8');
      if (committed !== generated) throw new CliError('openapi/openapi.json is out of date: run npm run openapi and commit it.');
      say('openapi/openapi.json is up to date.');
      return;
    }
    mkdirSync(resolve('openapi'), { recursive: true });
    writeFileSync(OPENAPI_FILE, generated);
    say(`Wrote ${OPENAPI_FILE}`);
  },
};

class CliError extends Error {}

/** The application without its HTTP server, for commands that use its services. */
async function withAppContext(config: AppConfig, work: (app: INestApplicationContext) => Promise<void>): Promise<void> {
  // abortOnError off: a failure to start (e.g. the database) reaches main's handler and is printed, instead of a silent exit.
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false, abortOnError: false });
  try {
    await work(app);
  } catch (error) {
    if (error instanceof ProblemException) throw new CliError(error.detail);
    throw error;
  } finally {
    await app.close();
  }
}

async function withDatabase(
  config: AppConfig,
  work: (dataSource: Awaited<ReturnType<typeof openDatabase>>['dataSource']) => Promise<void>,
): Promise<void> {
  const database = await openDatabase(config, SCHEMA);
  try {
    await work(database.dataSource);
  } finally {
    await database.close();
  }
}

function writeMigration(name: string, changes: { up: string[]; down: string[] }): string {
  const timestamp = Date.now();
  const className = `${name}${timestamp}`;
  const fileName = `${timestamp}-${name}`;
  const asTemplateLiteral = (sql: string) => `\`${sql.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${')}\``;
  const statements = (queries: string[]) =>
    queries.map((query) => `    await queryRunner.query(${asTemplateLiteral(query.trim())});`).join('\n');
  writeFileSync(
    join(MIGRATIONS_DIR, `${fileName}.ts`),
    `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${statements(changes.up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${statements([...changes.down].reverse())}
  }
}
`,
  );
  registerMigrations();
  return `migrations/${fileName}.ts`;
}

/** Rewrites migrations/index.ts to list every migration file, oldest first. */
function registerMigrations(): void {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d+-[A-Za-z0-9]+\.ts$/.test(file))
    .sort();
  const entries = files.map((file) => {
    const [timestamp, name] = file.replace(/\.ts$/, '').split('-') as [string, string];
    return { file: file.replace(/\.ts$/, '.js'), className: `${name}${timestamp}` };
  });
  writeFileSync(
    join(MIGRATIONS_DIR, 'index.ts'),
    `import type { MigrationInterface } from 'typeorm';
${entries.map((entry) => `import { ${entry.className} } from './${entry.file}';`).join('\n')}

/**
 * Every migration, oldest first. \`npm run migration:generate -- <Name>\` writes a new file
 * and adds it here; TypeORM runs the ones not yet recorded in the \`migrations\` table.
 */
export const MIGRATIONS: ReadonlyArray<new () => MigrationInterface> = [
${entries.map((entry) => `  ${entry.className},`).join('\n')}
];
`,
  );
}

async function readStandardInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(name ? 2 : 0);
  }
  await command(loadConfig(throughRunningServer(readEnvironment({ LOG_LEVEL: 'warn' }))), args);
}

/**
 * Only one process can open the embedded database's files; while the server has them, the CLI
 * connects to the server's database socket instead. It then shares the database with a live
 * process, so it must not take the server's replies in progress for a dead process's.
 */
function throughRunningServer(env: Env): Env {
  if (env['DATABASE_URL']?.trim()) return env;
  const running = EmbeddedPostgres.runningAt(env['EMBEDDED_DB_DIR']?.trim() || DEFAULT_EMBEDDED_DB_DIR);
  if (!running) return env;
  process.stderr.write(`The server (process ${running.pid}) has the embedded database open: working through it.\n`);
  return { ...env, DATABASE_URL: running.url, DATABASE_POOL_SIZE: '1', DATABASE_EXCLUSIVE: 'false' };
}

main().catch((error: unknown) => {
  const known = error instanceof CliError || error instanceof ConfigValidationError;
  process.stderr.write(`${known ? (error as Error).message : `Failed: ${(error as Error).message ?? String(error)}`}\n`);
  process.exit(1);
});
