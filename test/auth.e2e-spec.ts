import { createHmac } from 'node:crypto';
import { DataSource } from 'typeorm';
import { bearer, newAccount, signIn } from './support/accounts.js';
import { TestApp } from './support/test-app.js';

const JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** Builds a JWT by hand, so tests can forge exactly the token an attacker would. */
function forgeJwt(header: object, payload: object, secret?: string, algorithm = 'sha256'): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(payload)}`;
  const signature = secret ? createHmac(algorithm, secret).update(unsigned).digest('base64url') : '';
  return `${unsigned}.${signature}`;
}

describe('auth', () => {
  let sut: TestApp;
  let dataSource: DataSource;
  const countUsers = async (): Promise<number> => Number((await dataSource.query('SELECT count(*) AS n FROM users'))[0].n);

  beforeAll(async () => {
    sut = await TestApp.start();
    dataSource = sut.app.get(DataSource);
  });

  afterAll(async () => {
    await sut.close();
  });

  describe('register', () => {
    it('creates a user on the default plan and signs them in', async () => {
      const response = await sut.http().post('/api/v1/auth/register').send({ email: 'Grace@Example.com', password: 'a long enough password' }).expect(201);
      expect(response.body.user).toMatchObject({ email: 'Grace@Example.com', displayName: 'Grace', role: 'user', plan: 'free', status: 'active' });
      expect(response.body.user.passwordHash).toBeUndefined();
      expect(response.body.tokens).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String), refreshToken: expect.stringMatching(/^chorus_rt_/) });

      const me = await sut.http().get('/api/v1/me').set(bearer(response.body.tokens.accessToken)).expect(200);
      expect(me.body.id).toBe(response.body.user.id);
      const stored = await dataSource.query('SELECT password_hash FROM users WHERE id = $1', [response.body.user.id]);
      expect(stored[0].password_hash).toMatch(/^\$argon2id\$/);
    });

    it.each([
      ['a malformed email', { email: 'not-an-email', password: 'long enough pw' }, ['email']],
      ['a short password', { email: 'short@example.com', password: 'short' }, ['password']],
      ['a password over 128 characters', { email: 'long@example.com', password: 'x'.repeat(129) }, ['password']],
      ['an unknown field', { email: 'extra@example.com', password: 'long enough pw', role: 'admin' }, ['role']],
      ['nothing at all', {}, ['email', 'password']],
    ])('rejects %s with field errors and creates no user', async (_case, body, fields) => {
      const before = await countUsers();
      const response = await sut.http().post('/api/v1/auth/register').send(body).expect(400);
      expect(response.body.code).toBe('validation_failed');
      expect(new Set(response.body.errors.map((error: { field: string }) => error.field))).toEqual(new Set(fields));
      expect(await countUsers()).toBe(before);
    });

    it('answers 409 for an email already registered in any letter case', async () => {
      await newAccount(sut, { email: 'dup@example.com' });
      const before = await countUsers();
      const response = await sut.http().post('/api/v1/auth/register').send({ email: 'DUP@Example.COM', password: 'long enough pw' }).expect(409);
      expect(response.body.code).toBe('email_taken');
      expect(await countUsers()).toBe(before);
    });
  });

  describe('login', () => {
    it('signs in with the right password and records the login', async () => {
      const account = await newAccount(sut);
      const response = await sut.http().post('/api/v1/auth/login').send({ email: account.email.toUpperCase(), password: account.password }).expect(200);
      expect(response.body.user.id).toBe(account.id);
      expect(response.body.user.lastLoginAt).toEqual(expect.any(String));
      await sut.http().get('/api/v1/me').set(bearer(response.body.tokens.accessToken)).expect(200);
    });

    it('gives a wrong password and an unknown email the same 401', async () => {
      const account = await newAccount(sut);
      const wrongPassword = await sut.http().post('/api/v1/auth/login').send({ email: account.email, password: 'not the password' }).expect(401);
      const unknownEmail = await sut.http().post('/api/v1/auth/login').send({ email: 'nobody@example.com', password: 'not the password' }).expect(401);
      const withoutRequestId = ({ requestId: _ignored, ...body }: Record<string, unknown>) => body;
      expect(withoutRequestId(wrongPassword.body)).toEqual(withoutRequestId(unknownEmail.body));
      expect(wrongPassword.body.code).toBe('invalid_credentials');
    });
  });

  describe('access tokens', () => {
    let account: Awaited<ReturnType<typeof newAccount>>;
    let claims: Record<string, unknown>;

    beforeAll(async () => {
      account = await newAccount(sut);
      claims = JSON.parse(Buffer.from(account.accessToken.split('.')[1]!, 'base64url').toString());
    });

    it('carry the subject, role, plan and session, and expire within minutes', () => {
      expect(claims).toMatchObject({ sub: account.id, role: 'user', plan: 'free', sid: expect.any(String), iss: 'chorus' });
      expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(900);
    });

    it('are required on protected routes', async () => {
      const response = await sut.http().get('/api/v1/me').expect(401);
      expect(response.body.code).toBe('unauthorized');
      await sut.http().get('/api/v1/me').set('Authorization', 'Basic abc').expect(401);
    });

    it.each([
      ['a tampered payload', () => {
        const [header, , signature] = account.accessToken.split('.');
        const payload = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
        return `${header}.${payload}.${signature}`;
      }],
      ['alg none', () => forgeJwt({ alg: 'none', typ: 'JWT' }, claims)],
      ['a signature from another secret', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims, 'another-secret-another-secret-1234')],
      ['another algorithm (HS512) with the right secret', () => forgeJwt({ alg: 'HS512', typ: 'JWT' }, claims, JWT_SECRET, 'sha512')],
      ['garbage', () => 'not.a.jwt'],
    ])('reject %s with 401 invalid_token', async (_case, makeToken) => {
      const response = await sut.http().get('/api/v1/me').set(bearer(makeToken())).expect(401);
      expect(response.body.code).toBe('invalid_token');
    });

    it('reject an expired token with 401 token_expired', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 1000, exp: now - 100 }, JWT_SECRET);
      const response = await sut.http().get('/api/v1/me').set(bearer(expired)).expect(401);
      expect(response.body.code).toBe('token_expired');
    });
  });

  describe('refresh', () => {
    it('rotates: the new tokens work and the old refresh token does not', async () => {
      const account = await newAccount(sut);
      const first = await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(200);
      expect(first.body.refreshToken).not.toBe(account.refreshToken);
      await sut.http().get('/api/v1/me').set(bearer(first.body.accessToken)).expect(200);
      const second = await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(200);
      await sut.http().get('/api/v1/me').set(bearer(second.body.accessToken)).expect(200);
    });

    it('detects reuse: a used refresh token revokes the whole session, newest token included', async () => {
      const account = await newAccount(sut);
      const rotated = await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(200);

      const reuse = await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(401);
      expect(reuse.body.code).toBe('refresh_token_reused');

      const newest = await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: rotated.body.refreshToken }).expect(401);
      expect(newest.body.code).toBe('invalid_refresh_token');
      const access = await sut.http().get('/api/v1/me').set(bearer(rotated.body.accessToken)).expect(401);
      expect(access.body.code).toBe('token_revoked');
    });

    it('lets only one of two concurrent refreshes with the same token win', async () => {
      const account = await newAccount(sut);
      const attempts = await Promise.all(
        [1, 2].map(() => sut.http().post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken })),
      );
      expect(attempts.map((attempt) => attempt.status).sort()).toEqual([200, 401]);
    });

    it('rejects an unknown refresh token', async () => {
      const response = await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: 'chorus_rt_made-up' }).expect(401);
      expect(response.body.code).toBe('invalid_refresh_token');
    });
  });

  describe('logout', () => {
    it('ends this session only: its tokens stop working, other sessions go on', async () => {
      const account = await newAccount(sut);
      const other = await signIn(sut, account.email, account.password);
      await sut.http().post('/api/v1/auth/logout').set(account.auth).expect(204);

      expect((await sut.http().get('/api/v1/me').set(account.auth).expect(401)).body.code).toBe('token_revoked');
      await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(401);
      await sut.http().get('/api/v1/me').set(other.auth).expect(200);
    });

    it('logout-all ends every session', async () => {
      const account = await newAccount(sut);
      const other = await signIn(sut, account.email, account.password);
      await sut.http().post('/api/v1/auth/logout-all').set(account.auth).expect(204);
      await sut.http().get('/api/v1/me').set(account.auth).expect(401);
      await sut.http().get('/api/v1/me').set(other.auth).expect(401);
      await sut.http().post('/api/v1/auth/refresh').send({ refreshToken: other.refreshToken }).expect(401);
    });
  });
});

describe('auth configuration', () => {
  it('refuses registration when it is disabled', async () => {
    const sut = await TestApp.start({ env: { AUTH_REGISTRATION_ENABLED: 'false' } });
    try {
      const response = await sut.http().post('/api/v1/auth/register').send({ email: 'closed@example.com', password: 'long enough pw' }).expect(403);
      expect(response.body.code).toBe('registration_disabled');
    } finally {
      await sut.close();
    }
  });

  it('throttles sign-in attempts per email from one address, without locking the owner out elsewhere', async () => {
    const sut = await TestApp.start({ env: { AUTH_LOGIN_LIMIT_PER_EMAIL: '3', TRUST_PROXY_HOPS: '1' } });
    try {
      const account = await newAccount(sut);
      const attacker = { 'X-Forwarded-For': '203.0.113.66' };
      for (let attempt = 0; attempt < 3; attempt++) {
        await sut.http().post('/api/v1/auth/login').set(attacker).send({ email: account.email, password: 'wrong guess' }).expect(401);
      }
      const limited = await sut.http().post('/api/v1/auth/login').set(attacker).send({ email: account.email, password: account.password }).expect(429);
      expect(limited.body.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // The owner, from their own address, still signs in.
      await sut.http().post('/api/v1/auth/login').set({ 'X-Forwarded-For': '198.51.100.7' }).send({ email: account.email, password: account.password }).expect(200);
      // Another account from the attacker's address is not affected by this one's budget.
      const other = await newAccount(sut);
      await sut.http().post('/api/v1/auth/login').set(attacker).send({ email: other.email, password: other.password }).expect(200);
    } finally {
      await sut.close();
    }
  });

  it('throttles registration per client IP', async () => {
    const sut = await TestApp.start({ env: { AUTH_REGISTER_LIMIT_PER_IP: '2' } });
    try {
      await newAccount(sut);
      await newAccount(sut);
      const limited = await sut.http().post('/api/v1/auth/register').send({ email: 'third@example.com', password: 'long enough pw' }).expect(429);
      expect(limited.body.code).toBe('rate_limited');
    } finally {
      await sut.close();
    }
  });
});
