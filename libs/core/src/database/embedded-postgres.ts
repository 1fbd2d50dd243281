import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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

/**
 * PostgreSQL's buffer cache. PGlite allocates (and so touches) all of it at start inside its
 * WebAssembly memory, and initdb writes 128MB into postgresql.conf: some 120 MiB of resident
 * memory more than this, for a cache in front of files the OS caches anyway. One backend
 * serves every connection here, so a small cache does; the setting overrides postgresql.conf
 * on every start, old data directories included.
 */
const SHARED_BUFFERS = '16MB';

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
    private readonly lock: { dataDir: string; file: string } | undefined,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const inMemory = options.dataDir.startsWith('memory://');
    const dataDir = inMemory ? options.dataDir : resolve(options.dataDir);
    const lock = inMemory ? undefined : { dataDir, file: acquireDataDirLock(dataDir) };
    try {
      if (!inMemory && !options.snapshot && !existsSync(join(dataDir, 'PG_VERSION'))) await initDataDir(dataDir);
      const db = await PGlite.create(dataDir, {
        extensions: EMBEDDED_EXTENSIONS,
        loadDataDir: options.snapshot,
        startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
      });
      const server = new PGLiteSocketServer({
        db,
        host: options.host,
        port: options.port,
        maxConnections: MAX_SOCKET_CONNECTIONS,
      });
      await server.start();
      const embedded = new EmbeddedPostgres(db, server, lock);
      // Published beside the lock, so that the CLI can work through this process while it runs.
      if (lock) writeFileSync(addressFileOf(dataDir), embedded.url);
      return embedded;
    } catch (error) {
      if (lock) releaseDataDirLock(lock.dataDir, lock.file);
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
    if (this.lock) rmSync(addressFileOf(this.lock.dataDir), { force: true });
    await this.server.stop();
    await this.db.close();
    if (this.lock) releaseDataDirLock(this.lock.dataDir, this.lock.file);
  }

  /**
   * The connection URL of the process that has the embedded database at `dataDir` open, if a
   * live one does: only one process may open the files, but others may connect to its server.
   */
  static runningAt(dataDir: string): { url: string; pid: number } | undefined {
    const directory = resolve(dataDir);
    try {
      const pid = Number(readFileSync(`${directory}.lock`, 'utf8'));
      if (pid === process.pid || !isProcessAlive(pid)) return undefined;
      return { url: readFileSync(addressFileOf(directory), 'utf8').trim(), pid };
    } catch {
      return undefined;
    }
  }
}

/**
 * Creates the database cluster in `dataDir` (initdb) in a short-lived child process. In this
 * one, initdb leaves a second PGlite instance and a copy of its whole WebAssembly memory as
 * garbage, and the memory they took stays with the process (some 150 MiB of resident memory
 * even after a full collection, twice that before one); the child returns it all when it exits.
 * PGlite then opens the directory as on any later start.
 */
async function initDataDir(dataDir: string): Promise<void> {
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `require(${JSON.stringify(pglite)}).PGlite.create(${JSON.stringify(dataDir)})
    .then((db) => db.close())
    .then(() => process.exit(0), (error) => { process.stderr.write(String(error?.stack ?? error)); process.exit(1); });`;
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code, signal) =>
      code === 0 ? done() : fail(new Error(`Creating the embedded database in ${dataDir} failed (${signal ?? `exit code ${code}`}): ${stderr.trim()}`)),
    );
  });
}

function addressFileOf(dataDir: string): string {
  return `${dataDir}.address`;
}

/** Data directories this process has open; a second open of one would corrupt it. */
const openInThisProcess = new Set<string>();

/**
 * PGlite has no postmaster to stop a second process from opening the same files, and two
 * writers would corrupt them; a pid file beside the data directory does that job.
 */
function acquireDataDirLock(dataDir: string): string {
  const lockFile = `${dataDir}.lock`;
  const inUse = (holder: number | string) =>
    new Error(`The embedded database at ${dataDir} is in use by process ${holder}. Stop that process, or set EMBEDDED_DB_DIR to another directory.`);
  if (openInThisProcess.has(dataDir)) throw inUse(process.pid);
  mkdirSync(dirname(lockFile), { recursive: true });
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(readFileSync(lockFile, 'utf8'));
    // Our own pid in the file is a leftover (a container's PID 1 restarted after a crash), not a holder.
    if (holder !== process.pid && isProcessAlive(holder)) throw inUse(holder);
    // The holder is gone without cleaning up: take over through an atomic rename, then check
    // that no other process starting at the same moment took it over after us.
    const claim = `${lockFile}.${process.pid}`;
    writeFileSync(claim, String(process.pid));
    renameSync(claim, lockFile);
    if (Number(readFileSync(lockFile, 'utf8')) !== process.pid) throw inUse(readFileSync(lockFile, 'utf8'));
  }
  openInThisProcess.add(dataDir);
  return lockFile;
}

function releaseDataDirLock(dataDir: string, lockFile: string): void {
  openInThisProcess.delete(dataDir);
  rmSync(lockFile, { force: true });
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
