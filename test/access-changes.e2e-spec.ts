import { createHmac, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { TestApp } from './support/test-app.js';

const ADMIN = { email: 'ops@example.com', password: 'admin password 123' };
const JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
const PLANS = JSON.stringify({
  free: { chat: { messagesPerDay: 100, tokensPerMonth: null, costMicrosPerMonth: null }, requestsPerMinute: 1000, premiumPersonas: false },
  premium: { chat: { messagesPerDay: 100, tokensPerMonth: null, costMicrosPerMonth: null }, requestsPerMinute: 1000, premiumPersonas: true },
});

/** An HS256 JWT signed with the server's own secret, with whatever claims a forger chooses. */
function forgedToken(claims: Record<string, unknown>): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iss: 'chorus', iat: Math.floor(Date.now() / 1000), ...claims })}`;
  return `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
}

describe('role, plan and ban changes take effect on the next request', () => {
  let sut: TestApp;
  let admin: TestAccount;
  let users: DataSource;

  const roleOf = async (userId: string) => (await users.query('SELECT role FROM users WHERE id = $1', [userId]))[0]?.role;

  beforeAll(async () => {
    sut = await TestApp.start({ env: { PLANS, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    users = sut.app.get(DataSource);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('a demoted admin loses admin power with the token they already hold, and cannot promote themselves back', async () => {
    const eve = await newAccount(sut);
    await sut.http().patch(`/api/v1/admin/users/${eve.id}`).set(admin.auth).send({ role: 'admin' }).expect(200);
    const eveAsAdmin = await signIn(sut, eve.email, eve.password);
    await sut.http().get('/api/v1/admin/users').set(eveAsAdmin.auth).expect(200);

    await sut.http().patch(`/api/v1/admin/users/${eve.id}`).set(admin.auth).send({ role: 'user' }).expect(200);

    const listing = await sut.http().get('/api/v1/admin/users').set(eveAsAdmin.auth).expect(403);
    expect(listing.body.code).toBe('forbidden');
    const repromotion = await sut.http().patch(`/api/v1/admin/users/${eve.id}`).set(eveAsAdmin.auth).send({ role: 'admin' }).expect(403);
    expect(repromotion.body.code).toBe('forbidden');
    expect(await roleOf(eve.id)).toBe('user');
    // The token still works for what a user may do, with the role it has now.
    expect((await sut.http().get('/api/v1/me').set(eveAsAdmin.auth).expect(200)).body.role).toBe('user');
  });

  it('a promotion applies to the token already held too', async () => {
    const bob = await newAccount(sut);
    await sut.http().get('/api/v1/admin/users').set(bob.auth).expect(403);
    await sut.http().patch(`/api/v1/admin/users/${bob.id}`).set(admin.auth).send({ role: 'admin' }).expect(200);
    await sut.http().get('/api/v1/admin/users').set(bob.auth).expect(200);
  });

  it('a downgraded user cannot open a premium-only conversation with a token from before the downgrade', async () => {
    const vip = await sut.http().post('/api/v1/influencers').set(admin.auth)
      .send({ handle: `vip-${randomUUID().slice(0, 6)}`, displayName: 'VIP', category: 'test', systemPrompt: 'You are VIP.', greeting: 'Hi', premiumOnly: true })
      .expect(201);
    const carol = await newAccount(sut);
    await sut.http().patch(`/api/v1/admin/users/${carol.id}`).set(admin.auth).send({ plan: 'premium' }).expect(200);
    const premiumToken = await signIn(sut, carol.email, carol.password);
    await sut.http().post('/api/v1/conversations').set(premiumToken.auth).send({ influencerId: vip.body.id }).expect(201);

    await sut.http().patch(`/api/v1/admin/users/${carol.id}`).set(admin.auth).send({ plan: 'free' }).expect(200);

    const before = await users.query('SELECT count(*)::int AS n FROM conversations WHERE user_id = $1', [carol.id]);
    const refused = await sut.http().post('/api/v1/conversations').set(premiumToken.auth).send({ influencerId: vip.body.id }).expect(403);
    expect(refused.body.code).toBe('plan_required');
    expect(await users.query('SELECT count(*)::int AS n FROM conversations WHERE user_id = $1', [carol.id])).toEqual(before);
    // The OpenAI-compatible surface reads the same plan: the persona is not offered any more.
    const key = await sut.http().post('/api/v1/me/api-keys').set(premiumToken.auth).send({ name: 'sdk' }).expect(201);
    const models = await sut.http().get('/openai/v1/models').set({ Authorization: `Bearer ${key.body.secret}` }).expect(200);
    expect(models.body.data.map((model: { id: string }) => model.id)).not.toContain(`persona/${vip.body.handle}`);
  });

  it('a ban stops every token at once, and after the ban is lifted the user can sign in again', async () => {
    const dave = await newAccount(sut);
    await sut.http().patch(`/api/v1/admin/users/${dave.id}`).set(admin.auth).send({ status: 'banned' }).expect(200);
    expect((await sut.http().get('/api/v1/me').set(dave.auth).expect(401)).body.code).toBe('token_revoked');
    expect((await sut.http().post('/api/v1/auth/login').send({ email: dave.email, password: dave.password }).expect(403)).body.code).toBe('account_banned');

    await sut.http().patch(`/api/v1/admin/users/${dave.id}`).set(admin.auth).send({ status: 'active' }).expect(200);
    const again = await signIn(sut, dave.email, dave.password);
    await sut.http().get('/api/v1/me').set(again.auth).expect(200);
    // The sessions the ban ended stay ended.
    await sut.http().get('/api/v1/me').set(dave.auth).expect(401);
  });

  it('a role change reaches another process: reloaded from the database in memory, shared through Redis', async () => {
    const frank = await newAccount(sut);
    await sut.http().patch(`/api/v1/admin/users/${frank.id}`).set(admin.auth).send({ role: 'admin' }).expect(200);
    const frankAsAdmin = await signIn(sut, frank.email, frank.password);
    await sut.http().patch(`/api/v1/admin/users/${frank.id}`).set(admin.auth).send({ role: 'user' }).expect(200);
    const restarted = await TestApp.start({
      database: sut.database,
      env: { PLANS, SEED_EXAMPLE_PERSONAS: 'false', ...(process.env['REDIS_URL'] ? { REDIS_KEY_PREFIX: sut.config.redis.keyPrefix } : {}) },
    });
    try {
      await restarted.http().get('/api/v1/admin/users').set(frankAsAdmin.auth).expect(403);
    } finally {
      await restarted.close();
    }
  });
});

describe('access tokens the server did not issue as they are', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await TestApp.start();
  });

  afterAll(async () => {
    await sut.close();
  });

  it('refuses a token without `exp`, even signed with the real secret', async () => {
    const account = await newAccount(sut);
    const token = forgedToken({ sub: account.id, role: 'user', plan: 'free', sid: randomUUID() });
    const response = await sut.http().get('/api/v1/me').set({ Authorization: `Bearer ${token}` }).expect(401);
    expect(response.body.code).toBe('invalid_token');
  });

  it('refuses a token whose ids are not ids, before any query sees them', async () => {
    for (const sub of ['abc', '', 'a\u0000b']) {
      const token = forgedToken({ sub, role: 'user', plan: 'free', sid: randomUUID(), exp: Math.floor(Date.now() / 1000) + 600 });
      const response = await sut.http().get('/api/v1/me').set({ Authorization: `Bearer ${token}` }).expect(401);
      expect(response.body.code).toBe('invalid_token');
    }
  });

  it('answers 401, not 404, for a token whose user no longer exists', async () => {
    const token = forgedToken({ sub: randomUUID(), role: 'user', plan: 'free', sid: randomUUID(), exp: Math.floor(Date.now() / 1000) + 600 });
    const response = await sut.http().get('/api/v1/me').set({ Authorization: `Bearer ${token}` }).expect(401);
    expect(response.body.code).toBe('invalid_token');
  });
});

describe('tokens and keys are never cached', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await TestApp.start();
  });

  afterAll(async () => {
    await sut.close();
  });

  it('sends Cache-Control: no-store with tokens and keys', async () => {
    const email = `cache-${randomUUID().slice(0, 8)}@example.com`;
    const registered = await sut.http().post('/api/v1/auth/register').send({ email, password: 'correct horse battery' }).expect(201);
    expect(registered.headers['cache-control']).toBe('no-store');
    const login = await sut.http().post('/api/v1/auth/login').send({ email, password: 'correct horse battery' }).expect(200);
    expect(login.headers['cache-control']).toBe('no-store');
    const refreshed = await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: login.body.tokens.refreshToken }).expect(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
    const key = await sut.http().post('/api/v1/me/api-keys').set({ Authorization: `Bearer ${login.body.tokens.accessToken}` }).send({ name: 'ci' }).expect(201);
    expect(key.headers['cache-control']).toBe('no-store');
  });
});

describe('API keys across a password change and logout-all', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await TestApp.start();
  });

  afterAll(async () => {
    await sut.close();
  });

  async function accountWithKey(): Promise<{ account: TestAccount; key: { Authorization: string } }> {
    const account = await newAccount(sut);
    const created = await sut.http().post('/api/v1/me/api-keys').set(account.auth).send({ name: 'server' }).expect(201);
    return { account, key: { Authorization: `Bearer ${created.body.secret}` } };
  }

  it('keeps API keys by default, and deletes them with revokeApiKeys', async () => {
    const { account, key } = await accountWithKey();
    await sut.http().post('/api/v1/me/password').set(account.auth)
      .send({ currentPassword: account.password, newPassword: 'a new password 1' }).expect(204);
    await sut.http().get('/api/v1/me').set(key).expect(200);

    await sut.http().post('/api/v1/me/password').set(account.auth)
      .send({ currentPassword: 'a new password 1', newPassword: 'a new password 2', revokeApiKeys: true }).expect(204);
    expect((await sut.http().get('/api/v1/me').set(key).expect(401)).body.code).toBe('invalid_api_key');
  });

  it('logout-all keeps API keys without a body, and deletes them with {"revokeApiKeys": true}', async () => {
    const first = await accountWithKey();
    await sut.http().post('/api/v1/auth/logout-all').set(first.account.auth).expect(204);
    await sut.http().get('/api/v1/me').set(first.key).expect(200);

    const second = await accountWithKey();
    await sut.http().post('/api/v1/auth/logout-all').set(second.account.auth).send({ revokeApiKeys: true }).expect(204);
    await sut.http().get('/api/v1/me').set(second.key).expect(401);
    await sut.http().get('/api/v1/me').set(second.account.auth).expect(401);
  });
});
