import { randomUUID } from 'node:crypto';
import { newAccount, type TestAccount } from './support/accounts.js';
import { EventStreamReader } from './support/sse-client.js';
import { TestApp } from './support/test-app.js';

const METRICS_TOKEN = `scrape-${randomUUID()}`;
const scraper = { Authorization: `Bearer ${METRICS_TOKEN}` };

/** One message a day, so that the second one is refused; a generous request rate for signed-in users. */
const PLANS = JSON.stringify({
  free: { chat: { messagesPerDay: 1, tokensPerMonth: null, costMicrosPerMonth: null }, requestsPerMinute: 1000, premiumPersonas: false },
});
/** Anonymous callers' budget: small enough to spend in a test, to show that scrapes are not counted against it. */
const ANONYMOUS_LIMIT = 25;

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition (comments skipped; label values unescaped enough for these tests). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `labels` (0 when there are none). */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

describe('Prometheus metrics at GET /metrics', () => {
  describe('without METRICS_TOKEN', () => {
    it('is off: 404 problem, even with a bearer token', async () => {
      const sut = await TestApp.start();
      try {
        for (const headers of [{}, scraper]) {
          const response = await sut.http().get('/metrics').set(headers).expect(404);
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(response.body).toMatchObject({ status: 404, code: 'not_found' });
        }
        await sut.http().get('/api/v1/metrics').set(scraper).expect(404);
      } finally {
        await sut.close();
      }
    });
  });

  describe('with METRICS_TOKEN', () => {
    let sut: TestApp;
    let base: string;
    let alice: TestAccount;
    let novaId: string;

    const scrape = async (): Promise<Sample[]> => {
      const response = await sut.http().get('/metrics').set(scraper).expect(200);
      return parseExposition(response.text);
    };
    const newConversation = async (account: TestAccount): Promise<string> =>
      (await sut.http().post('/api/v1/conversations').set(account.auth).send({ influencerId: novaId }).expect(201)).body.id;

    beforeAll(async () => {
      sut = await TestApp.start({ env: { METRICS_TOKEN, PLANS, RATE_LIMIT_DEFAULT: String(ANONYMOUS_LIMIT) } });
      base = await sut.listen();
      alice = await newAccount(sut);
      novaId = (await sut.http().get('/api/v1/influencers/nova').set(alice.auth).expect(200)).body.id;
    });

    afterAll(async () => {
      await sut.close();
    });

    it('answers 401 problem without the token, with a wrong one, or with a user\'s access token', async () => {
      for (const headers of [{}, { Authorization: 'Bearer not-the-metrics-token' }, { Authorization: `Bearer ${METRICS_TOKEN}x` }, { Authorization: METRICS_TOKEN }, alice.auth]) {
        const response = await sut.http().get('/metrics').set(headers).expect(401);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(response.body).toMatchObject({ status: 401, code: 'unauthorized', requestId: expect.any(String) });
        expect(response.text).not.toContain('chorus_');
      }
    });

    it('serves the text exposition format with the token, outside the API prefix', async () => {
      const response = await sut.http().get('/metrics').set(scraper).expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.text).toContain('# TYPE chorus_http_request_duration_seconds histogram');
      const samples = parseExposition(response.text);
      // Default process metrics, prefixed.
      expect(samples.some((sample) => sample.name === 'chorus_nodejs_eventloop_lag_seconds')).toBe(true);
      expect(samples.some((sample) => sample.name === 'chorus_process_cpu_seconds_total')).toBe(true);
      // Read at scrape time: the database pool and the circuits.
      expect(total(samples, 'chorus_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
      expect(samples.some((sample) => sample.name === 'chorus_db_pool_connections' && sample.labels['state'] === 'waiting')).toBe(true);
      expect(samples.find((sample) => sample.name === 'chorus_provider_circuit_state' && sample.labels['provider'] === 'simulated')?.value).toBe(0);
      expect(samples.some((sample) => sample.name === 'chorus_sse_streams_open')).toBe(true);
      await sut.http().get('/api/v1/metrics').set(scraper).expect(404);
    });

    it('counts a streamed reply once: time to first token, tokens, outcome and the route\'s latency', async () => {
      const conversationId = await newConversation(alice);
      const before = await scrape();

      const stream = await EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: { ...alice.auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ content: 'What can I see tonight?', clientMessageId: randomUUID() }),
      });
      const events = await stream.rest();
      const completed = events.at(-1)!;
      expect(completed.event).toBe('reply.completed');
      const usage = completed.data['usage'] as { inputTokens: number; outputTokens: number };
      expect(usage.outputTokens).toBeGreaterThan(0);

      const after = await scrape();
      const moved = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
      expect(moved('chorus_reply_time_to_first_token_seconds_count', { provider: 'simulated' })).toBe(1);
      expect(moved('chorus_reply_duration_seconds_count', { provider: 'simulated' })).toBe(1);
      expect(moved('chorus_reply_tokens_total', { provider: 'simulated', direction: 'output' })).toBe(usage.outputTokens);
      expect(moved('chorus_reply_tokens_total', { provider: 'simulated', direction: 'input' })).toBe(usage.inputTokens);
      expect(moved('chorus_replies_total', { status: 'completed' })).toBe(1);
      expect(moved('chorus_replies_total', { status: 'failed' })).toBe(0);
      expect(total(after, 'chorus_replies_in_progress')).toBe(0);
      // By route pattern, never by raw path (no conversation id in any label).
      expect(total(after, 'chorus_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/conversations/:id/messages', status_code: '200' })).toBeGreaterThanOrEqual(1);
      expect(after.some((sample) => Object.values(sample.labels).some((value) => value.includes(conversationId)))).toBe(false);
    });

    it('counts a stateless OpenAI-compatible completion once, with the usage it reports', async () => {
      const carol = await newAccount(sut);
      const before = await scrape();
      const completion = await sut.http().post('/openai/v1/chat/completions').set(carol.auth)
        .send({ model: 'persona/nova', messages: [{ role: 'user', content: 'Hello there' }] }).expect(200);
      const after = await scrape();
      const moved = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
      expect(moved('chorus_replies_total', { status: 'completed' })).toBe(1);
      expect(moved('chorus_reply_time_to_first_token_seconds_count', { provider: 'simulated' })).toBe(1);
      expect(moved('chorus_reply_tokens_total', { provider: 'simulated', direction: 'output' })).toBe(completion.body.usage.completion_tokens);
    });

    it('labels requests no route matched as unmatched, inside the API prefix or not', async () => {
      const before = await scrape();
      await sut.http().get(`/api/v1/no-such-thing/${randomUUID()}`).set(alice.auth).expect(404);
      await sut.http().get(`/no-such-thing/${randomUUID()}`).set(alice.auth).expect(404);
      const after = await scrape();
      const unmatched = { method: 'GET', route: 'unmatched', status_code: '404' };
      const name = 'chorus_http_request_duration_seconds_count';
      expect(total(after, name, unmatched) - total(before, name, unmatched)).toBe(2);
    });

    it('counts quota refusals by the limit that was reached', async () => {
      const bob = await newAccount(sut);
      const conversationId = await newConversation(bob);
      const send = () => sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(bob.auth).send({ content: 'hi', clientMessageId: randomUUID() });
      await send().expect(200);
      const before = await scrape();
      const refused = await send().expect(429);
      expect(refused.body).toMatchObject({ code: 'quota_exceeded', limit: 'chat.messagesPerDay' });
      const after = await scrape();
      const limit = { limit: 'chat.messagesPerDay' };
      expect(total(after, 'chorus_quota_refusals_total', limit) - total(before, 'chorus_quota_refusals_total', limit)).toBe(1);
    });

    it('is not rate limited, while the routes around it are (and their refusals are counted)', async () => {
      const before = await scrape();
      let limited = false;
      for (let request = 0; request <= ANONYMOUS_LIMIT && !limited; request++) {
        limited = (await sut.http().get('/api/v1/plans')).status === 429;
      }
      expect(limited).toBe(true);

      for (let request = 0; request < ANONYMOUS_LIMIT + 5; request++) {
        const response = await sut.http().get('/metrics').set(scraper).expect(200);
        expect(response.headers['ratelimit-limit']).toBeUndefined();
      }
      // Refused scrapes are not rate limited either.
      await sut.http().get('/metrics').expect(401);
      const after = await scrape();
      const tier = { tier: 'anonymous' };
      expect(total(after, 'chorus_rate_limit_refusals_total', tier) - total(before, 'chorus_rate_limit_refusals_total', tier)).toBeGreaterThanOrEqual(1);
    });
  });
});
