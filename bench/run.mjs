#!/usr/bin/env node
// Chorus benchmark harness: Chorus's overhead on the message path, measured side by side with
// B0 (client straight to the mock), B1 (a bare Node proxy) and P (@portkey-ai/gateway), in
// interleaved rounds against the same mock upstream. See bench/README.md.
//
//   npm run bench                 quick profile (a few minutes)
//   npm run bench -- --full       full profile
//   npm run bench -- --smoke      ~10 s check that the harness still works (CI); exits non-zero
//                                 only when the harness itself breaks
// Options: --no-build, --root <dir> (another checkout's built dist/), --only B1,SUT-pg,
//          --rounds N, --no-profile, --strict (exit 1 when a target is missed),
//          --users N, --conversations N, --levels 1,8,32, --one-user-levels 1,8, --seconds S,
//          --no-streams, --no-audio (skip the time-to-first-audio phase), --audio-pairs N
//          (a reduced run; any of these, --rounds or --only makes it a "custom" report)

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT_DEFAULT = resolve(BENCH_DIR, '..');

// ---------------------------------------------------------------- arguments

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const index = argv.indexOf(name);
  if (index >= 0) return argv[index + 1];
  const inline = argv.find((arg) => arg.startsWith(`${name}=`));
  return inline ? inline.slice(name.length + 1) : undefined;
};
if (flag('--help') || flag('-h')) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 15).map((line) => line.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
const profileName = flag('--smoke') ? 'smoke' : flag('--full') ? 'full' : 'quick';

// ---------------------------------------------------------------- bench dependencies

/** bench/ has its own dependencies: install them from the lock file when they are missing or stale. */
function ensureDependencies() {
  const marker = join(BENCH_DIR, 'node_modules/.package-lock.json');
  const lock = join(BENCH_DIR, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  process.stderr.write('bench: installing bench/ dependencies (npm ci in bench/)\n');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH_DIR, stdio: 'inherit', timeout: 300_000 });
  if (result.status !== 0) {
    process.stderr.write('bench: npm ci in bench/ failed\n');
    process.exit(3);
  }
}
ensureDependencies();

// ---------------------------------------------------------------- CPU pinning

const { cpuPlan } = await import('./lib/proc.mjs');
// The harness (load generator) and the mock run on the load CPU: it re-executes itself under
// taskset once, handing the plan down (pinned, it would only see its own CPU).
const plan = process.env.CHORUS_BENCH_PLAN ? JSON.parse(process.env.CHORUS_BENCH_PLAN) : cpuPlan();
if (plan.pinned && !process.env.CHORUS_BENCH_PLAN) {
  const child = spawn('taskset', ['-c', plan.loadCpu, process.execPath, fileURLToPath(import.meta.url), ...argv], {
    stdio: 'inherit',
    env: { ...process.env, CHORUS_BENCH_PLAN: JSON.stringify(plan) },
  });
  // Signals reach the pinned run, which stops its servers and drops its databases.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  const code = await new Promise((done) => child.on('exit', (status, signal) => done(status ?? (signal ? 130 : 1))));
  process.exit(code);
}

const proc = await import('./lib/proc.mjs');
const { createAgent, jsonRequest, streamRequest } = await import('./lib/client.mjs');
const chorus = await import('./lib/chorus.mjs');
const phases = await import('./lib/phases.mjs');
const { summary, round: roundTo, percentile } = await import('./lib/stats.mjs');
const { writeMarkdown, evaluateTargets, readPreviousTargets } = await import('./lib/report.mjs');

// ---------------------------------------------------------------- profiles

const PROFILES = {
  smoke: {
    rounds: 1,
    build: false,
    budgetMs: 90_000,
    warmupStreams: 3,
    warmupSeconds: 0,
    ttftRequests: 5,
    rpsLevels: [4],
    rpsSeconds: 1,
    settleMs: 300,
    streams: [20],
    streamTokens: 6,
    rampMs: 200,
    streamTargets: ['B0', 'B1', 'P', 'SUT-pg', 'SUT-embedded'],
    gateRequests: 1,
    // Many users: the load rotates over `users` accounts and their `conversations`.
    users: 20,
    conversations: 40,
    // The one-user line: one account, its own conversations, the same levels.
    oneUserConversations: 4,
    oneUserLevels: [4],
    dbCountSends: 2,
    failureSends: 0,
    // Time to first audio: pairs of sends (one sentence-streamed, one spoken after the reply) per round.
    audioPairs: 1,
    audioWarmupPairs: 0,
    audioTargets: ['SUT-pg'],
    profile: false,
    targets: ['B0', 'B1', 'P', 'SUT-pg'],
  },
  quick: {
    rounds: 5,
    build: true,
    budgetMs: 20 * 60_000,
    warmupStreams: 20,
    warmupSeconds: 1.5,
    ttftRequests: 40,
    rpsLevels: [1, 8, 32],
    rpsSeconds: 1.5,
    settleMs: 2000,
    gateRequests: 3,
    // Long enough streams, opened slowly enough, that all of them can be streaming at once.
    streams: [1000],
    streamTokens: 200,
    rampMs: 8000,
    streamTargets: ['B1', 'P', 'SUT-pg', 'SUT-embedded'],
    users: 1000,
    conversations: 2000,
    oneUserConversations: 16,
    oneUserLevels: [1, 8],
    dbCountSends: 20,
    failureSends: 20,
    audioPairs: 5,
    audioWarmupPairs: 1,
    audioTargets: ['SUT-pg'],
    profile: true,
    targets: ['B0', 'B1', 'P', 'SUT-pg', 'SUT-embedded'],
  },
  full: {
    rounds: 7,
    build: true,
    budgetMs: 75 * 60_000,
    warmupStreams: 100,
    warmupSeconds: 5,
    ttftRequests: 200,
    rpsLevels: [1, 2, 4, 8, 16, 32, 64, 128],
    rpsSeconds: 5,
    settleMs: 3000,
    gateRequests: 5,
    streams: [1000, 2000],
    streamTokens: 600,
    rampMs: 20_000,
    streamTargets: ['B0', 'B1', 'P', 'SUT-pg', 'SUT-embedded'],
    users: 1000,
    conversations: 2600,
    oneUserConversations: 64,
    oneUserLevels: [1, 4, 16, 64],
    dbCountSends: 50,
    failureSends: 40,
    audioPairs: 10,
    audioWarmupPairs: 1,
    audioTargets: ['SUT-pg', 'SUT-embedded'],
    profile: true,
    targets: ['B0', 'B1', 'P', 'SUT-pg', 'SUT-embedded'],
  },
};
const profile = { ...PROFILES[profileName] };
if (option('--rounds')) profile.rounds = Math.max(1, Math.min(50, Number(option('--rounds')) || profile.rounds));
if (flag('--no-build')) profile.build = false;
if (flag('--no-profile')) profile.profile = false;
if (option('--only')) profile.targets = option('--only').split(',').map((name) => name.trim()).filter(Boolean);
const positive = (name, max) => {
  const value = Number(option(name));
  return Number.isFinite(value) && value > 0 ? Math.min(max, value) : undefined;
};
if (option('--users')) profile.users = Math.round(positive('--users', 100_000) ?? profile.users);
if (option('--conversations')) profile.conversations = Math.round(positive('--conversations', 200_000) ?? profile.conversations);
if (option('--seconds')) profile.rpsSeconds = positive('--seconds', 60) ?? profile.rpsSeconds;
if (option('--levels')) {
  const levels = option('--levels').split(',').map(Number).filter((level) => Number.isSafeInteger(level) && level > 0 && level <= 4096);
  if (levels.length) profile.rpsLevels = levels;
}
if (flag('--no-streams')) profile.streamTargets = [];
if (flag('--no-audio')) profile.audioPairs = 0;
else if (option('--audio-pairs')) profile.audioPairs = Math.round(positive('--audio-pairs', 1000) ?? profile.audioPairs);
if (option('--one-user-levels')) {
  const levels = option('--one-user-levels').split(',').map(Number).filter((level) => Number.isSafeInteger(level) && level >= 0 && level <= 4096);
  profile.oneUserLevels = levels.filter((level) => level > 0);
}
// A reduced run never replaces the profile's reference report (results/latest-quick.md).
const custom = ['--rounds', '--only', '--users', '--conversations', '--seconds', '--levels', '--one-user-levels', '--no-streams', '--no-audio', '--audio-pairs'].some((name) => option(name) !== undefined || flag(name));
const reportName = custom ? `${profileName}-custom` : profileName;
const root = resolve(option('--root') ?? ROOT_DEFAULT);

/** Knobs of the mock per phase. */
const KNOBS = {
  // Concurrency 1 streaming: a fast upstream, so what is measured is the path, not the model.
  stream: { ttftMs: 10, tokensPerSecond: 1000, tokens: 20, chunkTokens: 1, failPercent: 0 },
  // Non-streaming requests/s: an instant upstream.
  instant: { ttftMs: 0, tokensPerSecond: 0, tokens: 20, chunkTokens: 1, failPercent: 0 },
  // Streams held: 20 tokens/s each.
  held: { ttftMs: 100, tokensPerSecond: 20, tokens: profile.streamTokens, chunkTokens: 1, failPercent: 0 },
  // Spoken replies: 5 sentences of 12 words (70 tokens with their punctuation) at 40 tokens/s, about
  // 2 s a reply, every sentence carrying a word new to that reply (no speech cache can help).
  speech: { ttftMs: 200, tokensPerSecond: 40, tokens: 20, chunkTokens: 1, failPercent: 0, sentences: 5, sentenceWords: 12 },
};
const P99_BOUND_MS = 50;
/** Latency bounds at which non-streaming messages/s are reported (the first one is judged). */
const P99_BOUNDS_MS = [P99_BOUND_MS, 250];
const STALL_MS = 500;

// ---------------------------------------------------------------- run state and cleanup

const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
const runId = `${stamp.replace(/[-_]/g, '').slice(2, 14)}_${randomBytes(2).toString('hex')}`;
const resultsDir = join(BENCH_DIR, 'results');
const workDir = join(os.tmpdir(), `chorus-bench-${runId}`);
mkdirSync(resultsDir, { recursive: true });
mkdirSync(workDir, { recursive: true });
const logFile = (name) => join(workDir, `${name}.log`);
const startedAt = Date.now();
const deadline = startedAt + profile.budgetMs;
const notes = [];
const harnessProblems = [];
const databases = [];
const suts = [];
let mock;
let countProxy;

const log = (message) => process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${message}\n`);

let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const sut of suts) await chorus.stopChorus(sut).catch(() => undefined);
  await proc.stopAllChildren();
  if (countProxy) await countProxy.close().catch(() => undefined);
  for (const name of databases) chorus.dropDatabase(name);
  if (!flag('--keep-work')) rmSync(workDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', () => proc.killAllChildrenNow());
// A hard stop a minute past the budget, whatever is hanging.
const watchdog = setTimeout(() => {
  log('budget exceeded by a minute: giving up');
  proc.killAllChildrenNow();
  for (const name of databases) chorus.dropDatabase(name);
  process.exit(2);
}, profile.budgetMs + 60_000);
watchdog.unref();

const timeLeft = () => deadline - Date.now();

// ---------------------------------------------------------------- targets

const controlAgent = createAgent({ connections: 16, timeoutMs: 60_000 });
const ctx = { controlAgent, mockUrl: '', knobs: KNOBS.stream };
const probePath = join(BENCH_DIR, 'lib/probe.mjs');

/** Client-side accounting of SUT sends, to compare with what the database holds. */
function newAccount() {
  const account = { accepted: 0, completed: 0, failed: 0, unknown: 0, unknownReply: 0, rejected: 0, firstRejections: [] };
  account.stream = (sample) => {
    if (sample.replyId) {
      account.accepted += 1;
      if (sample.final?.status === 'completed') account.completed += 1;
      else if (sample.error?.startsWith('error event')) account.failed += 1;
      else account.unknownReply += 1;
    } else if (sample.status >= 400 && sample.status < 500) {
      account.rejected += 1;
      if (account.firstRejections.length < 3) account.firstRejections.push(sample.error);
    } else account.unknown += 1;
  };
  account.json = (calls, ok) => {
    account.accepted += ok;
    account.completed += ok;
    account.unknown += Math.max(0, calls - ok);
  };
  account.jsonOutcome = (ok, status) => {
    if (!ok) account.unknown += 1;
    else {
      account.accepted += 1;
      if (status === 'completed') account.completed += 1;
      else if (status === 'failed') account.failed += 1;
      else account.unknownReply += 1;
    }
  };
  return account;
}

const openaiBody = (content, stream) => ({
  model: 'mock-model',
  messages: [
    { role: 'system', content: 'You are Nova, an astronomy guide. Answer warmly and briefly.' },
    { role: 'user', content },
  ],
  stream,
  ...(stream ? { stream_options: { include_usage: true } } : {}),
});

function openaiTarget(name, baseUrl, extraHeaders = {}) {
  const url = `${baseUrl}/v1/chat/completions`;
  const headers = { 'x-bench-target': name, ...extraHeaders };
  return {
    name,
    kind: 'baseline',
    dialect: 'openai',
    available: true,
    agent: createAgent({ connections: 4096 }),
    streamRequest: (content) => ({ url, headers, body: openaiBody(content, true) }),
    jsonRequest: (content) => ({ url, headers, body: openaiBody(content, false) }),
  };
}

async function startMock() {
  const handle = proc.startChild('mock', process.execPath, [join(BENCH_DIR, 'lib/mock-upstream.mjs')], { cpu: plan.loadCpu, logFile: logFile('mock') });
  const { port } = await proc.firstJsonLine(handle);
  ctx.mockUrl = `http://127.0.0.1:${port}`;
  await phases.setKnobs(ctx, KNOBS.stream);
  return { handle, port };
}

async function startB1(mockPort) {
  const handle = proc.startChild('b1', process.execPath, ['--import', pathToFileURL(probePath).href, join(BENCH_DIR, 'lib/bare-proxy.mjs'), '--upstream', `http://127.0.0.1:${mockPort}`], {
    cpu: plan.targetCpu,
    env: { BENCH_PROBE_FILE: join(workDir, 'b1-probe.json') },
    logFile: logFile('b1'),
  });
  const started = Date.now();
  const { port } = await proc.firstJsonLine(handle);
  const target = openaiTarget('B1', `http://127.0.0.1:${port}`);
  Object.assign(target, { pid: handle.pid, handle, startupMs: Date.now() - started, idleRss: { afterStart: proc.rssOf(handle.pid) } });
  target.probePort = (await proc.waitFor('B1 probe', () => proc.readJsonFile(join(workDir, 'b1-probe.json')), { timeoutMs: 5000 })).port;
  return target;
}

async function startPortkey(mockPort) {
  const port = await proc.freePort();
  const handle = proc.startChild('portkey', process.execPath, ['--import', pathToFileURL(probePath).href, join(BENCH_DIR, 'lib/portkey-server.mjs'), `--port=${port}`], {
    cpu: plan.targetCpu,
    cwd: BENCH_DIR,
    env: { NODE_ENV: 'production', BENCH_PROBE_FILE: join(workDir, 'p-probe.json') },
    logFile: logFile('portkey'),
  });
  const started = Date.now();
  const baseUrl = `http://127.0.0.1:${port}`;
  await proc.waitFor('Portkey gateway ready', async () => (await jsonRequest(controlAgent, 'GET', `${baseUrl}/`, { timeoutMs: 2000 })).status === 200, {
    timeoutMs: 30_000,
    intervalMs: 200,
    child: handle,
  });
  const target = openaiTarget('P', baseUrl, {
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `http://127.0.0.1:${mockPort}/v1`,
    authorization: 'Bearer x',
  });
  Object.assign(target, { pid: handle.pid, handle, startupMs: Date.now() - started, idleRss: { afterStart: proc.rssOf(handle.pid) } });
  target.probePort = proc.readJsonFile(join(workDir, 'p-probe.json'))?.port ?? null;
  return target;
}

async function startSut(name, mode, mockPort, { databaseUrl, tag, databaseName: fixedName, pinned = true } = {}) {
  let databaseName;
  if (mode === 'pg') {
    if (!chorus.postgresAvailable()) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432');
    databaseName = fixedName ?? `chorus_bench_${runId}_${(tag ?? name).replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
    chorus.createDatabase(databaseName);
    databases.push(databaseName);
  }
  const sut = await chorus.startChorus({
    root,
    workDir,
    mode,
    mockPort,
    tag: tag ?? name.toLowerCase(),
    cpu: pinned ? plan.targetCpu : null,
    probe: probePath,
    databaseName,
    databaseUrl,
    logFile: logFile(tag ?? name),
  });
  suts.push(sut);
  const agent = createAgent({ connections: 4096 });
  await chorus.waitReady(sut, agent, Math.min(120_000, Math.max(10_000, timeLeft())));
  const target = {
    name,
    kind: 'sut',
    dialect: 'chorus',
    available: true,
    mode,
    sut,
    agent,
    pid: sut.handle.pid,
    handle: sut.handle,
    startupMs: sut.readyMs,
    probePort: sut.probe?.port ?? null,
    tag: sut.tag,
    account: newAccount(),
    idleRss: { afterStart: proc.rssOf(sut.handle.pid) },
  };
  return target;
}

/**
 * Accounts and conversations, through the API. The load rotates over `users` accounts and their
 * `conversations` (dealt round-robin, so consecutive sends belong to different users and
 * concurrent sends share a user only when the concurrency exceeds the number of users). With
 * `oneUserConversations`, a separate account with its own conversations carries the one-user
 * line: its concurrent sends serialise on that user's quota counters, as they should.
 */
async function setupSut(target, { users, conversations, oneUserConversations = 0 }) {
  const began = Date.now();
  const setupDeadline = Math.min(deadline, Date.now() + 300_000);
  const setup = await chorus.setupChorus(target.sut, target.agent, { users, conversations, deadline: setupDeadline });
  target.setup = setup;
  const next = chorus.conversationCursor(setup.conversations);
  target.streamRequest = (content, extra) => chorus.sendRequest(target.sut, next(), content, extra);
  target.jsonRequest = target.streamRequest;
  if (oneUserConversations > 0) {
    const one = await chorus.setupChorus(target.sut, target.agent, { users: 1, conversations: oneUserConversations, deadline: setupDeadline });
    const nextOne = chorus.conversationCursor(one.conversations);
    const request = (content) => chorus.sendRequest(target.sut, nextOne(), content);
    target.oneUser = { setup: one, account: newAccount() };
    // The same target seen through the one-user pool and its own client-side account.
    target.oneUser.view = { ...target, streamRequest: request, jsonRequest: request, account: target.oneUser.account };
  }
  target.setupMs = Date.now() - began;
  return setup;
}

// ---------------------------------------------------------------- the run

const results = {
  version: 1,
  profile: profileName,
  custom,
  settings: { ...profile, p99BoundMs: P99_BOUND_MS, p99BoundsMs: P99_BOUNDS_MS, stallMs: STALL_MS, knobs: KNOBS },
  startedAt: new Date(startedAt).toISOString(),
  machine: proc.machineInfo(),
  pinning: plan.pinned
    ? { pinned: true, targets: `CPU ${plan.targetCpu} (B1, P, SUT)`, load: `CPU ${plan.loadCpu} (harness/load generator and mock)`, postgres: 'not pinned (shared service)' }
    : { pinned: false, why: plan.why },
  root,
  build: null,
  targets: {},
  rounds: [],
  aggregate: {},
  comparisons: {},
  streams: {},
  mockCapacity: null,
  gates: {},
  db: null,
  cpuProfile: null,
  // Time to first audio: which SUTs, whether they can speak, and the figures over rounds (aggregate()).
  audio: null,
  notes,
};

const targets = [];
const wanted = (name) => profile.targets.includes(name);

async function main() {
  log(`profile ${profileName}: ${profile.rounds} round(s), targets ${profile.targets.join(', ')}; ${plan.pinned ? `targets on CPU ${plan.targetCpu}, load on CPU ${plan.loadCpu}` : `no pinning (${plan.why})`}`);

  // Build.
  const wantsSut = profile.targets.some((name) => name.startsWith('SUT'));
  if (wantsSut) {
    if (profile.build) {
      log('building Chorus (npm run build)');
      results.build = chorus.buildChorus(root);
      if (!results.build.ok) {
        notes.push(`The build failed; the SUT ran on the dist/ that was there (it may be stale or mixed).\n\n    ${results.build.output.split('\n').join('\n    ')}`);
        log(`build failed:\n${results.build.output}`);
      }
    } else {
      results.build = { ok: null, skipped: true, distExists: existsSync(join(root, 'dist/apps/api/src/main.js')) };
    }
  }

  // Mock and targets. The servers start together (their start-up times are shown, not judged).
  mock = await startMock();
  log(`mock upstream on ${ctx.mockUrl}`);
  if (wanted('B0')) {
    const b0 = openaiTarget('B0', ctx.mockUrl);
    Object.assign(b0, { pid: null, probePort: null });
    targets.push(b0);
  }
  const tryStart = async (name, start) => {
    if (!wanted(name)) return;
    try {
      const target = await start();
      targets.push(target);
      log(`${name} ready (${target.startupMs} ms)`);
    } catch (error) {
      const reason = String(error?.message ?? error).split('\n').slice(0, 6).join(' | ');
      results.targets[name] = { available: false, reason };
      log(`${name} unavailable: ${reason}`);
    }
  };
  const distExists = existsSync(join(root, 'dist/apps/api/src/main.js'));
  const startSutWithSetup = (name, mode) => async () => {
    if (!distExists) throw new Error(`no built server at ${join(root, 'dist/apps/api/src/main.js')}`);
    const target = await startSut(name, mode, mock.port);
    const conversations = Math.max(profile.conversations, Math.max(0, ...profile.streams) + 50);
    log(`${name}: creating ${profile.users} accounts and ${conversations} conversations, and one account with ${profile.oneUserConversations}`);
    try {
      await setupSut(target, { users: profile.users, conversations, oneUserConversations: profile.oneUserConversations });
    } catch (error) {
      await chorus.stopChorus(target.sut);
      throw error;
    }
    log(`${name}: set up in ${target.setupMs} ms`);
    return target;
  };
  // The query-counting instance (SUT-pg behind the proxy) starts now too and idles until the end.
  const counting = wanted('SUT-pg') && distExists && profile.dbCountSends > 0 && chorus.postgresAvailable() ? startCountingSut().catch((error) => error) : null;
  await Promise.all([
    tryStart('B1', () => startB1(mock.port)),
    tryStart('P', () => startPortkey(mock.port)),
    tryStart('SUT-pg', startSutWithSetup('SUT-pg', 'pg')),
    tryStart('SUT-embedded', startSutWithSetup('SUT-embedded', 'embedded')),
  ]);
  const ORDER = ['B0', 'B1', 'P', 'SUT-pg', 'SUT-embedded'];
  targets.sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
  if (profileName === 'smoke' && wanted('SUT-pg') && !chorus.postgresAvailable()) {
    notes.push('PostgreSQL was not reachable: the smoke ran without the SUT.');
  }

  // Warm-up (not recorded): JIT, connection pools, lazy loading (the tokenizer).
  log('warm-up');
  for (const target of targets) {
    await phases.setKnobs(ctx, KNOBS.stream);
    for (let i = 0; i < profile.warmupStreams && timeLeft() > 0; i += 1) {
      const sample = await streamRequest(target.agent, { ...target.streamRequest(phases.PROMPT), dialect: target.dialect, timeoutMs: 30_000 });
      target.account?.stream(sample);
      if (i === 0 && !sample.ok) log(`${target.name}: warm-up stream failed: ${sample.error}`);
    }
    if (profile.warmupSeconds > 0) {
      await phases.setKnobs(ctx, KNOBS.instant);
      await phases.throughputPhase(ctx, target, { levels: [4], seconds: profile.warmupSeconds, boundMs: Infinity, deadline });
    }
  }
  await new Promise((done) => setTimeout(done, profile.settleMs));
  for (const target of targets) {
    if (target.pid) target.idleRss = { ...(target.idleRss ?? {}), warm: proc.rssOf(target.pid) };
  }

  // Time to first audio: the SUTs it runs on, once they are known to speak (espeak-ng installed),
  // warmed up after the idle RSS above (which stays the message path's).
  const audioTargets = await prepareAudio();
  for (const target of audioTargets) {
    if (profile.audioWarmupPairs > 0) await phases.audioPhase(ctx, target, { pairs: profile.audioWarmupPairs, knobs: KNOBS.speech, deadline });
  }

  // Interleaved rounds: each round runs every target, in an order rotated round by round.
  for (let index = 0; index < profile.rounds; index += 1) {
    if (timeLeft() < 30_000) {
      notes.push(`Stopped after ${index} round(s): the profile's time budget ran out.`);
      break;
    }
    const order = targets.map((_, i) => targets[(i + index) % targets.length]);
    const record = { index: index + 1, order: order.map((target) => target.name), ttft: {}, throughput: {}, throughputOneUser: {}, audio: {} };
    log(`round ${index + 1}/${profile.rounds}: ${record.order.join(' → ')}`);
    await phases.setKnobs(ctx, KNOBS.stream);
    ctx.knobs = KNOBS.stream;
    for (const target of order) record.ttft[target.name] = await phases.ttftPhase(ctx, target, { requests: profile.ttftRequests, deadline });
    await phases.setKnobs(ctx, KNOBS.instant);
    for (const target of order) {
      record.throughput[target.name] = await phases.throughputPhase(ctx, target, {
        levels: profile.rpsLevels,
        seconds: profile.rpsSeconds,
        boundMs: P99_BOUND_MS,
        bounds: P99_BOUNDS_MS,
        deadline,
      });
    }
    // The one-user line: the same sends, all from one account (correct, not fast).
    for (const target of order.filter((candidate) => candidate.oneUser && profile.oneUserLevels.length > 0)) {
      record.throughputOneUser[target.name] = await phases.throughputPhase(ctx, target.oneUser.view, {
        levels: profile.oneUserLevels,
        seconds: profile.rpsSeconds,
        boundMs: P99_BOUND_MS,
        bounds: P99_BOUNDS_MS,
        deadline,
      });
    }
    // Time to first audio: sentence-streamed and after the reply, alternating, on each SUT that speaks.
    for (const target of order.filter((candidate) => audioTargets.includes(candidate))) {
      record.audio[target.name] = await phases.audioPhase(ctx, target, { pairs: profile.audioPairs, knobs: KNOBS.speech, deadline });
      log(`${target.name}: time to first audio in ${record.audio[target.name].seconds} s (${record.audio[target.name].ok}/${record.audio[target.name].sends} sends)`);
    }
    results.rounds.push(record);
  }

  // Concurrent streams held.
  await phases.setKnobs(ctx, KNOBS.held);
  for (const target of targets.filter((candidate) => profile.streamTargets.includes(candidate.name))) {
    results.streams[target.name] = [];
    for (const streams of profile.streams) {
      const holdMs = profile.rampMs + KNOBS.held.ttftMs + (KNOBS.held.tokens / KNOBS.held.tokensPerSecond) * 1000;
      if (timeLeft() < holdMs + 20_000) {
        notes.push(`Streams phase for ${target.name} at ${streams} skipped: out of time.`);
        continue;
      }
      log(`${target.name}: holding ${streams} streams at ${KNOBS.held.tokensPerSecond} tokens/s`);
      const result = await phases.streamsPhase(ctx, target, { streams, rampMs: profile.rampMs, stallMs: STALL_MS, timeoutMs: holdMs + 60_000, deadline });
      results.streams[target.name].push(result);
      await new Promise((done) => setTimeout(done, Math.min(1000, profile.settleMs)));
    }
  }

  // Correctness gates.
  log('correctness gates');
  for (const target of targets) {
    const gates = (results.gates[target.name] = {});
    gates.noBuffering = await phases.bufferingGate(ctx, target, { requests: profile.gateRequests, deadline });
    if (target.kind === 'sut' && profile.failureSends > 0) {
      gates.failures = await phases.failureGate(ctx, target, { sends: profile.failureSends, deadline });
    }
  }
  await phases.setKnobs(ctx, KNOBS.stream);

  // CPU profile of the SUT on PostgreSQL, outside every measured phase.
  const sutPg = targets.find((target) => target.name === 'SUT-pg');
  if (profile.profile && sutPg?.probePort && timeLeft() > 60_000) {
    log('SUT-pg: CPU profile of a streaming and a non-streaming phase');
    const file = join(resultsDir, `${stamp}-${reportName}-sut-pg.cpuprofile`);
    await jsonRequest(controlAgent, 'POST', `http://127.0.0.1:${sutPg.probePort}/profile/start`);
    await phases.setKnobs(ctx, KNOBS.stream);
    await phases.ttftPhase(ctx, sutPg, { requests: 100, deadline });
    await phases.setKnobs(ctx, KNOBS.instant);
    await phases.throughputPhase(ctx, sutPg, { levels: [16], seconds: 3, boundMs: Infinity, deadline });
    const stopped = await jsonRequest(controlAgent, 'POST', `http://127.0.0.1:${sutPg.probePort}/profile/stop`, { body: { path: file } }).catch((error) => ({
      status: 0,
      body: error.message,
    }));
    if (stopped.status !== 200) notes.push(`The CPU profile could not be taken: ${JSON.stringify(stopped.body)}`);
    else if (existsSync(file)) {
      results.cpuProfile = { file: file.slice(BENCH_DIR.length + 1), summary: phases.summarizeProfile(JSON.parse(readFileSync(file, 'utf8'))) };
    }
    await phases.setKnobs(ctx, KNOBS.stream);
  }

  // Idle RSS after all the load.
  await new Promise((done) => setTimeout(done, profile.settleMs));
  for (const target of targets) {
    if (target.pid) target.idleRss = { ...(target.idleRss ?? {}), afterLoad: proc.rssOf(target.pid) };
  }

  // Persisted messages and usage, through the API, once every reply has finished.
  const lifetime = (await phases.mockStats(ctx)).lifetimeByTag ?? {};
  for (const target of targets.filter((candidate) => candidate.kind === 'sut')) {
    await proc.waitFor(`${target.name} quiet`, async () => (await phases.mockStats(ctx)).open === 0, { timeoutMs: 30_000 }).catch(() => undefined);
    await new Promise((done) => setTimeout(done, 500));
    // Summed over every conversation of every user; each conversation is read with its owner's token.
    const readStored = (conversations) => chorus.storedMessages(target.sut, target.agent, conversations, { deadline: Date.now() + 120_000 });
    const within = (value, low, extra) => value >= low && value <= low + extra;
    const persistedGate = (account, stored, users) => {
      const slack = account.unknown + account.unknownReply;
      return {
        pass:
          stored.unreadable === 0 &&
          within(stored.user, account.accepted, account.unknown) &&
          within(stored.replies.completed ?? 0, account.completed, slack) &&
          within(stored.replies.failed ?? 0, account.failed, slack) &&
          (stored.replies.streaming ?? 0) === 0,
        users,
        conversationsUsed: stored.conversations,
        client: { ...account, stream: undefined, json: undefined, jsonOutcome: undefined },
        stored,
      };
    };
    const storedMany = await readStored(target.setup.conversations);
    const gates = (results.gates[target.name] ??= {});
    gates.persisted = persistedGate(target.account, storedMany, target.setup.tokens.length);
    let stored = storedMany;
    if (target.oneUser) {
      const storedOne = await readStored(target.oneUser.setup.conversations);
      gates.persistedOneUser = persistedGate(target.oneUser.account, storedOne, 1);
      stored = {
        inputTokens: storedMany.inputTokens + storedOne.inputTokens,
        outputTokens: storedMany.outputTokens + storedOne.outputTokens,
        repliesWithoutUsage: storedMany.repliesWithoutUsage + storedOne.repliesWithoutUsage,
      };
    }
    const served = lifetime[target.tag] ?? {};
    const account = target.account;
    gates.usage = {
      pass: stored.inputTokens === served.promptTokens && stored.outputTokens === served.completionTokens && stored.repliesWithoutUsage === 0,
      stored: { inputTokens: stored.inputTokens, outputTokens: stored.outputTokens, repliesWithoutUsage: stored.repliesWithoutUsage },
      mock: { promptTokens: served.promptTokens ?? 0, completionTokens: served.completionTokens ?? 0, completed: served.completed ?? 0 },
    };
    if (account.rejected > 0) notes.push(`${target.name} refused ${account.rejected} send(s) with 4xx, e.g. ${account.firstRejections[0]}`);
    const one = target.oneUser?.account;
    if (one?.rejected > 0) notes.push(`${target.name} (one user) refused ${one.rejected} send(s) with 4xx, e.g. ${one.firstRejections[0]}`);
  }

  // Stop the measured targets before the query count, so nothing else runs meanwhile.
  for (const target of targets) if (target.handle) await target.handle.stop(8000);

  // Database round trips per message: the separate SUT-pg behind the counting proxy.
  if (counting) {
    const counter = await counting;
    if (counter instanceof Error) notes.push(`Database round trips were not counted: ${counter.message.split('\n')[0]}`);
    else if (timeLeft() > 15_000) {
      try {
        results.db = await countQueries(counter);
      } catch (error) {
        notes.push(`Database round trips were not counted: ${error.message.split('\n')[0]}`);
      }
    }
  }

  // Mock capacity: B0's best non-streaming rate, against the best any target reached.
  const mockRates = results.rounds.map((round) => round.throughput.B0?.rpsAtBound).filter(Number.isFinite);
  const mockCpu = results.rounds.flatMap((round) => Object.entries(round.throughput).filter(([name]) => name !== 'B0').map(([, value]) => value.mock?.cpuShare)).filter(Number.isFinite);
  results.mockCapacity = {
    b0RpsMedian: summary(mockRates).median,
    highestOtherRps: Math.max(0, ...results.rounds.flatMap((round) => Object.entries(round.throughput).filter(([name]) => name !== 'B0').map(([, value]) => value.rpsAtBound))),
    mockCpuShareMaxDuringOthers: mockCpu.length ? Math.max(...mockCpu) : null,
  };
}

/**
 * The SUTs the time-to-first-audio phase runs on: the profile's (SUT-pg; both in the full one),
 * or the first SUT of the run when none of those was selected; only those whose GET /voices
 * lists the bench persona's speech provider (espeak-ng) as available. Anything else is said in
 * the report (results.audio.skipped), not failed.
 */
async function prepareAudio() {
  const suts = targets.filter((target) => target.kind === 'sut');
  const named = suts.filter((target) => profile.audioTargets.includes(target.name));
  const chosen = named.length ? named : suts.slice(0, 1);
  results.audio = { pairsPerRound: profile.audioPairs, knobs: KNOBS.speech, targets: chosen.map((target) => target.name), speech: {}, skipped: null, byTarget: {} };
  if (profile.audioPairs <= 0) {
    results.audio.skipped = 'not run (--no-audio)';
    return [];
  }
  if (chosen.length === 0) {
    results.audio.skipped = 'not run: no SUT in this run';
    return [];
  }
  const ready = [];
  for (const target of chosen) {
    const speech = await chorus
      .speechAvailable(target.sut, target.agent, { token: target.setup.tokens[0], personaVoice: target.setup.personaVoice })
      .catch((error) => ({ available: false, reason: `GET /voices failed: ${String(error?.message ?? error).split('\n')[0]}` }));
    results.audio.speech[target.name] = speech;
    if (speech.available) ready.push(target);
    else log(`${target.name}: time to first audio skipped: ${speech.reason}`);
  }
  if (ready.length === 0) {
    results.audio.skipped = `skipped: ${[...new Set(Object.values(results.audio.speech).map((speech) => speech.reason))].join('; ')}`;
  }
  results.audio.targets = ready.map((target) => target.name);
  return ready;
}

/** SUT-pg whose database connections go through the counting proxy; started with the others, measured last. */
async function startCountingSut() {
  const { createPgCountProxy } = await import('./lib/pg-count-proxy.mjs');
  countProxy = createPgCountProxy({ targetHost: chorus.PG_HOST, targetPort: chorus.PG_PORT });
  const proxyPort = await countProxy.listen();
  const target = await startSut('SUT-pg-count', 'pg', mock.port, {
    databaseUrl: `postgres://postgres@127.0.0.1:${proxyPort}/chorus_bench_${runId}_count`,
    tag: 'sut-pg-count',
    databaseName: `chorus_bench_${runId}_count`,
    // Only counted, never timed: it may use either core (it starts while the measured targets do).
    pinned: false,
  });
  await setupSut(target, { users: 4, conversations: profile.dbCountSends * 2 + 10 });
  return target;
}

async function countQueries(target) {
  log('SUT-pg behind the counting proxy: database round trips per message');
  const sends = profile.dbCountSends;
  await phases.setKnobs(ctx, KNOBS.stream);
  for (let i = 0; i < Math.min(3, sends); i += 1) await streamRequest(target.agent, { ...target.streamRequest(phases.PROMPT), dialect: 'chorus' });
  await new Promise((done) => setTimeout(done, 300));
  const measure = async (kind) => {
    countProxy.reset();
    let ok = 0;
    for (let i = 0; i < sends; i += 1) {
      const request = target.streamRequest(phases.PROMPT);
      if (kind === 'stream') ok += (await streamRequest(target.agent, { ...request, dialect: 'chorus' })).ok ? 1 : 0;
      else ok += (await jsonRequest(target.agent, 'POST', request.url, { body: request.body, headers: request.headers })).status === 200 ? 1 : 0;
    }
    await new Promise((done) => setTimeout(done, 300));
    const counts = countProxy.snapshot();
    return {
      sends,
      ok,
      roundTripsPerMessage: roundTo(counts.roundTrips / sends, 2),
      statementsPerMessage: roundTo(counts.statements / sends, 2),
      simpleQueries: counts.Q,
      extendedStatements: counts.E,
      syncs: counts.S,
      statements: counts.texts.slice(0, 15).map(({ count, text }) => ({ perMessage: roundTo(count / sends, 2), text })),
    };
  };
  const stream = await measure('stream');
  const json = await measure('json');
  countProxy.reset();
  const idleMs = Math.max(500, Math.min(2000, profile.settleMs));
  await new Promise((done) => setTimeout(done, idleMs));
  const idle = countProxy.snapshot();
  await target.handle.stop(8000);
  return { method: 'TCP proxy in front of PostgreSQL counting protocol messages (Query, Execute, Sync)', stream, json, idle: { ms: idleMs, roundTrips: idle.roundTrips } };
}

// ---------------------------------------------------------------- aggregation and report

function aggregate() {
  const names = targets.map((target) => target.name);
  for (const target of targets) {
    results.targets[target.name] = {
      available: true,
      kind: target.kind,
      pid: target.pid ?? null,
      startupMs: target.startupMs ?? null,
      idleRss: target.idleRss ?? null,
      eventLoopProbe: Boolean(target.probePort),
    };
  }
  for (const name of names) {
    const per = (pick) => results.rounds.map((round) => pick(round, name)).filter((value) => value !== null && value !== undefined);
    const ttft = (round) => round.ttft[name];
    const tp = (round) => round.throughput[name];
    const pooledTtft = results.rounds.flatMap((round) => ttft(round)?.raw.ttft ?? []);
    const pooledGaps = results.rounds.flatMap((round) => ttft(round)?.raw.gaps ?? []);
    results.aggregate[name] = {
      ttftP50: summary(per((round) => ttft(round)?.ttftP50)),
      ttftP99: summary(per((round) => ttft(round)?.ttftP99)),
      ttfbP50: summary(per((round) => ttft(round)?.ttfbP50)),
      gapP99: summary(per((round) => ttft(round)?.gapP99)),
      rpsAtBound: summary(per((round) => tp(round)?.rpsAtBound)),
      rpsAtBounds: Object.fromEntries(P99_BOUNDS_MS.map((bound) => [String(bound), summary(per((round) => tp(round)?.atBound?.[String(bound)]?.rps))])),
      rpsMax: summary(per((round) => tp(round)?.rpsMax)),
      eldP99Streaming: summary(per((round) => ttft(round)?.eld?.p99Ms)),
      eldP99Throughput: summary(per((round) => tp(round)?.eld?.p99Ms)),
      errors: per((round) => (ttft(round)?.errors ?? 0) + (tp(round)?.levels ?? []).reduce((sum, level) => sum + level.non2xx + level.errors, 0)).reduce((a, b) => a + b, 0),
      pooled: { ttftP50: percentile(pooledTtft, 50), ttftP99: percentile(pooledTtft, 99), gapP99: percentile(pooledGaps, 99), samples: pooledTtft.length },
    };
    const one = (round) => round.throughputOneUser?.[name];
    if (results.rounds.some(one)) {
      results.aggregate[name].oneUser = {
        rpsAtBounds: Object.fromEntries(P99_BOUNDS_MS.map((bound) => [String(bound), summary(per((round) => one(round)?.atBound?.[String(bound)]?.rps))])),
        rpsMax: summary(per((round) => one(round)?.rpsMax)),
        errors: per((round) => (one(round)?.levels ?? []).reduce((sum, level) => sum + level.non2xx + level.errors, 0)).reduce((a, b) => a + b, 0),
      };
    }
  }
  // Paired, per round: SUT minus B1, and ratios.
  for (const name of names.filter((candidate) => candidate !== 'B1' && candidate !== 'B0')) {
    const diff = (pick) =>
      summary(
        results.rounds
          .map((round) => {
            const a = pick(round, name);
            const b = pick(round, 'B1');
            return Number.isFinite(a) && Number.isFinite(b) ? a - b : null;
          })
          .filter((value) => value !== null),
      );
    // Messages/s at a p99 bound over a baseline's requests/s at the same bound, in the same round.
    const ratio = (other, bound = P99_BOUND_MS, phase = 'throughput') =>
      summary(
        results.rounds
          .map((round) => {
            const a = round[phase]?.[name]?.atBound?.[String(bound)]?.rps;
            const b = round.throughput[other]?.atBound?.[String(bound)]?.rps;
            return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;
          })
          .filter((value) => value !== null),
      );
    const ratios = (phase) =>
      Object.fromEntries(P99_BOUNDS_MS.map((bound) => [String(bound), { toB1: ratio('B1', bound, phase), toP: ratio('P', bound, phase) }]));
    results.comparisons[name] = {
      addedTtftP50: diff((round, target) => round.ttft[target]?.ttftP50),
      addedTtftP99: diff((round, target) => round.ttft[target]?.ttftP99),
      addedTtfbP50: diff((round, target) => round.ttft[target]?.ttfbP50),
      addedGapP99: diff((round, target) => round.ttft[target]?.gapP99),
      rpsRatioToB1: ratio('B1'),
      rpsRatioToP: ratio('P'),
      rpsRatios: ratios('throughput'),
      ...(results.rounds.some((round) => round.throughputOneUser?.[name]) ? { oneUserRpsRatios: ratios('throughputOneUser') } : {}),
    };
  }
  // Time to first audio: pooled over the rounds' sends (a handful a round), and the per-round ratio.
  for (const name of results.audio?.targets ?? []) {
    const per = results.rounds.map((round) => round.audio?.[name]).filter(Boolean);
    if (per.length === 0) continue;
    const pooled = (key) => per.flatMap((round) => round.raw[key]);
    const p = (values) => ({ n: values.length, p50: percentile(values, 50), p90: percentile(values, 90) });
    const streamedFirstAudio = p(pooled('streamedFirstAudio'));
    const afterFirstAudio = p(pooled('afterFirstAudio'));
    const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);
    results.audio.byTarget[name] = {
      rounds: per.length,
      sends: per.reduce((sum, round) => sum + round.sends, 0),
      ok: per.reduce((sum, round) => sum + round.ok, 0),
      errors: per.reduce((sum, round) => sum + round.errors, 0),
      firstErrors: [...new Set(per.flatMap((round) => round.firstErrors))].slice(0, 3),
      secondsPerRound: summary(per.map((round) => round.seconds)),
      streamedFirstEvent: p(pooled('streamedFirstEvent')),
      streamedFirstAudio,
      afterCompleted: p(pooled('afterCompleted')),
      afterFirstAudio,
      ratioP50: ratio(afterFirstAudio.p50, streamedFirstAudio.p50),
      ratioP90: ratio(afterFirstAudio.p90, streamedFirstAudio.p90),
      ratioP50PerRound: summary(per.map((round) => round.ratioP50)),
      clipsPerReply: percentile(per.map((round) => round.streamed.clipsPerReply), 50),
      firstClipBytes: percentile(per.map((round) => round.streamed.firstClipBytes), 50),
      wholeReplyBytes: percentile(per.map((round) => round.after.bytes), 50),
      firstClipText: per.find((round) => round.streamed.firstClipText)?.streamed.firstClipText ?? null,
    };
  }
  // Raw samples stay out of the JSON (the per-round percentiles are there).
  for (const round of results.rounds) for (const value of Object.values(round.ttft)) delete value.raw;
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  harnessProblems.push(String(error?.stack ?? error));
  log(`harness error: ${error?.stack ?? error}`);
} finally {
  try {
    aggregate();
  } catch (error) {
    harnessProblems.push(`aggregation: ${error?.stack ?? error}`);
  }
  await cleanup();
  await controlAgent.close().catch(() => undefined);
  for (const target of targets) await target.agent?.close().catch(() => undefined);
}

results.finishedAt = new Date().toISOString();
results.durationSeconds = roundTo((Date.now() - startedAt) / 1000, 1);
results.harnessProblems = harnessProblems;
results.checks = evaluateTargets(results);
const latestReport = join(resultsDir, `latest-${reportName}.md`);
results.previous = readPreviousTargets(existsSync(latestReport) ? readFileSync(latestReport, 'utf8') : undefined);

// Smoke: the harness is broken when it threw, when a started target never answered, or when it could not drive Chorus.
if (profileName === 'smoke') {
  for (const target of targets) {
    const ttft = results.rounds[0]?.ttft[target.name];
    const tp = results.rounds[0]?.throughput[target.name];
    if (!ttft || ttft.ok === 0) harnessProblems.push(`${target.name}: no stream completed${ttft?.firstErrors?.length ? ` (${ttft.firstErrors[0]})` : ''}`);
    if (!tp || !tp.levels.some((level) => level.rps > 0)) harnessProblems.push(`${target.name}: no non-streaming request succeeded`);
    const one = results.rounds[0]?.throughputOneUser?.[target.name];
    if (target.oneUser && (!one || !one.levels.some((level) => level.rps > 0))) harnessProblems.push(`${target.name}: no one-user non-streaming request succeeded`);
  }
  // Time to first audio: when the SUT could speak, at least one send of each kind must have worked.
  for (const name of results.audio?.targets ?? []) {
    const audio = results.rounds[0]?.audio?.[name];
    if (!audio || audio.streamed.ok === 0 || audio.after.ok === 0) {
      harnessProblems.push(`${name}: time to first audio not measured${audio?.firstErrors?.length ? ` (${audio.firstErrors[0]})` : ''}`);
    }
  }
  for (const name of ['B0', 'B1']) if (!targets.some((target) => target.name === name)) harnessProblems.push(`${name} did not start: ${results.targets[name]?.reason ?? 'unknown'}`);
  if (chorus.postgresAvailable() && wanted('SUT-pg') && !targets.some((target) => target.name === 'SUT-pg')) {
    harnessProblems.push(`SUT-pg could not be driven: ${results.targets['SUT-pg']?.reason ?? 'unknown'}`);
  }
}

const base = join(resultsDir, `${stamp}-${reportName}`);
try {
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  const markdown = writeMarkdown(results);
  writeFileSync(`${base}.md`, markdown);
  copyFileSync(`${base}.md`, latestReport);
  process.stdout.write(`\n${markdown}\n`);
  log(`report: ${base}.json and ${base}.md`);
} catch (error) {
  harnessProblems.push(`report: ${error?.stack ?? error}`);
  log(`could not write the report: ${error?.stack ?? error}`);
}

if (harnessProblems.length > 0) {
  log(`harness problems:\n  ${harnessProblems.join('\n  ')}`);
  exitCode = 1;
} else if (flag('--strict') && results.checks.some((check) => check.pass === false)) {
  exitCode = 1;
}
clearTimeout(watchdog);
process.exit(exitCode);
