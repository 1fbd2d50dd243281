import OpenAI from 'openai';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { TestApp } from './support/test-app.js';

const ADMIN = { email: 'compat@example.com', password: 'admin password 123' };
const PLANS = JSON.stringify({ free: { chat: { messagesPerDay: 3 }, premiumPersonas: false }, premium: { premiumPersonas: true } });

/** The official OpenAI SDK, pointed at Chorus with a Chorus API key: what teams with OpenAI tooling do. */
describe('OpenAI-compatible surface', () => {
  let sut: TestApp;
  let base: string;
  let user: TestAccount;
  let client: OpenAI;

  beforeAll(async () => {
    sut = await TestApp.start({ env: { PLANS, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    base = await sut.listen();
    user = await newAccount(sut);
    const key = (await sut.http().post('/api/v1/me/api-keys').set(user.auth).send({ name: 'openai sdk' }).expect(201)).body.secret;
    client = new OpenAI({ apiKey: key, baseURL: `${base}/openai/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await sut.close();
  });

  it('lists the personas the caller may use as models', async () => {
    const admin = await signIn(sut, ADMIN.email, ADMIN.password);
    await sut.http().post('/api/v1/influencers').set(admin.auth)
      .send({ handle: 'vault', displayName: 'Vault', category: 'test', systemPrompt: 'You are Vault.', greeting: 'Hi', premiumOnly: true }).expect(201);
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(expect.arrayContaining(['persona/nova', 'persona/chef-marco', 'persona/sage']));
    expect(models).not.toContain('persona/vault');
    expect(models.some((id) => id.startsWith('simulated/'))).toBe(false);
  });

  it('answers a non-streaming completion in the persona\'s voice, with usage', async () => {
    const completion = await client.chat.completions.create({ model: 'persona/nova', messages: [{ role: 'user', content: 'Is Mars visible?' }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toContain('Nova');
    expect(completion.choices[0]!.message.content).toContain('Is Mars visible?');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('streams chunks and the usage, and records the usage in the ledger without storing messages', async () => {
    const before = await sut.app.get(DataSource).query('SELECT count(*)::int AS n FROM messages');
    const stream = await client.chat.completions.create({
      model: 'persona/sage',
      messages: [{ role: 'user', content: 'Help me focus' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toContain('Sage');
    expect(usage!.completion_tokens).toBeGreaterThan(0);
    const after = await sut.app.get(DataSource).query('SELECT count(*)::int AS n FROM messages');
    expect(after).toEqual(before);
    const [event] = await sut.app.get(DataSource).query(
      `SELECT input_tokens, output_tokens, message_id FROM usage_events WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [user.id],
    );
    expect(event).toEqual({ input_tokens: usage!.prompt_tokens, output_tokens: usage!.completion_tokens, message_id: null });
  });

  it('stores the exchange in a conversation when asked to, idempotently', async () => {
    const nova = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
    const conversationId = (await sut.http().post('/api/v1/conversations').set(user.auth).send({ influencerId: nova }).expect(201)).body.id;
    const ask = () =>
      client.chat.completions.create(
        { model: 'persona/nova', messages: [{ role: 'user', content: 'Remember me' }] },
        { headers: { 'X-Chorus-Conversation-Id': conversationId, 'Idempotency-Key': 'compat-1' } },
      );
    const first = await ask();
    const retried = await ask();
    expect(retried.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    const history = await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).set(user.auth).expect(200);
    expect(history.body.items.map((message: { role: string }) => message.role)).toEqual(['assistant', 'user', 'assistant']);
    expect(history.body.items[2].content).toBe(first.choices[0]!.message.content);

    await expect(
      client.chat.completions.create({ model: 'persona/sage', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-Chorus-Conversation-Id': conversationId } }),
    ).rejects.toMatchObject({ status: 400, code: 'model_mismatch' });
  });

  it("answers errors in OpenAI's format so that OpenAI clients react correctly", async () => {
    await expect(client.chat.completions.create({ model: 'persona/nobody', messages: [{ role: 'user', content: 'hi' }] }))
      .rejects.toMatchObject({ status: 404, code: 'model_not_found', type: 'not_found_error' });
    await expect(client.chat.completions.create({ model: 'simulated/simulated-chat', messages: [{ role: 'user', content: 'hi' }] }))
      .rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(client.chat.completions.create({ model: 'persona/vault', messages: [{ role: 'user', content: 'hi' }] }))
      .rejects.toMatchObject({ status: 403, code: 'plan_required', type: 'permission_error' });
    await expect(client.chat.completions.create({ model: 'persona/nova', messages: [] }))
      .rejects.toMatchObject({ status: 400, code: 'invalid_request', type: 'invalid_request_error' });
    const anonymous = new OpenAI({ apiKey: 'chorus_sk_not-a-key', baseURL: `${base}/openai/v1`, maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key', type: 'authentication_error' });

    // The daily quota (3 messages) is spent by the replies above: 429, marked as not worth retrying.
    const raw = await fetch(`${base}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${client.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'persona/nova', messages: [{ role: 'user', content: 'one more' }] }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('x-should-retry')).toBe('false');
    expect(await raw.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'insufficient_quota' } });
  });
});
