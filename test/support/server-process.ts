import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testEnvironment } from './test-app.js';
import type { TestDatabase } from './test-database.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Node's arguments to run a TypeScript entry point of the repository from source. */
const FROM_SOURCE = ['--import', './test/support/ts-register.mjs'];

/**
 * The API as a real process (apps/api/src/main.ts run from source), for what only a process
 * shows: how it answers signals, what it logs on the way out, and what a `kill -9` leaves.
 */
export class ServerProcess {
  /** Every line the process wrote to stdout, JSON-parsed where it is a log line. */
  readonly lines: Array<Record<string, unknown>> = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete.filter(Boolean)) this.lines.push(parseLine(line));
    });
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  /** Starts the server on `database` (undefined: the embedded one in env's EMBEDDED_DB_DIR) and waits until it is ready. */
  static async start(database: TestDatabase | undefined, env: Record<string, string> = {}): Promise<ServerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [...FROM_SOURCE, 'apps/api/src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...testEnvironment(database, { PORT: String(port), HOST: '127.0.0.1', ...env }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const server = new ServerProcess(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`The server exited at start (code ${child.exitCode})`);
      const ready = await fetch(`${server.baseUrl}/health/ready`).then((response) => response.ok, () => false);
      if (ready) return server;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    child.kill('SIGKILL');
    throw new Error('The server did not become ready in time');
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** The log lines whose message contains `text`. */
  logged(text: string): Array<Record<string, unknown>> {
    return this.lines.filter((line) => typeof line['msg'] === 'string' && line['msg'].includes(text));
  }
}

/** Runs the CLI (apps/api/src/cli.ts) from source with `input` on its standard input. */
export async function runCli(args: string[], env: Record<string, string>, input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...FROM_SOURCE, 'apps/api/src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], ...testEnvironment(undefined, env) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

function parseLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { msg: line };
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
