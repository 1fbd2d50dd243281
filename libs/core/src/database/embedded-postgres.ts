import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Extensions the migrations may create; PGlite only offers those handed to it at start. */
export const EMBEDDED_EXTENSIONS = { citext, pg_trgm };

/**
 * Connections the socket server accepts: the app keeps exactly one (see database.module),
 * the rest let an operator attach `psql` while the app runs. The server's multiplexer
 * holds other connections back while one has a transaction open.
 */
const MAX_SOCKET_CONNECTIONS = 4;

export interface EmbeddedPostgresOptions {
  /** A directory path, or `memory://` for a throw-away database. */
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** A data directory snapshot (from `dumpDataDir`) to start from instead of running initdb. */
  readonly snapshot?: Blob;
}

/**
 * PostgreSQL 18 compiled to WebAssembly (PGlite), served over the PostgreSQL wire protocol
 * on a local port so that TypeORM's ordinary `pg` driver, and `psql`, can talk to it.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lockFile: string | undefined,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const inMemory = options.dataDir.startsWith('memory://');
    const dataDir = inMemory ? options.dataDir : resolve(options.dataDir);
    const lockFile = inMemory ? undefined : acquireDataDirLock(dataDir);
    try {
      const db = await PGlite.create(dataDir, {
        extensions: EMBEDDED_EXTENSIONS,
        loadDataDir: options.snapshot,
      });
      const server = new PGLiteSocketServer({
        db,
        host: options.host,
        port: options.port,
        maxConnections: MAX_SOCKET_CONNECTIONS,
      });
      await server.start();
      return new EmbeddedPostgres(db, server, lockFile);
    } catch (error) {
      if (lockFile) rmSync(lockFile, { force: true });
      throw error;
    }
  }

  /** `host:port` of the socket server. */
  get address(): string {
    return this.server.getServerConn();
  }

  get url(): string {
    return `postgresql://postgres@${this.address}/postgres`;
  }

  /** A tarball of the data directory, to start other instances from the same state. */
  async snapshot(): Promise<Blob> {
    return this.db.dumpDataDir('none');
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    if (this.lockFile) rmSync(this.lockFile, { force: true });
  }
}

/**
 * PGlite has no postmaster to stop a second process from opening the same files, and two
 * writers would corrupt them; a pid file beside the data directory does that job.
 */
function acquireDataDirLock(dataDir: string): string {
  const lockFile = `${dataDir}.lock`;
  mkdirSync(dirname(lockFile), { recursive: true });
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return lockFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number(readFileSync(lockFile, 'utf8'));
  if (isProcessAlive(holder)) {
    throw new Error(
      `The embedded database at ${dataDir} is in use by process ${holder}. ` +
        'Stop that process, or set EMBEDDED_DB_DIR to another directory.',
    );
  }
  // The previous holder is gone without cleaning up: take the lock over.
  writeFileSync(lockFile, String(process.pid));
  return lockFile;
}

function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
