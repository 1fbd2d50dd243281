import { DataSource } from 'typeorm';
import { bearer, newAccount, signIn, type TestAccount } from './support/accounts.js';
import { FakeOpenAIServer, fakeOpenAIEnv, within } from './support/fake-openai.js';
import { TestApp } from './support/test-app.js';
import { until } from './support/waiting.js';

describe('my account', () => {
  let sut: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    sut = await TestApp.start();
    dataSource = sut.app.get(DataSource);
  });

  afterAll(async () => {
    await sut.close();
  });

  describe('profile', () => {
    it('updates the display name and replaces the preferences', async () => {
      const account = await newAccount(sut);
      await sut.http().patch('/api/v1/me').set(account.auth).send({ preferences: { theme: 'dark', volume: 3 } }).expect(200);
      const response = await sut.http().patch('/api/v1/me').set(account.auth).send({ displayName: 'Ada L.', preferences: { theme: 'light' } }).expect(200);
      expect(response.body).toMatchObject({ displayName: 'Ada L.', preferences: { theme: 'light' } });
      const me = await sut.http().get('/api/v1/me').set(account.auth).expect(200);
      expect(me.body.preferences).toEqual({ theme: 'light' });
    });

    it.each([
      ['an email change', { email: 'new@example.com' }, 'email'],
      ['a role change', { role: 'admin' }, 'role'],
      ['preferences over the size limit', { preferences: { blob: 'x'.repeat(5000) } }, 'preferences'],
      ['an empty display name', { displayName: '' }, 'displayName'],
    ])('refuses %s and changes nothing', async (_case, body, field) => {
      const account = await newAccount(sut);
      const before = await sut.http().get('/api/v1/me').set(account.auth).expect(200);
      const response = await sut.http().patch('/api/v1/me').set(account.auth).send(body).expect(400);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
      const after = await sut.http().get('/api/v1/me').set(account.auth).expect(200);
      expect(after.body).toEqual(before.body);
    });
  });

  describe('sessions', () => {
    it('lists my sessions with device and address, marking the current one', async () => {
      const account = await newAccount(sut);
      await sut.http().post('/api/v1/auth/login').set('User-Agent', 'ChorusPhone/1.0').send({ email: account.email, password: account.password }).expect(200);
      const response = await sut.http().get('/api/v1/me/sessions').set(account.auth).expect(200);
      expect(response.body).toHaveLength(2);
      expect(response.body.filter((session: { current: boolean }) => session.current)).toHaveLength(1);
      expect(response.body.map((session: { userAgent: string }) => session.userAgent)).toContain('ChorusPhone/1.0');
      expect(response.body[0]).toMatchObject({ ip: expect.any(String), createdAt: expect.any(String), lastUsedAt: expect.any(String) });
    });

    it('ends one of my sessions: its tokens stop working at once', async () => {
      const account = await newAccount(sut);
      const phone = await signIn(sut, account.email, account.password);
      const sessions = await sut.http().get('/api/v1/me/sessions').set(account.auth).expect(200);
      const phoneSession = sessions.body.find((session: { current: boolean }) => !session.current);

      await sut.http().delete(`/api/v1/me/sessions/${phoneSession.id}`).set(account.auth).expect(204);
      await sut.http().get('/api/v1/me').set(phone.auth).expect(401);
      await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: phone.refreshToken }).expect(401);
      await sut.http().get('/api/v1/me').set(account.auth).expect(200);
    });
  });

  describe('isolation between users', () => {
    let alice: TestAccount;
    let bob: TestAccount;
    let bobSessionId: string;
    let bobKeyId: string;

    beforeAll(async () => {
      alice = await newAccount(sut);
      bob = await newAccount(sut);
      bobSessionId = (await sut.http().get('/api/v1/me/sessions').set(bob.auth).expect(200)).body[0].id;
      bobKeyId = (await sut.http().post('/api/v1/me/api-keys').set(bob.auth).send({ name: 'bob key' }).expect(201)).body.id;
    });

    it("cannot end another user's session: 404, and it stays open", async () => {
      const response = await sut.http().delete(`/api/v1/me/sessions/${bobSessionId}`).set(alice.auth).expect(404);
      expect(response.body.code).toBe('not_found');
      await sut.http().get('/api/v1/me').set(bob.auth).expect(200);
    });

    it("cannot delete another user's API key: 404, and it stays", async () => {
      await sut.http().delete(`/api/v1/me/api-keys/${bobKeyId}`).set(alice.auth).expect(404);
      const keys = await sut.http().get('/api/v1/me/api-keys').set(bob.auth).expect(200);
      expect(keys.body.map((key: { id: string }) => key.id)).toContain(bobKeyId);
    });

    it("sees neither the other user's sessions nor keys", async () => {
      const sessions = await sut.http().get('/api/v1/me/sessions').set(alice.auth).expect(200);
      expect(sessions.body.map((session: { id: string }) => session.id)).not.toContain(bobSessionId);
      const keys = await sut.http().get('/api/v1/me/api-keys').set(alice.auth).expect(200);
      expect(keys.body).toEqual([]);
    });

    it('answers a malformed id like an unknown one', async () => {
      await sut.http().delete('/api/v1/me/sessions/not-a-uuid').set(alice.auth).expect(404);
      await sut.http().delete('/api/v1/me/api-keys/00000000-0000-4000-8000-000000000000').set(alice.auth).expect(404);
    });
  });

  describe('API keys', () => {
    it('shows the key once, authenticates with it, lists it by prefix, and stops it when deleted', async () => {
      const account = await newAccount(sut);
      const created = await sut.http().post('/api/v1/me/api-keys').set(account.auth).send({ name: 'server' }).expect(201);
      expect(created.body.secret).toMatch(/^chorus_sk_[A-Za-z0-9_-]{43}$/);
      expect(created.body.secret.startsWith(created.body.prefix)).toBe(true);

      const me = await sut.http().get('/api/v1/me').set(bearer(created.body.secret)).expect(200);
      expect(me.body.id).toBe(account.id);

      const listed = await sut.http().get('/api/v1/me/api-keys').set(account.auth).expect(200);
      expect(listed.body).toEqual([
        { id: created.body.id, name: 'server', prefix: created.body.prefix, createdAt: expect.any(String), lastUsedAt: expect.any(String), expiresAt: null },
      ]);
      expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
      const stored = await dataSource.query('SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
      expect(stored[0].key_hash).not.toContain(created.body.secret.slice(10));

      await sut.http().delete(`/api/v1/me/api-keys/${created.body.id}`).set(account.auth).expect(204);
      const refused = await sut.http().get('/api/v1/me').set(bearer(created.body.secret)).expect(401);
      expect(refused.body.code).toBe('invalid_api_key');
    });

    it('refuses an expired key, and an expiry in the past at creation', async () => {
      const account = await newAccount(sut);
      await sut.http().post('/api/v1/me/api-keys').set(account.auth).send({ name: 'old', expiresAt: '2020-01-01T00:00:00Z' }).expect(400);
      const created = await sut.http().post('/api/v1/me/api-keys').set(account.auth)
        .send({ name: 'soon', expiresAt: new Date(Date.now() + 60_000).toISOString() }).expect(201);
      await sut.http().get('/api/v1/me').set(bearer(created.body.secret)).expect(200);
      await dataSource.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [created.body.id]);
      await sut.http().get('/api/v1/me').set(bearer(created.body.secret)).expect(401);
    });

    it('rejects a made-up key', async () => {
      const response = await sut.http().get('/api/v1/me').set(bearer('chorus_sk_made-up-key')).expect(401);
      expect(response.body.code).toBe('invalid_api_key');
    });
  });

  describe('password change', () => {
    it('needs the current password, ends the other sessions, keeps this one', async () => {
      const account = await newAccount(sut);
      const other = await signIn(sut, account.email, account.password);

      const wrong = await sut.http().post('/api/v1/me/password').set(account.auth).send({ currentPassword: 'nope nope', newPassword: 'a brand new password' }).expect(403);
      expect(wrong.body.code).toBe('wrong_password');
      await sut.http().get('/api/v1/me').set(other.auth).expect(200);

      await sut.http().post('/api/v1/me/password').set(account.auth).send({ currentPassword: account.password, newPassword: 'a brand new password' }).expect(204);
      await sut.http().get('/api/v1/me').set(account.auth).expect(200);
      await sut.http().get('/api/v1/me').set(other.auth).expect(401);
      await sut.http().post('/api/v1/auth/login').send({ email: account.email, password: account.password }).expect(401);
      await sut.http().post('/api/v1/auth/login').send({ email: account.email, password: 'a brand new password' }).expect(200);
    });
  });

  describe('account deletion', () => {
    it('needs the password, then removes the user, sessions and keys; tokens and login stop working', async () => {
      const account = await newAccount(sut);
      const key = (await sut.http().post('/api/v1/me/api-keys').set(account.auth).send({ name: 'k' }).expect(201)).body.secret;

      await sut.http().delete('/api/v1/me').set(account.auth).send({ password: 'not it at all' }).expect(403);
      await sut.http().get('/api/v1/me').set(account.auth).expect(200);

      await sut.http().delete('/api/v1/me').set(account.auth).send({ password: account.password }).expect(204);
      const [left] = await dataSource.query(
        `SELECT (SELECT count(*) FROM users WHERE id = $1)::int AS users,
                (SELECT count(*) FROM sessions WHERE user_id = $1)::int AS sessions,
                (SELECT count(*) FROM api_keys WHERE user_id = $1)::int AS keys`,
        [account.id],
      );
      expect(left).toEqual({ users: 0, sessions: 0, keys: 0 });
      await sut.http().get('/api/v1/me').set(account.auth).expect(401);
      await sut.http().get('/api/v1/me').set(bearer(key)).expect(401);
      await sut.http().post('/api/v1/auth/login').send({ email: account.email, password: account.password }).expect(401);
    });
  });

  describe('account deletion while a reply is generated', () => {
    let upstream: FakeOpenAIServer;
    let answered: TestApp;

    beforeAll(async () => {
      upstream = await FakeOpenAIServer.start({ apiKey: 'sk-test' });
      answered = await TestApp.start({ env: fakeOpenAIEnv(upstream, { apiKey: 'sk-test' }) });
    });

    afterAll(async () => {
      await answered.close();
      await upstream.close();
    });

    it('stops the provider call, as deleting the conversation does', async () => {
      upstream.script({ tokens: Array.from({ length: 100 }, (_, index) => `word${index} `), firstTokenDelayMs: 0, tokenDelayMs: 100 });
      const account = await newAccount(answered);
      const nova = (await answered.http().get('/api/v1/influencers/nova').expect(200)).body.id;
      const conversation = (await answered.http().post('/api/v1/conversations').set(account.auth).send({ influencerId: nova }).expect(201)).body.id;
      // Answered once the reply ends: not awaited before the account is deleted.
      const sending = answered.http().post(`/api/v1/conversations/${conversation}/messages`).set(account.auth).send({ content: 'Talk for a while', clientMessageId: 'long-1' })
        .then(() => undefined, () => undefined);
      const [request] = await upstream.waitForRequests(1);
      await until('some of the reply is generated', () => request!.tokensSent >= 3);

      await answered.http().delete('/api/v1/me').set(account.auth).send({ password: account.password }).expect(204);
      // Found deleted by its next checkpoint (every second), long before its hundred tokens (ten seconds).
      expect(await within(request!.ended, 4000)).toBe('client_closed');
      expect(request!.tokensSent).toBeLessThan(60);
      await sending;
    });
  });
});
