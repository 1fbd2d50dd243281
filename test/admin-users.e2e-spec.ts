import { bearer, newAccount, signIn, type TestAccount } from './support/accounts.js';
import { TestApp } from './support/test-app.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 123' };

describe('admin: users', () => {
  let sut: TestApp;
  let admin: TestAccount;

  beforeAll(async () => {
    sut = await TestApp.start({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, } });
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('creates the first admin at start from ADMIN_EMAIL / ADMIN_PASSWORD, once', async () => {
    const me = await sut.http().get('/api/v1/me').set(admin.auth).expect(200);
    expect(me.body).toMatchObject({ email: ADMIN.email, role: 'admin' });
    const again = await TestApp.start({ database: sut.database, env: { ADMIN_EMAIL: 'second@example.com', ADMIN_PASSWORD: 'another password' } });
    await again.close();
    await sut.http().post('/api/v1/auth/login').send({ email: 'second@example.com', password: 'another password' }).expect(401);
  });

  it('refuses non-admins with 403 and anonymous callers with 401', async () => {
    const user = await newAccount(sut);
    const forbidden = await sut.http().get('/api/v1/admin/users').set(user.auth).expect(403);
    expect(forbidden.body.code).toBe('forbidden');
    await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(user.auth).send({ role: 'admin' }).expect(403);
    await sut.http().get('/api/v1/admin/users').expect(401);
  });

  it('lists users newest first, page by page, and searches by email', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await newAccount(sut, { email: `page-${i}@listing.test` })).id);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await sut.http().get('/api/v1/admin/users').query({ email: 'LISTING.test', limit: 2, ...(cursor ? { cursor } : {}) }).set(admin.auth).expect(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.items.map((user: { id: string }) => user.id));
      cursor = response.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());

    const bad = await sut.http().get('/api/v1/admin/users').query({ cursor: 'garbage' }).set(admin.auth).expect(400);
    expect(bad.body.code).toBe('invalid_cursor');
    await sut.http().get('/api/v1/admin/users').query({ limit: 1000 }).set(admin.auth).expect(400);
  });

  it('gets one user, and answers 404 for an unknown one', async () => {
    const user = await newAccount(sut);
    const response = await sut.http().get(`/api/v1/admin/users/${user.id}`).set(admin.auth).expect(200);
    expect(response.body).toMatchObject({ id: user.id, email: user.email, status: 'active' });
    await sut.http().get('/api/v1/admin/users/00000000-0000-4000-8000-000000000000').set(admin.auth).expect(404);
  });

  it('changes a plan, which reaches the access token at the next refresh', async () => {
    const user = await newAccount(sut);
    const response = await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(admin.auth).send({ plan: 'premium' }).expect(200);
    expect(response.body.plan).toBe('premium');
    const refreshed = await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
    const claims = JSON.parse(Buffer.from(refreshed.body.accessToken.split('.')[1], 'base64url').toString());
    expect(claims.plan).toBe('premium');
  });

  it('refuses an unknown plan and values outside the enums, changing nothing', async () => {
    const user = await newAccount(sut);
    const unknownPlan = await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(admin.auth).send({ plan: 'platinum' }).expect(400);
    expect(unknownPlan.body.code).toBe('unknown_plan');
    await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(admin.auth).send({ role: 'superuser' }).expect(400);
    await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(admin.auth).send({ status: 'deleted' }).expect(400);
    const after = await sut.http().get(`/api/v1/admin/users/${user.id}`).set(admin.auth).expect(200);
    expect(after.body).toMatchObject({ plan: 'free', role: 'user', status: 'active' });
  });

  it('bans at once: existing tokens, refresh tokens and API keys stop working, and sign-in is refused', async () => {
    const user = await newAccount(sut);
    const key = (await sut.http().post('/api/v1/me/api-keys').set(user.auth).send({ name: 'k' }).expect(201)).body.secret;
    await sut.http().get('/api/v1/me').set(user.auth).expect(200);

    await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(admin.auth).send({ status: 'banned' }).expect(200);

    expect((await sut.http().get('/api/v1/me').set(user.auth).expect(401)).body.code).toBe('token_revoked');
    await sut.http().get('/api/v1/me').set(bearer(key)).expect(401);
    await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    const login = await sut.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(403);
    expect(login.body.code).toBe('account_banned');

    await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(admin.auth).send({ status: 'active' }).expect(200);
    await signIn(sut, user.email, user.password);
  });

  it('keeps the last active admin: no self-demotion, ban or deletion', async () => {
    const demote = await sut.http().patch(`/api/v1/admin/users/${admin.id}`).set(admin.auth).send({ role: 'user' }).expect(409);
    expect(demote.body.code).toBe('last_admin');
    await sut.http().patch(`/api/v1/admin/users/${admin.id}`).set(admin.auth).send({ status: 'banned' }).expect(409);
    await sut.http().delete('/api/v1/me').set(admin.auth).send({ password: ADMIN.password }).expect(409);

    const deputy = await newAccount(sut);
    await sut.http().patch(`/api/v1/admin/users/${deputy.id}`).set(admin.auth).send({ role: 'admin' }).expect(200);
    const demoted = await sut.http().patch(`/api/v1/admin/users/${admin.id}`).set(admin.auth).send({ role: 'user' }).expect(200);
    expect(demoted.body.role).toBe('user');
  });
});
