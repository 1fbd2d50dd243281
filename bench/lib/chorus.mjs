// The system under test: the built Chorus server (dist/), on a fresh PostgreSQL database or a
// fresh embedded (PGlite) data directory, pointed at the mock upstream. Setup (accounts and
// conversations) and the end-of-run checks go through the public API only.

import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jsonRequest, pool } from './client.mjs';
import { freePort, readJsonFile, startChild, waitFor } from './proc.mjs';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;

/** `npm run build` in the repository root, bounded; the result says whether dist/ is fresh. */
export function buildChorus(root, { timeoutMs = 240_000 } = {}) {
  const started = Date.now();
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', timeout: timeoutMs, env: process.env });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return {
    ok: result.status === 0,
    ms: Date.now() - started,
    output: output.split('\n').slice(-15).join('\n'),
    distExists: existsSync(join(root, 'dist/apps/api/src/main.js')),
  };
}

function psql(args, { timeoutMs = 30_000 } = {}) {
  const result = spawnSync(args[0], ['-h', PG_HOST, '-p', String(PG_PORT), '-U', 'postgres', ...args.slice(1)], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (result.status !== 0) throw new Error(`${args[0]} failed: ${(result.stderr || result.stdout || '').trim()}`);
  return result.stdout;
}

export function postgresAvailable() {
  return spawnSync('pg_isready', ['-h', PG_HOST, '-p', String(PG_PORT), '-q'], { timeout: 5000 }).status === 0;
}

export function createDatabase(name) {
  psql(['createdb', name]);
}

export function dropDatabase(name) {
  try {
    psql(['dropdb', '--if-exists', '--force', name]);
  } catch {
    // best effort; the name is printed in the report
  }
}

/** Generous plans for the bench (read by Chorus versions that have plans; ignored by older ones). */
// Finite limits, so every quota check and counter runs as in production, set far above what any
// user of a run can reach (a run sends at most a few hundred thousand messages in all).
const BENCH_CHAT_LIMITS = { messagesPerDay: 100_000_000, tokensPerMonth: 1_000_000_000_000, costMicrosPerMonth: 1_000_000_000_000 };
// Spoken replies (the time-to-first-audio phase): a few hundred characters a send, far below these.
const BENCH_VOICE_LIMITS = { sttSecondsPerMonth: 1_000_000_000, ttsCharactersPerMonth: 1_000_000_000_000 };
const BENCH_PLANS = {
  free: {
    description: 'bench: generous limits no benchmark user reaches',
    chat: BENCH_CHAT_LIMITS,
    voice: BENCH_VOICE_LIMITS,
    requestsPerMinute: 1_000_000_000,
  },
  premium: {
    description: 'bench',
    chat: BENCH_CHAT_LIMITS,
    voice: BENCH_VOICE_LIMITS,
    requestsPerMinute: 1_000_000_000,
    premiumPersonas: true,
  },
};

/**
 * Starts Chorus. `mode` is 'pg' or 'embedded'; `databaseUrl` overrides the PostgreSQL URL (the
 * query-counting proxy); `tag` goes to the mock in the x-bench-target header.
 */
export async function startChorus({ root, workDir, mode, mockPort, tag, cpu, probe, databaseName, databaseUrl, logFile }) {
  const port = await freePort();
  const dir = join(workDir, tag);
  mkdirSync(dir, { recursive: true });
  const plansFile = join(dir, 'plans.json');
  writeFileSync(plansFile, JSON.stringify(BENCH_PLANS));
  const probeFile = join(dir, 'probe.json');
  const providers = [
    {
      name: 'mock',
      kind: 'openai',
      baseUrl: `http://127.0.0.1:${mockPort}/v1`,
      apiKey: 'x',
      maxRetries: 0,
      // The mock fails only when a phase asks it to; a breaker opened there must not spill into the next phase.
      breakerThreshold: 1_000_000,
      headers: { 'x-bench-target': tag },
      models: [{ id: 'mock-model', contextWindow: 128000, maxOutputTokens: 4096 }],
    },
  ];
  const env = {
    // A clean environment: nothing from the caller's DATABASE_URL, REDIS_URL or AI keys leaks in.
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? dir,
    LANG: process.env.LANG ?? 'C.UTF-8',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET: randomBytes(32).toString('hex'),
    JWT_SECRET_FILE: join(dir, 'jwt-secret'),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    RATE_LIMIT_DEFAULT: '1000000000',
    RATE_LIMIT_WINDOW_SECONDS: '60',
    AUTH_REGISTER_LIMIT_PER_IP: '1000000',
    AUTH_LOGIN_LIMIT_PER_IP: '1000000',
    AUTH_LOGIN_LIMIT_PER_EMAIL: '1000000',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_ITERATIONS: '1',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    PROVIDERS: JSON.stringify(providers),
    DEFAULT_MODEL: 'mock/mock-model',
    PLANS_FILE: plansFile,
    SEED_EXAMPLE_PERSONAS: 'true',
    // The message path is measured: a title by the model is one more generation per conversation, not per message,
    // and its usage would blur the comparison of stored usage with the mock's.
    CONVERSATION_TITLES: 'first-message',
    SHUTDOWN_TIMEOUT_MS: '5000',
    BENCH_PROBE_FILE: probeFile,
  };
  if (mode === 'pg') {
    env.DATABASE_URL = databaseUrl ?? `postgres://postgres@${PG_HOST}:${PG_PORT}/${databaseName}`;
  } else {
    env.EMBEDDED_DB_DIR = join(dir, 'pg');
  }
  // Node's flags as operators run it (`npm run start:prod`), then the probe.
  const args = [...productionNodeFlags(root)];
  if (probe) args.push('--import', pathToFileURL(probe).href);
  args.push(join(root, 'dist/apps/api/src/main.js'));
  const started = Date.now();
  // cwd is the run's own directory, so a developer's .env in the repository is never read.
  const handle = startChild(`chorus-${tag}`, process.execPath, args, { cpu, env, cwd: dir, logFile });
  const baseUrl = `http://127.0.0.1:${port}`;
  return { handle, baseUrl, port, env, dir, probeFile, started, mode, tag, databaseName };
}

/** Waits for /health/ready; returns the start-up time in ms. */
export async function waitReady(sut, agent, timeoutMs = 120_000) {
  await waitFor(
    `${sut.tag} ready`,
    async () => (await jsonRequest(agent, 'GET', `${sut.baseUrl}/health/ready`, { timeoutMs: 5000 })).status === 200,
    { timeoutMs, intervalMs: 200, child: sut.handle },
  );
  sut.readyMs = Date.now() - sut.started;
  sut.probe = readJsonFile(sut.probeFile);
  return sut.readyMs;
}

function expectStatus(response, status, what) {
  if (response.status !== status) {
    throw new Error(`${what}: HTTP ${response.status} ${typeof response.body === 'string' ? response.body : JSON.stringify(response.body)}`.slice(0, 500));
  }
  return response.body;
}

/**
 * Accounts and conversations for the load: `users` accounts, `conversations` conversations with
 * the example persona nova, dealt round-robin to the accounts. Returns the pool.
 */
export async function setupChorus(sut, agent, { users, conversations, deadline }) {
  const api = `${sut.baseUrl}/api/v1`;
  const runId = randomUUID().slice(0, 8);
  const tokens = await pool(
    users,
    8,
    async (index) => {
      const body = expectStatus(
        await jsonRequest(agent, 'POST', `${api}/auth/register`, { body: { email: `bench-${runId}-${index}@example.com`, password: 'bench password 12345' } }),
        201,
        'register',
      );
      const token = body?.tokens?.accessToken;
      if (!token) throw new Error(`register: no tokens.accessToken in ${JSON.stringify(body).slice(0, 300)}`);
      return token;
    },
    { deadline },
  );
  if (tokens.some((token) => !token)) throw new Error('setup ran out of time registering accounts');
  const persona = expectStatus(await jsonRequest(agent, 'GET', `${api}/influencers/nova`), 200, 'GET /influencers/nova');
  if (!persona?.id) throw new Error('GET /influencers/nova: no id');
  const created = await pool(
    conversations,
    16,
    async (index) => {
      const token = tokens[index % tokens.length];
      const body = expectStatus(
        await jsonRequest(agent, 'POST', `${api}/conversations`, { body: { influencerId: persona.id }, headers: { authorization: `Bearer ${token}` } }),
        201,
        'POST /conversations',
      );
      return { id: body.id, token, sends: 0 };
    },
    { deadline },
  );
  if (created.some((conversation) => !conversation)) throw new Error('setup ran out of time creating conversations');
  return { personaId: persona.id, personaVoice: persona.voice ?? null, tokens, conversations: created };
}

/** A cursor over the conversation pool, so history stays short and no two in-flight sends share one. */
export function conversationCursor(conversations) {
  let next = 0;
  return () => {
    const conversation = conversations[next % conversations.length];
    next += 1;
    conversation.sends += 1;
    return conversation;
  };
}

/** The request a send makes: URL, headers and a body with a fresh clientMessageId (and `extra` fields, e.g. speak). */
export function sendRequest(sut, conversation, content, extra = {}) {
  return {
    url: `${sut.baseUrl}/api/v1/conversations/${conversation.id}/messages`,
    headers: { authorization: `Bearer ${conversation.token}` },
    body: { content, clientMessageId: randomUUID(), ...extra },
  };
}

/**
 * Whether this Chorus can speak the bench persona's replies: GET /voices lists its text-to-speech
 * provider (the persona's own, or the default) as available. Resolves { available, provider, reason }.
 */
export async function speechAvailable(sut, agent, { token, personaVoice }) {
  const response = await jsonRequest(agent, 'GET', `${sut.baseUrl}/api/v1/voices`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 30_000 });
  if (response.status !== 200) {
    return { available: false, provider: null, reason: `this Chorus has no voice (GET /api/v1/voices: HTTP ${response.status})` };
  }
  const providers = response.body?.textToSpeech ?? [];
  const wanted = personaVoice?.provider;
  const provider = wanted ? providers.find((candidate) => candidate.name === wanted) : providers.find((candidate) => candidate.isDefault);
  if (!provider) return { available: false, provider: wanted ?? null, reason: `GET /voices lists no text-to-speech provider ${wanted ? `"${wanted}"` : 'as the default'}` };
  if (!provider.available) {
    const why = provider.kind === 'espeak-ng' ? 'espeak-ng is not installed where the SUT runs' : `the text-to-speech provider "${provider.name}" is unavailable`;
    return { available: false, provider: provider.name, kind: provider.kind, reason: `${why} (GET /voices lists it as unavailable)` };
  }
  return { available: true, provider: provider.name, kind: provider.kind, model: provider.model, reason: null };
}

/**
 * What the database holds, read through the API: every message of every conversation that was
 * used, counted by role and status, with the replies' usage summed.
 */
export async function storedMessages(sut, agent, conversations, { deadline }) {
  const api = `${sut.baseUrl}/api/v1`;
  const totals = { user: 0, replies: {}, inputTokens: 0, outputTokens: 0, repliesWithoutUsage: 0, unreadable: 0 };
  const used = conversations.filter((conversation) => conversation.sends > 0);
  totals.conversations = used.length;
  await pool(
    used.length,
    8,
    async (index) => {
      const conversation = used[index];
      let cursor;
      for (let page = 0; page < 200; page += 1) {
        const query = `limit=100${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`;
        const response = await jsonRequest(agent, 'GET', `${api}/conversations/${conversation.id}/messages?${query}`, {
          headers: { authorization: `Bearer ${conversation.token}` },
        });
        if (response.status !== 200) {
          totals.unreadable += 1;
          return;
        }
        for (const message of response.body.items ?? []) {
          if (message.role === 'user') totals.user += 1;
          else if (message.role === 'assistant' && message.replyToId) {
            totals.replies[message.status] = (totals.replies[message.status] ?? 0) + 1;
            if (message.usage) {
              totals.inputTokens += message.usage.inputTokens;
              totals.outputTokens += message.usage.outputTokens;
            } else if (message.status === 'completed') totals.repliesWithoutUsage += 1;
          }
        }
        cursor = response.body.olderCursor;
        if (!cursor) break;
      }
    },
    { deadline },
  );
  return totals;
}

export async function stopChorus(sut) {
  if (!sut) return;
  await sut.handle.stop(8000);
  if (sut.mode === 'pg' && sut.databaseName) dropDatabase(sut.databaseName);
  try {
    rmSync(sut.dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
}

/** The flags `npm run start:prod` gives Node (e.g. the young generation's size), read from the checkout's package.json. */
function productionNodeFlags(root) {
  const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts?.['start:prod'] ?? '';
  return (/^node((?:\s+--\S+)*)\s/.exec(script)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
}
