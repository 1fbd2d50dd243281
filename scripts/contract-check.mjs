// Checks that the API answers as the committed OpenAPI document says, with a validator we did
// not write: the built server runs on a throw-away embedded database behind Stoplight Prism in
// proxy mode, a realistic journey (happy paths and error paths) goes through the proxy, and
// every response-side violation Prism reports (its `sl-violations` header) fails the check.
// Streamed (text/event-stream) bodies are not validated; their status and content type are.
//
//   npm run build && npm run contract
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ADMIN = { email: 'contract-admin@example.com', password: 'contract admin password' };
const METRICS_TOKEN = `metrics-${randomUUID()}`;

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function start(name, command, args, env) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { name, child, output: () => output };
}

async function waitFor(url, process) {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (process.child.exitCode !== null) throw new Error(`${process.name} exited:\n${process.output()}`);
    if (await fetch(url).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${process.name} did not start:\n${process.output()}`);
}

const directory = mkdtempSync(join(tmpdir(), 'chorus-contract-'));
const apiPort = await freePort();
const proxyPort = await freePort();
const api = start('server', process.execPath, ['dist/apps/api/src/main.js'], {
  PORT: String(apiPort),
  HOST: '127.0.0.1',
  EMBEDDED_DB_DIR: join(directory, 'pg'),
  DATABASE_URL: '',
  REDIS_URL: '',
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
  NODE_ENV: 'test',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  JWT_SECRET: randomUUID() + randomUUID(),
  METRICS_TOKEN,
});
const prism = start('prism', process.execPath, [
  'node_modules/@stoplight/prism-cli/dist/index.js', 'proxy', 'openapi/openapi.json', `http://127.0.0.1:${apiPort}`,
  '--port', String(proxyPort), '--host', '127.0.0.1', '--errors', 'false',
], {});

const violations = [];
let checked = 0;

/** One request through the proxy; its response must have the expected status and no response-side violation. */
async function call(method, path, { token, body, headers = {}, expect }) {
  const where = `${method} ${path}`;
  const response = await fetch(`http://127.0.0.1:${proxyPort}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }).catch((error) => {
    throw new Error(`${where}: no answer through the proxy (${error.cause?.message ?? error.message})\n${prism.output().slice(-2000)}`);
  });
  const text = await response.text();
  checked++;
  const answered = `${where} -> ${response.status}`;
  if (response.status !== expect) violations.push(`${answered}: expected status ${expect}: ${text.slice(0, 300)}`);
  const type = response.headers.get('content-type') ?? '';
  if (headers.Accept === 'text/event-stream' && !type.startsWith('text/event-stream')) violations.push(`${answered}: not an event stream (${type})`);
  const header = response.headers.get('sl-violations');
  if (header) {
    for (const violation of JSON.parse(header)) {
      if (violation.location?.[0] !== 'response') continue;
      // An event stream is not one JSON document: its body is the e2e tests' to check, its status and type are ours.
      if (type.startsWith('text/event-stream') && violation.location[1] === 'body') continue;
      violations.push(`${answered}: ${violation.location.join('.')}: ${violation.message}`);
    }
  }
  return type.includes('json') && text ? JSON.parse(text) : text;
}

try {
  await waitFor(`http://127.0.0.1:${apiPort}/health/ready`, api);
  await waitFor(`http://127.0.0.1:${proxyPort}/health/live`, prism);

  // Probes and public reads.
  await call('GET', '/health/live', { expect: 200 });
  await call('GET', '/health/ready', { expect: 200 });
  await call('GET', '/metrics', { expect: 401 });
  await call('GET', '/metrics', { token: 'not-the-metrics-token', expect: 401 });
  await call('GET', '/metrics', { token: METRICS_TOKEN, expect: 200 });
  await call('GET', '/api/v1/plans', { expect: 200 });
  await call('GET', '/api/v1/providers', { expect: 401 });
  const personas = await call('GET', '/api/v1/influencers?limit=2', { expect: 200 });
  await call('GET', `/api/v1/influencers?limit=2&cursor=${encodeURIComponent(personas.nextCursor)}`, { expect: 200 });
  await call('GET', '/api/v1/influencers/trending', { expect: 200 });
  const nova = await call('GET', '/api/v1/influencers/nova', { expect: 200 });
  await call('GET', '/api/v1/influencers/nobody-by-that-name', { expect: 404 });

  // Accounts and sessions.
  const email = `contract-${randomUUID().slice(0, 8)}@example.com`;
  await call('POST', '/api/v1/auth/register', { body: { email, password: 'x' }, expect: 400 });
  const registered = await call('POST', '/api/v1/auth/register', { body: { email, password: 'correct horse battery' }, expect: 201 });
  await call('POST', '/api/v1/auth/register', { body: { email, password: 'correct horse battery' }, expect: 409 });
  await call('POST', '/api/v1/auth/login', { body: { email, password: 'wrong password' }, expect: 401 });
  const login = await call('POST', '/api/v1/auth/login', { body: { email, password: 'correct horse battery' }, expect: 200 });
  const refreshed = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: login.tokens.refreshToken }, expect: 200 });
  const token = refreshed.accessToken;
  await call('GET', '/api/v1/me', { expect: 401 });
  await call('GET', '/api/v1/me', { token, expect: 200 });
  await call('PATCH', '/api/v1/me', { token, body: { displayName: 'Contract', preferences: { theme: 'dark' } }, expect: 200 });
  await call('PATCH', '/api/v1/me', { token, body: { unknown: true }, expect: 400 });
  const sessions = await call('GET', '/api/v1/me/sessions', { token, expect: 200 });
  await call('DELETE', `/api/v1/me/sessions/${sessions.find((session) => !session.current)?.id ?? randomUUID()}`, { token, expect: 204 });
  const key = await call('POST', '/api/v1/me/api-keys', { token, body: { name: 'contract' }, expect: 201 });
  await call('GET', '/api/v1/me/api-keys', { token, expect: 200 });
  await call('POST', '/api/v1/me/password', { token, body: { currentPassword: 'wrong password', newPassword: 'another password 1' }, expect: 403 });

  // Conversations and replies (JSON answers; the streamed form is checked for status and type).
  const conversation = await call('POST', '/api/v1/conversations', { token, body: { influencerId: nova.id }, expect: 201 });
  await call('GET', '/api/v1/conversations', { token, expect: 200 });
  await call('GET', `/api/v1/conversations/${conversation.id}`, { token, expect: 200 });
  await call('GET', `/api/v1/conversations/${randomUUID()}`, { token, expect: 404 });
  const sent = await call('POST', `/api/v1/conversations/${conversation.id}/messages`, {
    token, body: { content: 'What can I see tonight?', clientMessageId: randomUUID() }, expect: 200,
  });
  const replyId = sent.reply.id;
  await call('POST', `/api/v1/conversations/${conversation.id}/messages`, { token, body: { content: '' }, expect: 400 });
  await call('GET', `/api/v1/conversations/${conversation.id}/messages`, { token, expect: 200 });
  await call('GET', `/api/v1/conversations/${conversation.id}/messages/${replyId}/stream`, { token, headers: { Accept: 'text/event-stream' }, expect: 200 });
  await call('POST', `/api/v1/conversations/${conversation.id}/messages/${replyId}/cancel`, { token, expect: 200 });
  await call('POST', `/api/v1/conversations/${conversation.id}/messages/${replyId}/regenerate`, { token, expect: 200 });
  await call('PATCH', `/api/v1/conversations/${conversation.id}`, { token, body: { title: 'Stars' }, expect: 200 });
  await call('POST', `/api/v1/conversations/${conversation.id}/read`, { token, expect: 200 });
  await call('GET', '/api/v1/me/usage', { token, expect: 200 });
  await call('GET', '/api/v1/providers', { token, expect: 403 });

  // A live avatar session on the simulated provider.
  const avatar = await call('POST', '/api/v1/avatar/sessions', { token, body: { influencerId: nova.id, conversationId: conversation.id }, expect: 201 });
  await call('POST', '/api/v1/avatar/sessions', { token, body: { influencerId: nova.id }, expect: 409 });
  await call('POST', '/api/v1/avatar/sessions', { token, body: {}, expect: 400 });
  await call('GET', '/api/v1/avatar/sessions', { token, expect: 200 });
  await call('GET', `/api/v1/avatar/sessions/${avatar.session.id}`, { token, expect: 200 });
  await call('GET', `/api/v1/avatar/sessions/${randomUUID()}`, { token, expect: 404 });
  await call('POST', `/api/v1/avatar/sessions/${avatar.session.id}/keep-alive`, { token, expect: 200 });
  await call('POST', `/api/v1/avatar/sessions/${avatar.session.id}/stop`, { token, expect: 200 });
  await call('POST', `/api/v1/avatar/sessions/${avatar.session.id}/keep-alive`, { token, expect: 409 });

  // The OpenAI-compatible surface, with the API key.
  const apiKey = key.secret;
  await call('GET', '/openai/v1/models', { token: apiKey, expect: 200 });
  await call('POST', '/openai/v1/chat/completions', { token: apiKey, body: { model: 'persona/nova', messages: [{ role: 'user', content: 'Hi' }] }, expect: 200 });
  await call('POST', '/openai/v1/chat/completions', { token: apiKey, body: { model: 'persona/nobody', messages: [{ role: 'user', content: 'Hi' }] }, expect: 404 });
  // (Malformed JSON is left to the e2e tests: Prism never answers a request it cannot parse.)
  await call('POST', '/openai/v1/chat/completions', { token: apiKey, body: { model: 'persona/nova' }, expect: 400 });
  await call('POST', '/openai/v1/chat/completions', { body: { model: 'persona/nova', messages: [] }, expect: 401 });
  const response = await call('POST', '/openai/v1/responses', { token: apiKey, body: { model: 'persona/nova', input: 'Hi', metadata: { source: 'contract' } }, expect: 200 });
  const followUp = await call('POST', '/openai/v1/responses', {
    token: apiKey, body: { model: 'persona/nova', input: [{ role: 'user', content: 'And then?' }], previous_response_id: response.id, instructions: 'Be brief.' }, expect: 200,
  });
  await call('POST', '/openai/v1/responses', { token: apiKey, body: { model: 'persona/nova', input: 'Streamed', stream: true }, headers: { Accept: 'text/event-stream' }, expect: 200 });
  await call('POST', '/openai/v1/responses', { token: apiKey, body: { model: 'persona/nova', input: 'Stateless', store: false }, expect: 200 });
  await call('POST', '/openai/v1/responses', { token: apiKey, body: { model: 'persona/nova', input: 'Later', background: true }, expect: 400 });
  await call('POST', '/openai/v1/responses', { token: apiKey, body: { model: 'persona/nova', input: 'Fork', previous_response_id: response.id }, expect: 400 });
  await call('POST', '/openai/v1/responses', { token: apiKey, body: { model: 'persona/nobody', input: 'Hi' }, expect: 404 });
  await call('GET', `/openai/v1/responses/${followUp.id}`, { token: apiKey, expect: 200 });
  await call('GET', `/openai/v1/responses/${followUp.id}/input_items?order=asc&limit=5`, { token: apiKey, expect: 200 });
  await call('GET', `/openai/v1/responses/resp_${'0'.repeat(32)}`, { token: apiKey, expect: 404 });
  await call('DELETE', `/openai/v1/responses/${followUp.id}`, { token: apiKey, expect: 200 });
  await call('DELETE', `/openai/v1/responses/${followUp.id}`, { token: apiKey, expect: 404 });

  // Admin.
  const admin = await call('POST', '/api/v1/auth/login', { body: ADMIN, expect: 200 });
  const adminToken = admin.tokens.accessToken;
  await call('GET', '/api/v1/admin/users?limit=5', { token: adminToken, expect: 200 });
  await call('GET', `/api/v1/admin/users/${registered.user.id}`, { token: adminToken, expect: 200 });
  await call('PATCH', `/api/v1/admin/users/${registered.user.id}`, { token: adminToken, body: { plan: 'premium' }, expect: 200 });
  await call('PATCH', `/api/v1/admin/users/${registered.user.id}/quota`, { token: adminToken, body: { limits: { chat: { messagesPerDay: 50 } } }, expect: 200 });
  await call('GET', '/api/v1/admin/usage', { token: adminToken, expect: 200 });
  await call('GET', '/api/v1/providers', { token: adminToken, expect: 200 });
  await call('GET', '/api/v1/admin/users', { token, expect: 403 });
  await call('DELETE', `/api/v1/me/api-keys/${key.id}`, { token, expect: 204 });
  await call('POST', '/api/v1/auth/logout', { token, expect: 204 });
} finally {
  api.child.kill('SIGTERM');
  prism.child.kill('SIGTERM');
  rmSync(directory, { recursive: true, force: true });
}

if (violations.length > 0) {
  console.error(`The API differs from openapi/openapi.json (${violations.length} of ${checked} responses):`);
  for (const violation of violations) console.error(`  - ${violation}`);
  process.exit(1);
}
console.log(`contract: ${checked} responses checked through Prism, no violation`);
