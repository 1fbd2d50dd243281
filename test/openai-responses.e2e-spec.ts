import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { FakeOpenAIServer, fakeOpenAIEnv, type RecordedRequest } from './support/fake-openai.js';
import { TestApp } from './support/test-app.js';
import { until } from './support/waiting.js';

const ADMIN = { email: 'responses@example.com', password: 'admin password 123' };
/** Room for every request of this file within the free plan's rate limit. */
const PLANS = JSON.stringify({ free: { requestsPerMinute: 5000 } });

interface UpstreamChat {
  messages: Array<{ role: string; content: string }>;
  max_tokens?: number;
  max_completion_tokens?: number;
}

/**
 * OpenAI's Responses API through the official SDK, with personas answered by a fake OpenAI
 * server: what the persona was given (its prompt, the stored turns, the instructions) is what
 * the fake received.
 */
describe('OpenAI Responses API', () => {
  let upstream: FakeOpenAIServer;
  let sut: TestApp;
  let base: string;
  let admin: TestAccount;
  let user: TestAccount;
  let client: OpenAI;
  let apiKey: string;

  const clientOf = async (account: TestAccount): Promise<OpenAI> => {
    const key = (await sut.http().post('/api/v1/me/api-keys').set(account.auth).send({ name: 'responses' }).expect(201)).body.secret;
    return new OpenAI({ apiKey: key, baseURL: `${base}/openai/v1`, maxRetries: 0 });
  };
  const upstreamChat = (request: RecordedRequest | undefined): UpstreamChat => request!.body as UpstreamChat;
  const messagesOf = async (account: TestAccount, conversationId: string) =>
    (await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).set(account.auth).expect(200)).body.items as Array<{ role: string; content: string }>;
  const conversationsOf = async (account: TestAccount) =>
    (await sut.http().get('/api/v1/conversations').set(account.auth).expect(200)).body.items as Array<{ id: string; influencer: { handle: string } }>;
  const count = async (sql: string, parameters: unknown[]) => Number((await sut.app.get(DataSource).query(sql, parameters))[0].n);

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start({ apiKey: 'sk-test' });
    sut = await TestApp.start({ env: { ...fakeOpenAIEnv(upstream, { apiKey: 'sk-test' }), PLANS, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    base = await sut.listen();
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    user = await newAccount(sut);
    client = await clientOf(user);
    apiKey = client.apiKey!;
  });

  beforeEach(() => upstream.reset({ tokens: ['Mars ', 'is ', 'up.'], finishReason: 'stop', firstTokenDelayMs: 0, tokenDelayMs: 0 }));

  afterAll(async () => {
    await sut.close();
    await upstream.close();
  });

  it('answers a stored response in the persona\'s conversation, with output_text and usage', async () => {
    const conversationsBefore = (await conversationsOf(user)).length;
    const response = await client.responses.create({ model: 'persona/nova', input: 'Is Mars visible?', metadata: { ticket: 'T-1' } });

    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'persona/nova', store: true, metadata: { ticket: 'T-1' }, error: null });
    expect(response.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(response.output_text).toBe('Mars is up.');
    expect(response.output).toEqual([expect.objectContaining({ type: 'message', role: 'assistant', status: 'completed', content: [expect.objectContaining({ type: 'output_text', text: 'Mars is up.' })] })]);
    expect(response.usage).toMatchObject({ input_tokens: 12, output_tokens: 4, total_tokens: 16 });

    const conversations = await conversationsOf(user);
    expect(conversations).toHaveLength(conversationsBefore + 1);
    expect(conversations[0]!.influencer.handle).toBe('nova');
    expect((await messagesOf(user, conversations[0]!.id)).slice(1)).toEqual([
      expect.objectContaining({ role: 'user', content: 'Is Mars visible?' }),
      expect.objectContaining({ role: 'assistant', content: 'Mars is up.' }),
    ]);
    expect(await count('SELECT count(*) AS n FROM usage_events WHERE user_id = $1 AND input_tokens = 12 AND output_tokens = 4', [user.id])).toBe(1);
  });

  it('streams the typed events in order, numbered, ending with the usage', async () => {
    const stream = await client.responses.create({ model: 'persona/sage', input: 'Help me focus', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);

    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.usage).toMatchObject({ input_tokens: 12, output_tokens: 4 });
    expect(completed.response.output).toEqual([expect.objectContaining({ status: 'completed', content: [expect.objectContaining({ text: 'Mars is up.' })] })]);
    const itemId = (events[2] as OpenAI.Responses.ResponseOutputItemAddedEvent).item.id;
    expect(events.filter((event) => 'item_id' in event).every((event) => (event as { item_id: string }).item_id === itemId)).toBe(true);

    // The SDK's stream helper checks the events' indexes and items as it accumulates them.
    const final = await client.responses.stream({ model: 'persona/sage', input: 'Again' }).finalResponse();
    expect(final.output_text).toBe('Mars is up.');
    expect(final.status).toBe('completed');
  });

  it('chains three turns with previous_response_id: the persona answers from the stored conversation', async () => {
    upstream.script({ tokens: ['First ', 'answer.'] });
    const first = await client.responses.create({ model: 'persona/nova', input: 'My name is Ada.' });
    upstream.script({ tokens: ['Second ', 'answer.'] });
    const second = await client.responses.create({ model: 'persona/nova', input: 'I like comets.', previous_response_id: first.id });
    upstream.script({ tokens: ['You ', 'are ', 'Ada.'] });
    const third = await client.responses.create({
      model: 'persona/nova',
      input: 'Who am I?',
      previous_response_id: second.id,
      instructions: 'Answer in one line.',
    });

    expect(third.output_text).toBe('You are Ada.');
    expect(third.previous_response_id).toBe(second.id);
    expect(third.instructions).toBe('Answer in one line.');
    const sent = upstreamChat(upstream.requests.at(-1)).messages;
    // The persona's prompt comes first, then the request's instructions, never in its place.
    expect(sent[0]!.role).toBe('system');
    expect(sent[0]!.content).toMatch(/^You are Nova[\s\S]*\n\nAnswer in one line\.$/);
    expect(sent.slice(-5).map(({ role, content }) => [role, content])).toEqual([
      ['user', 'My name is Ada.'],
      ['assistant', 'First answer.'],
      ['user', 'I like comets.'],
      ['assistant', 'Second answer.'],
      ['user', 'Who am I?'],
    ]);
    // Instructions hold for their own turn only.
    expect(upstreamChat(upstream.requests.at(-2)).messages[0]!.content).not.toContain('Answer in one line.');

    const [conversation] = await conversationsOf(user);
    const stored = await messagesOf(user, conversation!.id);
    expect(stored.slice(1).map(({ role, content }) => [role, content])).toEqual([
      ['user', 'My name is Ada.'],
      ['assistant', 'First answer.'],
      ['user', 'I like comets.'],
      ['assistant', 'Second answer.'],
      ['user', 'Who am I?'],
      ['assistant', 'You are Ada.'],
    ]);
    expect(stored[0]!.role).toBe('assistant'); // the persona's greeting opens every conversation

    // A chain goes on from its latest response only: one conversation is one line of turns.
    await expect(client.responses.create({ model: 'persona/nova', input: 'Fork?', previous_response_id: first.id })).rejects.toMatchObject({
      status: 400,
      param: 'previous_response_id',
    });
    await expect(client.responses.create({ model: 'persona/sage', input: 'Other persona', previous_response_id: third.id })).rejects.toMatchObject({
      status: 400,
      code: 'model_mismatch',
    });
  });

  it('retrieves, lists the input of, and deletes a stored response; its turn stays in the conversation', async () => {
    upstream.script({ tokens: ['Keep ', 'it'], finishReason: 'length' });
    const created = await client.responses.create({ model: 'persona/nova', input: 'Keep this', max_output_tokens: 2 });
    expect(created.status).toBe('incomplete');
    expect(created.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(upstreamChat(upstream.requests.at(-1)).max_completion_tokens ?? upstreamChat(upstream.requests.at(-1)).max_tokens).toBe(2);

    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved).toMatchObject({ id: created.id, status: created.status, output_text: created.output_text, max_output_tokens: 2 });
    expect(retrieved.usage).toEqual(created.usage);

    const inputs = await client.responses.inputItems.list(created.id);
    expect(inputs.data).toEqual([expect.objectContaining({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Keep this' }] })]);

    expect(await client.responses.delete(created.id)).toEqual({ id: created.id, object: 'response', deleted: true });
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(client.responses.delete(created.id)).rejects.toMatchObject({ status: 404 });
    const [conversation] = await conversationsOf(user);
    expect((await messagesOf(user, conversation!.id)).map(({ content }) => content)).toContain('Keep this');
  });

  it("answers another user's response ids as not found, in OpenAI's format, and changes nothing", async () => {
    const mine = await client.responses.create({ model: 'persona/nova', input: 'Private' });
    const mallory = await newAccount(sut);
    const theirs = await clientOf(mallory);
    const notFound = { status: 404, code: 'response_not_found', type: 'not_found_error', error: expect.objectContaining({ message: `Response with id '${mine.id}' not found.` }) };

    await expect(theirs.responses.retrieve(mine.id)).rejects.toMatchObject(notFound);
    await expect(theirs.responses.delete(mine.id)).rejects.toMatchObject(notFound);
    await expect(theirs.responses.inputItems.list(mine.id)).rejects.toMatchObject(notFound);
    await expect(theirs.responses.create({ model: 'persona/nova', input: 'Hijack', previous_response_id: mine.id })).rejects.toMatchObject(notFound);
    // Nor by referring to its output item, as the Vercel AI SDK does.
    await expect(
      theirs.responses.create({ model: 'persona/nova', input: [{ role: 'user', content: 'a' }, { type: 'item_reference', id: mine.output[0]!.id! }, { role: 'user', content: 'b' }] }),
    ).rejects.toMatchObject({ status: 404, code: 'response_not_found' });

    expect(await conversationsOf(mallory)).toEqual([]);
    expect(await count('SELECT count(*) AS n FROM usage_events WHERE user_id = $1', [mallory.id])).toBe(0);
    expect((await client.responses.retrieve(mine.id)).output_text).toBe('Mars is up.');
  });

  it('continues a stored chain from item references, as the Vercel AI SDK sends its history', async () => {
    const first = await client.responses.create({ model: 'persona/chef-marco', input: 'Pasta tonight?' });
    upstream.script({ tokens: ['Carbonara.'] });
    const second = await client.responses.create({
      model: 'persona/chef-marco',
      input: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Pasta tonight?' }] },
        { type: 'item_reference', id: first.output[0]!.id! },
        { role: 'user', content: [{ type: 'input_text', text: 'Which one?' }] },
      ],
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.instructions).toBe('Be brief.');
    const sent = upstreamChat(upstream.requests.at(-1)).messages;
    expect(sent.slice(-3).map(({ content }) => content)).toEqual(['Pasta tonight?', 'Mars is up.', 'Which one?']);
  });

  it('keeps nothing but the usage with store: false, and runs the client\'s history', async () => {
    const messages = await count('SELECT count(*) AS n FROM messages', []);
    const response = await client.responses.create({
      model: 'persona/nova',
      store: false,
      input: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi there' },
        { role: 'user', content: 'Remember?' },
      ],
    });
    expect(response).toMatchObject({ store: false, status: 'completed', output_text: 'Mars is up.' });
    expect(upstreamChat(upstream.requests.at(-1)).messages.slice(-3).map(({ content }) => content)).toEqual(['Hello', 'Hi there', 'Remember?']);
    expect(await count('SELECT count(*) AS n FROM messages', [])).toBe(messages);
    await expect(client.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });

    // History in `input` with a stored response would be ignored: it is refused instead.
    await expect(
      client.responses.create({ model: 'persona/nova', input: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }] }),
    ).rejects.toMatchObject({ status: 400, param: 'input' });
  });

  it('refuses parameters a persona cannot honour, before anything is stored', async () => {
    const conversations = (await conversationsOf(user)).length;
    const refused = [
      { tools: [{ type: 'web_search' }] },
      { background: true },
      { reasoning: { effort: 'high' } },
      { text: { format: { type: 'json_schema', name: 'x', schema: {} } } },
    ];
    for (const extra of refused) {
      await expect(client.responses.create({ model: 'persona/nova', input: 'hi', ...extra } as OpenAI.Responses.ResponseCreateParamsNonStreaming)).rejects.toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        param: Object.keys(extra)[0],
      });
    }
    expect((await conversationsOf(user)).length).toBe(conversations);
    expect(upstream.requests).toEqual([]);
  });

  it('gives a retry with the same Idempotency-Key the first response, generated once', async () => {
    const ask = () => client.responses.create({ model: 'persona/nova', input: 'Once' }, { headers: { 'Idempotency-Key': 'responses-once-1' } });
    const first = await ask();
    const retried = await ask();
    expect(retried.id).toBe(first.id);
    expect(retried.output_text).toBe(first.output_text);
    expect(upstream.requests).toHaveLength(1);
    expect(await count(`SELECT count(*) AS n FROM messages WHERE content = 'Once'`, [])).toBe(1);
  });

  it('answers concurrent retries with one Idempotency-Key with one response, generated and billed once', async () => {
    const racer = await newAccount(sut);
    const racerClient = await clientOf(racer);
    upstream.script({ tokens: ['Only ', 'once.'], tokenDelayMs: 20 });
    const attempts = await Promise.all(
      Array.from({ length: 5 }, () => racerClient.responses.create({ model: 'persona/nova', input: 'Race' }, { headers: { 'Idempotency-Key': 'race-1' } })),
    );
    expect(new Set(attempts.map((attempt) => attempt.id)).size).toBe(1);
    expect(attempts.every((attempt) => attempt.output_text === 'Only once.')).toBe(true);
    expect(upstream.requests).toHaveLength(1);
    expect(await conversationsOf(racer)).toHaveLength(1);
    expect(await count('SELECT count(*) AS n FROM usage_events WHERE user_id = $1', [racer.id])).toBe(1);

    // The key names that request: another one with it is refused, not answered with the first.
    await expect(racerClient.responses.create({ model: 'persona/sage', input: 'Something else' }, { headers: { 'Idempotency-Key': 'race-1' } })).rejects.toMatchObject({
      status: 409,
      code: 'idempotency_conflict',
    });
    // A stateless response has nothing to replay.
    await expect(racerClient.responses.create({ model: 'persona/nova', input: 'x', store: false }, { headers: { 'Idempotency-Key': 'race-2' } })).rejects.toMatchObject({
      status: 400,
      param: 'Idempotency-Key',
    });
  });

  it('lets one of concurrent continuations of a response through: a chain is one line of turns', async () => {
    const start = await client.responses.create({ model: 'persona/NOVA', input: 'Start a line' });
    expect(start.model).toBe('persona/nova');
    upstream.reset({ tokens: ['Next.'], finishReason: 'stop', firstTokenDelayMs: 0, tokenDelayMs: 0 });
    const attempts = await Promise.allSettled(
      Array.from({ length: 4 }, (_, index) => client.responses.create({ model: 'persona/nova', input: `Branch ${index}`, previous_response_id: start.id })),
    );
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
    for (const refused of attempts.filter((attempt) => attempt.status === 'rejected')) {
      expect(refused.reason).toMatchObject({ status: 400, param: 'previous_response_id' });
    }
    expect(upstream.requests).toHaveLength(1);
    const [conversation] = await conversationsOf(user);
    expect((await messagesOf(user, conversation!.id)).slice(1).map(({ role }) => role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('answers a stored response that failed as failed, with its id, so that the chain can go on from it', async () => {
    upstream.failNext(1, 500);
    const failed = await client.responses.create({ model: 'persona/nova', input: 'Will this fail?' });
    expect(failed).toMatchObject({ status: 'failed', error: { code: expect.any(String), message: expect.any(String) }, store: true });
    expect((await client.responses.retrieve(failed.id)).status).toBe('failed');

    upstream.script({ tokens: ['Half ', 'of ', 'it'], destroyAfter: 1 });
    const raw = await fetch(`${base}/openai/v1/responses`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'persona/nova', input: 'And now?', previous_response_id: failed.id, stream: true }),
    });
    const events = (await raw.text()).trim().split('\n\n').map((block) => JSON.parse(block.split('\n')[1]!.slice('data: '.length)) as { type: string; response?: OpenAI.Responses.Response });
    expect(events.slice(-2).map((event) => event.type)).toEqual(['error', 'response.failed']);
    const cutOff = events.at(-1)!.response!;
    expect(cutOff).toMatchObject({ status: 'failed', output_text: 'Half ' });
    // The official SDK throws on the `error` event, after `response.created` gave it the id.
    upstream.script({ destroyAfter: 1 });
    const events2: OpenAI.Responses.ResponseStreamEvent[] = [];
    const thrown = await (async () => {
      for await (const event of await client.responses.create({ model: 'persona/nova', input: 'Again?', previous_response_id: cutOff.id, stream: true })) events2.push(event);
    })().catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    const secondId = (events2[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    expect((await client.responses.retrieve(secondId)).status).toBe('failed');

    upstream.reset({ tokens: ['Back.'], finishReason: 'stop', firstTokenDelayMs: 0, tokenDelayMs: 0 });
    const recovered = await client.responses.create({ model: 'persona/nova', input: 'Better?', previous_response_id: secondId });
    expect(recovered.output_text).toBe('Back.');

    // With nothing stored to show, a stateless failure is a 502 in OpenAI's format.
    upstream.failNext(1, 500);
    await expect(client.responses.create({ model: 'persona/nova', input: 'x', store: false })).rejects.toMatchObject({ status: 502, code: 'generation_failed' });
  });

  it('refuses to continue a response still being generated', async () => {
    upstream.script({ tokens: ['Slow ', 'one.'], tokenDelayMs: 300 });
    const stream = await client.responses.create({ model: 'persona/nova', input: 'Take it slow', stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const created = (await iterator.next()).value as OpenAI.Responses.ResponseCreatedEvent;
    // Read while it streams, it shows the text so far.
    while (((await iterator.next()).value as OpenAI.Responses.ResponseStreamEvent).type !== 'response.output_text.delta');
    expect(await client.responses.retrieve(created.response.id)).toMatchObject({ status: 'in_progress', output_text: 'Slow ' });
    await expect(client.responses.create({ model: 'persona/nova', input: 'Too soon', previous_response_id: created.response.id })).rejects.toMatchObject({
      status: 400,
      param: 'previous_response_id',
    });
    while (!(await iterator.next()).done);
  });

  it('pages input items as OpenAI does', async () => {
    const response = await client.responses.create({ model: 'persona/nova', input: 'Page me' });
    const [item] = (await client.responses.inputItems.list(response.id, { order: 'asc', limit: 1 })).data;
    expect(item).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Page me' }] });
    const raw = await fetch(`${base}/openai/v1/responses/${response.id}/input_items?after=${item!.id}`, { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(await raw.json()).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    const unknown = await fetch(`${base}/openai/v1/responses/${response.id}/input_items?after=msg_unknown`, { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(((await unknown.json()) as { data: unknown[] }).data).toEqual([]);
    const bad = await fetch(`${base}/openai/v1/responses/${response.id}/input_items?limit=500`, { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({ type: 'invalid_request_error', param: 'limit' });
  });

  it('answers a retry whose first attempt died before recording its reply, from the stored turn', async () => {
    const first = await client.responses.create({ model: 'persona/nova', input: 'Survive' }, { headers: { 'Idempotency-Key': 'died-1' } });
    // As a process that died between its send and recording the reply leaves it.
    await sut.app.get(DataSource).query(`UPDATE openai_responses SET reply_message_id = NULL, created_at = now() - interval '5 minutes' WHERE id = $1`, [first.id]);
    const retried = await client.responses.create({ model: 'persona/nova', input: 'Survive' }, { headers: { 'Idempotency-Key': 'died-1' } });
    expect(retried).toMatchObject({ id: first.id, output_text: first.output_text });
    expect(upstream.requests).toHaveLength(1);

    // A key whose response was deleted starts a new turn, not the old one again.
    await client.responses.delete(first.id);
    upstream.script({ tokens: ['Fresh.'] });
    const again = await client.responses.create({ model: 'persona/nova', input: 'Survive again' }, { headers: { 'Idempotency-Key': 'died-1' } });
    expect(again.output_text).toBe('Fresh.');
    expect((await client.responses.inputItems.list(again.id)).data[0]).toMatchObject({ content: [{ type: 'input_text', text: 'Survive again' }] });
  });

  it('finishes and stores a response whose streaming client went away', async () => {
    upstream.script({ tokens: ['Slow ', 'but ', 'sure.'], tokenDelayMs: 100 });
    const stream = await client.responses.create({ model: 'persona/nova', input: 'Take your time', stream: true });
    let id = '';
    for await (const event of stream) {
      if (event.type === 'response.created') id = event.response.id;
      if (event.type === 'response.output_text.delta') break; // leaves the stream: the connection closes
    }
    await until('the reply is stored whole', async () => (await client.responses.retrieve(id)).status === 'completed');
    expect((await client.responses.retrieve(id)).output_text).toBe('Slow but sure.');
  });

  it("refuses a spent quota in OpenAI's format, leaving no conversation behind", async () => {
    const spender = await newAccount(sut);
    await sut.http().patch(`/api/v1/admin/users/${spender.id}/quota`).set(admin.auth).send({ limits: { chat: { messagesPerDay: 1 } } }).expect(200);
    const spenderClient = await clientOf(spender);
    await spenderClient.responses.create({ model: 'persona/nova', input: 'The one' });

    const raw = await fetch(`${base}/openai/v1/responses`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${spenderClient.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'persona/nova', input: 'One more' }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('x-should-retry')).toBe('false');
    expect(await raw.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'insufficient_quota' } });
    await expect(spenderClient.responses.create({ model: 'persona/nova', input: 'Streamed', stream: true })).rejects.toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect(await conversationsOf(spender)).toHaveLength(1);
    expect(await count('SELECT count(*) AS n FROM openai_responses WHERE user_id = $1', [spender.id])).toBe(1);
    // (The provider may have been asked already: a turn starts generating while its quota is checked, and is dropped unbilled.)
    expect(await count('SELECT count(*) AS n FROM usage_events WHERE user_id = $1', [spender.id])).toBe(1);
  });

  it("serves admins' raw provider models statelessly, without the persona's prompt", async () => {
    const adminClient = await clientOf(admin);
    const response = await adminClient.responses.create({ model: 'fake/gpt-fake', input: 'Raw', instructions: 'Plain.' });
    expect(response).toMatchObject({ store: false, model: 'fake/gpt-fake', output_text: 'Mars is up.' });
    expect(upstreamChat(upstream.requests.at(-1)).messages).toEqual([
      { role: 'system', content: 'Plain.' },
      { role: 'user', content: 'Raw' },
    ]);
    await expect(adminClient.responses.create({ model: 'fake/gpt-fake', input: 'Raw', store: true })).rejects.toMatchObject({ status: 400, param: 'store' });
    await expect(client.responses.create({ model: 'fake/gpt-fake', input: 'Raw', store: false })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  describe("through the Vercel AI SDK's default OpenAI provider", () => {
    const provider = () => createOpenAI({ baseURL: `${base}/openai/v1`, apiKey });

    it('generates text with its usage', async () => {
      const result = await generateText({ model: provider()('persona/nova'), system: 'Be brief.', prompt: 'Is Mars visible?' });
      expect(result.text).toBe('Mars is up.');
      expect(result.usage).toMatchObject({ inputTokens: 12, outputTokens: 4, totalTokens: 16 });
      expect(result.finishReason).toBe('stop');
      expect(upstreamChat(upstream.requests.at(-1)).messages[0]!.content).toMatch(/^You are Nova[\s\S]*\n\nBe brief\.$/);

      upstream.failNext(1, 500);
      await expect(generateText({ model: provider()('persona/nova'), prompt: 'Fail?' })).rejects.toThrow('The reply could not be generated.');
    });

    it('streams text with its usage, and goes on from its own history', async () => {
      const first = streamText({ model: provider()('persona/sage'), prompt: 'Help me focus' });
      let streamed = '';
      for await (const delta of first.textStream) streamed += delta;
      expect(streamed).toBe('Mars is up.');
      expect(await first.usage).toMatchObject({ inputTokens: 12, outputTokens: 4 });

      // The SDK sends earlier assistant turns as references to the stored items: the stored conversation goes on.
      upstream.script({ tokens: ['Breathe.'] });
      const second = await generateText({
        model: provider()('persona/sage'),
        messages: [{ role: 'user', content: 'Help me focus' }, ...(await first.response).messages, { role: 'user', content: 'And then?' }],
      });
      expect(second.text).toBe('Breathe.');
      const [conversation] = await conversationsOf(user);
      expect((await messagesOf(user, conversation!.id)).slice(1).map(({ content }) => content)).toEqual(['Help me focus', 'Mars is up.', 'And then?', 'Breathe.']);
    });
  });
});
