// Process helpers: CPU pinning, child processes the harness owns (and only those are ever
// stopped, by pid), RSS from /proc, free ports, bounded waits.

import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

/** Children started by this run, by pid: the only processes the harness ever signals. */
const children = new Map();

export function hasTaskset() {
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
}

/**
 * The CPU plan: targets on one core, the load generator and the mock on the other, when the
 * machine has at least two and `taskset` exists. Otherwise nothing is pinned (and the report says so).
 */
export function cpuPlan() {
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  const usable = allowedCpus();
  if (usable.length >= 2 && hasTaskset()) {
    return { pinned: true, targetCpu: String(usable[0]), loadCpu: String(usable[1]), cpus, allowed: usable };
  }
  return { pinned: false, targetCpu: null, loadCpu: null, cpus, allowed: usable, why: usable.length < 2 ? 'fewer than two CPUs' : 'taskset not found' };
}

/** CPUs this process may run on (Cpus_allowed_list of /proc/self/status). */
export function allowedCpus() {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(.+)$/m)?.[1] ?? '';
    const cpus = [];
    for (const part of line.split(',')) {
      const [from, to] = part.split('-').map(Number);
      if (Number.isInteger(from)) for (let cpu = from; cpu <= (Number.isInteger(to) ? to : from); cpu += 1) cpus.push(cpu);
    }
    if (cpus.length > 0) return cpus;
  } catch {
    // not Linux
  }
  return os.cpus().map((_, index) => index);
}

/** RSS of a process in bytes, from /proc/<pid>/status (VmRSS); null when it is gone. */
export function rssOf(pid) {
  try {
    const kib = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s*(\d+)\s*kB$/m)?.[1]);
    return Number.isFinite(kib) ? kib * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system, seconds) a process has used, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return null;
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a child (pinned to `cpu` when given), its output to `logFile`. Resolves the handle
 * at once; `exited` settles when it ends.
 */
export function startChild(name, command, args, { cpu = null, env = {}, cwd, logFile } = {}) {
  const [file, argv] = cpu !== null ? ['taskset', ['-c', cpu, command, ...args]] : [command, args];
  const child = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
    log?.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child.pid);
      log?.end();
      resolve({ code, signal });
    });
    child.on('error', (error) => {
      children.delete(child.pid);
      resolve({ code: -1, signal: null, error });
    });
  });
  const handle = {
    name,
    pid: child.pid,
    child,
    exited,
    done: false,
    /** The last lines it printed (for error messages). */
    tail: () => tail,
    /** SIGTERM, then SIGKILL after `graceMs`. */
    async stop(graceMs = 5000) {
      if (handle.done) return;
      handle.done = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timeout = sleep(graceMs).then(() => 'timeout');
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await Promise.race([exited, sleep(2000)]);
      }
    },
  };
  if (child.pid) children.set(child.pid, handle);
  exited.then(() => (handle.done = true));
  return handle;
}

/** Stops every child this run started (on exit, errors and signals). */
export async function stopAllChildren() {
  await Promise.all([...children.values()].map((handle) => handle.stop(3000).catch(() => undefined)));
}

/** Kills what is left synchronously (last resort in an exit handler). */
export function killAllChildrenNow() {
  for (const handle of children.values()) {
    try {
      handle.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Polls `check` until it returns a truthy value, at most `timeoutMs`; throws with `what` otherwise. */
export async function waitFor(what, check, { timeoutMs = 30_000, intervalMs = 100, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child && child.done) throw new Error(`${what}: ${child.name} exited early\n${child.tail()}`);
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${lastError ? ` (${lastError.message})` : ''}${child ? `\n${child.tail()}` : ''}`);
}

/** The first line of JSON a child prints on stdout (servers print {"port":N} when ready). */
export function firstJsonLine(handle, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${handle.name}: no ready line within ${timeoutMs} ms\n${handle.tail()}`)), timeoutMs);
    const onData = (chunk) => {
      buffer += chunk.toString('utf8');
      for (const line of buffer.split('\n')) {
        const trimmed = line.trim();
        if (trimmed.startsWith('{')) {
          try {
            const value = JSON.parse(trimmed);
            clearTimeout(timer);
            handle.child.stdout.off('data', onData);
            resolve(value);
            return;
          } catch {
            // not yet a whole line
          }
        }
      }
    };
    handle.child.stdout.on('data', onData);
    handle.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${handle.name} exited before it was ready\n${handle.tail()}`));
    });
  });
}

export function readJsonFile(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
    node: process.version,
  };
}
