import { randomUUID } from 'node:crypto';
import { RoundRobinProxy } from './round-robin-proxy.js';
import { ServerProcess } from './server-process.js';
import { deleteRedisKeys } from './test-app.js';
import { createTestDatabase, externalDatabaseUrl, type TestDatabase } from './test-database.js';

export interface ClusterOptions {
  /** How many API processes (3 by default). */
  readonly size?: number;
  /**
   * Variables for every process, on top of the cluster's own (provider configuration pointing
   * at a fake upstream, PLANS, SIMULATED_* ...). PLANS gets a generous `requestsPerMinute` on
   * each plan that does not set one, so that a test's burst is not rate limited by accident.
   */
  readonly env?: Record<string, string>;
  /** A database to run on instead of a fresh one; the cluster then leaves it in place on stop. */
  readonly database?: TestDatabase;
}

/** Request budgets far above anything a test sends; tests of rate limiting set their own. */
const GENEROUS_LIMITS = {
  RATE_LIMIT_DEFAULT: '100000',
  AUTH_LOGIN_LIMIT_PER_IP: '100000',
  AUTH_LOGIN_LIMIT_PER_EMAIL: '100000',
  AUTH_REGISTER_LIMIT_PER_IP: '100000',
};
const GENEROUS_REQUESTS_PER_MINUTE = 100_000;
/** How long stop() lets a process finish its replies after SIGTERM before it kills it. */
const STOP_GRACE_MS = 5_000;

/**
 * Chorus scaled out: several API processes (real processes, run from source) on one PostgreSQL
 * database and one Redis, behind a round-robin load balancer, as in a deployment. Needs
 * DATABASE_URL (several processes cannot share the embedded database) and REDIS_URL.
 *
 * ```ts
 * const cluster = await Cluster.start({ env: { PLANS } });
 * await fetch(`${cluster.proxyUrl}/api/v1/...`);            // the next process in turn
 * await fetch(`${cluster.processes[1]!.baseUrl}/api/v1/...`); // that process only
 * await cluster.kill(0);                                     // kill -9, and out of the rotation
 * await cluster.stop();
 * ```
 */
export class Cluster {
  private constructor(
    /** The API processes, in the proxy's order (`X-Upstream: i` is `processes[i]`). */
    readonly processes: ServerProcess[],
    readonly proxy: RoundRobinProxy,
    readonly database: TestDatabase,
    /** The Redis key prefix every process of this cluster shares, and only it. */
    readonly redisKeyPrefix: string,
    /** The variables each process was started with (on top of testEnvironment's defaults). */
    readonly env: Readonly<Record<string, string>>,
    private readonly ownsDatabase: boolean,
    private readonly redisUrl: string,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const redisUrl = process.env['REDIS_URL'];
    if (!redisUrl) throw new Error('A cluster shares a Redis: set REDIS_URL');
    if (!options.database && !externalDatabaseUrl()) throw new Error('A cluster shares a PostgreSQL database: set DATABASE_URL');
    const size = options.size ?? 3;
    const redisKeyPrefix = `chorus-test:cluster-${randomUUID()}:`;
    const env = clusterEnvironment(options.env ?? {}, redisUrl, redisKeyPrefix);
    const database = options.database ?? (await createTestDatabase());
    const started = await Promise.allSettled(Array.from({ length: size }, () => ServerProcess.start(database, env)));
    const processes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = started.find((result) => result.status === 'rejected');
    let proxy: RoundRobinProxy | undefined;
    try {
      if (failure) throw failure.reason;
      proxy = await RoundRobinProxy.start(processes.map((server) => server.baseUrl));
      return new Cluster(processes, proxy, database, redisKeyPrefix, env, !options.database, redisUrl);
    } catch (error) {
      await Promise.all(processes.map((server) => server.stop('SIGKILL')));
      await proxy?.close();
      await deleteRedisKeys(redisUrl, redisKeyPrefix);
      if (!options.database) await database.drop();
      throw error;
    }
  }

  /** The load balancer's base URL: each request goes to the next process in turn. */
  get proxyUrl(): string {
    return this.proxy.url;
  }

  /**
   * Takes process `index` out of the proxy's rotation and ends it with `signal` (SIGKILL: a
   * crash, nothing run on the way out), waiting for it to exit. Its open streams through the
   * proxy break.
   */
  async kill(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.proxy.disable(index);
    return this.processAt(index).stop(signal);
  }

  /** Starts a new process in place of `index` (stopped or not: a running one is killed first) and puts it back into the rotation. */
  async restart(index: number, env: Record<string, string> = {}): Promise<ServerProcess> {
    await this.kill(index);
    const server = await ServerProcess.start(this.database, { ...this.env, ...env });
    this.processes[index] = server;
    this.proxy.replace(index, server.baseUrl);
    this.proxy.enable(index);
    return server;
  }

  /** The log lines of every process whose message contains `text`, with the index of the process that wrote each. */
  logged(text: string): Array<Record<string, unknown> & { process: number }> {
    return this.processes.flatMap((server, index) => server.logged(text).map((line) => ({ ...line, process: index })));
  }

  /** Stops the processes (SIGTERM, then SIGKILL after a grace period) and the proxy, removes the cluster's Redis keys and drops its database. */
  async stop(): Promise<void> {
    try {
      await Promise.all(this.processes.map((server) => stopWithin(server, STOP_GRACE_MS)));
      await this.proxy.close();
      await deleteRedisKeys(this.redisUrl, this.redisKeyPrefix);
    } finally {
      if (this.ownsDatabase) await this.database.drop();
    }
  }

  private processAt(index: number): ServerProcess {
    const server = this.processes[index];
    if (!server) throw new Error(`No process ${index} (the cluster has ${this.processes.length})`);
    return server;
  }
}

/**
 * What each process runs with: one Redis key prefix for the whole cluster (testEnvironment would
 * give each process its own), a database none of them has to itself, and budgets that stay out
 * of the way.
 */
function clusterEnvironment(env: Record<string, string>, redisUrl: string, redisKeyPrefix: string): Record<string, string> {
  return {
    ...GENEROUS_LIMITS,
    // Several processes on one PostgreSQL: none may take another's streaming replies or reservations for a crashed process's.
    DATABASE_EXCLUSIVE: 'false',
    ...env,
    ...(env['PLANS'] ? { PLANS: withGenerousRequestRates(env['PLANS']) } : {}),
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisKeyPrefix,
  };
}

function withGenerousRequestRates(plansJson: string): string {
  const plans = JSON.parse(plansJson) as Record<string, Record<string, unknown>>;
  return JSON.stringify(
    Object.fromEntries(Object.entries(plans).map(([name, limits]) => [name, { requestsPerMinute: GENEROUS_REQUESTS_PER_MINUTE, ...limits }])),
  );
}

async function stopWithin(server: ServerProcess, graceMs: number): Promise<void> {
  const timer = setTimeout(() => void server.stop('SIGKILL'), graceMs);
  try {
    await server.stop('SIGTERM');
  } finally {
    clearTimeout(timer);
  }
}
