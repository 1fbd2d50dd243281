import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { newAccount, type TestAccount } from './support/accounts.js';
import { TestApp } from './support/test-app.js';

const PROBLEM_JSON = /^application\/problem\+json/;
const NUL = '\u0000';

/** Input built to break things: each answer is a 4xx with a stable code, and nothing is written. */
describe('bad input never reaches a 500', () => {
  let sut: TestApp;
  let db: DataSource;
  let alice: TestAccount;
  let conversationId: string;
  let apiKey: { Authorization: string };

  const count = async (table: string) => (await db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;

  beforeAll(async () => {
    sut = await TestApp.start();
    db = sut.app.get(DataSource);
    alice = await newAccount(sut);
    const nova = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
    conversationId = (await sut.http().post('/api/v1/conversations').set(alice.auth).send({ influencerId: nova }).expect(201)).body.id;
    apiKey = { Authorization: `Bearer ${(await sut.http().post('/api/v1/me/api-keys').set(alice.auth).send({ name: 'sdk' }).expect(201)).body.secret}` };
  });

  afterAll(async () => {
    await sut.close();
  });

  describe('the NUL character is refused everywhere, by one rule', () => {
    it.each([
      ['message content', () => sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(alice.auth).send({ content: `hi${NUL}`, clientMessageId: randomUUID() })],
      ['a display name', () => sut.http().patch('/api/v1/me').set(alice.auth).send({ displayName: `Al${NUL}ice` })],
      ['a conversation title', () => sut.http().patch(`/api/v1/conversations/${conversationId}`).set(alice.auth).send({ title: `t${NUL}` })],
      ['a nested preference', () => sut.http().patch('/api/v1/me').set(alice.auth).send({ preferences: { deep: [{ note: `x${NUL}` }] } })],
      ['a query parameter', () => sut.http().get('/api/v1/influencers?search=a%00b')],
      ['a path parameter', () => sut.http().get('/api/v1/conversations/%00').set(alice.auth)],
    ])('in %s: 400 validation_failed', async (_where, attempt) => {
      const messagesBefore = await count('messages');
      const user = await db.query('SELECT display_name, preferences FROM users WHERE id = $1', [alice.id]);
      const response = await attempt().expect(400);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.detail).toContain('NUL');
      expect(await count('messages')).toBe(messagesBefore);
      expect(await db.query('SELECT display_name, preferences FROM users WHERE id = $1', [alice.id])).toEqual(user);
    });

    it('still accepts an escaped backslash followed by "u0000" as ordinary text', async () => {
      const response = await sut.http().patch('/api/v1/me').set(alice.auth).set('Content-Type', 'application/json')
        .send('{"displayName":"back\\\\u0000slash"}').expect(200);
      expect(response.body.displayName).toBe('back\\u0000slash');
    });
  });

  describe('a forged cursor with the right keys but values of the wrong kind is 400 invalid_cursor', () => {
    const forged = (position: Record<string, unknown>) => Buffer.from(JSON.stringify(position)).toString('base64url');
    it.each([
      ['the conversation list', () => sut.http().get(`/api/v1/conversations?cursor=${forged({ at: 'x', id: 'y' })}`).set(alice.auth)],
      ['history, before', () => sut.http().get(`/api/v1/conversations/${conversationId}/messages?before=${forged({ p: 'abc' })}`).set(alice.auth)],
      ['history, after', () => sut.http().get(`/api/v1/conversations/${conversationId}/messages?after=${forged({ p: 1.5 })}`).set(alice.auth)],
      ['the usage ledger', () => sut.http().get(`/api/v1/me/usage?cursor=${forged({ at: '2026-01-01', id: 'not-a-uuid' })}`).set(alice.auth)],
      ['the persona catalogue', () => sut.http().get(`/api/v1/influencers?cursor=${forged({ name: 'a', id: 7 })}`)],
    ])('on %s', async (_where, attempt) => {
      const response = await attempt();
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_cursor');
    });
  });

  it('refuses JSON nested deeper than 64 levels before parsing it', async () => {
    const before = await db.query('SELECT preferences FROM users WHERE id = $1', [alice.id]);
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const response = await sut.http().patch('/api/v1/me').set(alice.auth).set('Content-Type', 'application/json')
      .send(`{"preferences":${deep}}`).expect(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body.code).toBe('validation_failed');
    expect(response.body.detail).toContain('64');
    expect(await db.query('SELECT preferences FROM users WHERE id = $1', [alice.id])).toEqual(before);
    // Brackets inside strings are text, not nesting.
    await sut.http().patch('/api/v1/me').set(alice.auth).send({ displayName: '['.repeat(100) }).expect(200);
  });

  it('accepts only JSON bodies: a form post is 415 and changes nothing', async () => {
    const before = await db.query('SELECT title FROM conversations WHERE id = $1', [conversationId]);
    const response = await sut.http().patch(`/api/v1/conversations/${conversationId}`).set(alice.auth)
      .type('form').send('title=renamed').expect(415);
    expect(response.body.code).toBe('unsupported_media_type');
    expect(await db.query('SELECT title FROM conversations WHERE id = $1', [conversationId])).toEqual(before);
    await sut.http().post('/api/v1/auth/login').set('Content-Type', 'text/plain').send('{"email":"a@b.c","password":"x"}').expect(415);
  });

  it('answers unknown paths outside the API with a problem+json 404, not an HTML page', async () => {
    for (const path of ['/.env', '/wp-admin/setup.php', '/api/v2/me']) {
      const response = await sut.http().get(path).expect(404);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body.code).toBe('not_found');
    }
  });

  describe('the OpenAI-compatible surface answers in OpenAI\'s error format', () => {
    const completion = { model: 'persona/nova', messages: [{ role: 'user', content: 'hi' }] };

    it('for malformed JSON', async () => {
      const response = await sut.http().post('/openai/v1/chat/completions').set(apiKey).set('Content-Type', 'application/json').send('{bad').expect(400);
      expect(response.body).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', code: 'malformed_request', param: null } });
    });

    it('for an unknown path and a missing key', async () => {
      const unknown = await sut.http().get('/openai/v1/embeddings').set(apiKey).expect(404);
      expect(unknown.body.error).toMatchObject({ type: 'not_found_error', code: 'not_found' });
      const anonymous = await sut.http().post('/openai/v1/chat/completions').send(completion).expect(401);
      expect(anonymous.body.error.type).toBe('authentication_error');
    });

    it('for a conversation header that is not an id, storing nothing', async () => {
      const before = await count('messages');
      const response = await sut.http().post('/openai/v1/chat/completions').set(apiKey).set('X-Chorus-Conversation-Id', 'not-a-uuid').send(completion).expect(400);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request' });
      expect(await count('messages')).toBe(before);
    });

    it('for an Idempotency-Key longer than the stored client id', async () => {
      const response = await sut.http().post('/openai/v1/chat/completions').set(apiKey)
        .set('X-Chorus-Conversation-Id', conversationId).set('Idempotency-Key', 'k'.repeat(65)).send(completion).expect(400);
      expect(response.body.error.code).toBe('invalid_request');
    });

    it('for NUL in a message', async () => {
      const response = await sut.http().post('/openai/v1/chat/completions').set(apiKey)
        .send({ ...completion, messages: [{ role: 'user', content: `a${NUL}b` }] }).expect(400);
      expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'validation_failed' });
    });
  });
});
