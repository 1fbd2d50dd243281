import { spawn } from 'node:child_process';

/**
 * What the local speech engines (espeak-ng, pocketsphinx with ffmpeg) share: running a program
 * without a shell, telling whether it is installed, and bounding how many run at once.
 */

/** The most of a failed program's stderr kept for its error message. */
const STDERR_LIMIT = 4096;

/** A program that ended with a non-zero status (or a signal). */
export class ProcessFailed extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    /** Its last words on stderr, trimmed. */
    readonly stderr: string,
  ) {
    super(`${command} exited with ${exitCode ?? 'a signal'}${stderr ? `: ${stderr}` : ''}`);
    this.name = 'ProcessFailed';
  }
}

/**
 * Runs `command` with `args` (no shell: nothing in them is interpreted), writes `input` to its
 * stdin and resolves with its stdout. Rejects with ProcessFailed when it fails, with the spawn
 * error (`ENOENT`: not installed), or with an AbortError when `signal` aborts (the process is killed).
 */
export function runProcess(command: string, args: readonly string[], options: { readonly input?: Buffer | string; readonly signal: AbortSignal }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { signal: options.signal, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_LIMIT)));
    // Aborted or not started: 'close' may follow, but the first settlement stands.
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(stdout)) : reject(new ProcessFailed(command, code, stderr.trim()))));
    // A program that exits before reading its input (a bad option) breaks the pipe: its exit status says why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** Whether `command` can be started from PATH (it is started and killed at once: nothing is run). */
export function installed(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, [], { stdio: 'ignore' });
    child.on('spawn', () => {
      child.kill('SIGKILL');
      resolve(true);
    });
    child.on('error', () => resolve(false));
  });
}

/** At most `limit` tasks at once: the others wait their turn, in order, unless their signal aborts first. */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      // The slot is handed over by release(): `running` stays as it is.
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(signal.reason);
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
