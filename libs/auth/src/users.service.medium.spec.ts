import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { encodeCursor, loadConfig, openDatabase, ProblemException, type OpenDatabase } from '#chorus/core';
import { SCHEMA } from '../../../apps/api/src/app.module.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import type { AccessTokenClaims } from './access-tokens.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { PasswordHasher } from './password-hasher.js';
import { RevocationList } from './revocation-list.js';
import { RevocationsRepository } from './revocations.repository.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

/**
 * Medium tier: UsersService with its real repositories, sessions, API keys and in-memory revocation
 * list on a real (fresh, migrated) database; nothing is stubbed.
 */
describe('UsersService on a database', () => {
  const config = loadConfig({ ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1', JWT_SECRET: 'medium-secret-that-is-at-least-32-characters' });
  let database: TestDatabase;
  let open: OpenDatabase;
  let dataSource: DataSource;
  let revocations: RevocationList;
  let sut: UsersService;

  /** The problem code a call failed with. */
  const failure = (call: Promise<unknown>): Promise<unknown> =>
    call.then(
      () => 'no failure',
      (error: unknown) => (error instanceof ProblemException ? error.problem.code : error),
    );
  const newUser = async (email: string, role: 'user' | 'admin' = 'user') => sut.insert(await sut.prepare({ email, password: 'correct horse', role }));
  const claimsOf = (user: { id: string }, iat: number): AccessTokenClaims => ({ sub: user.id, role: 'user', plan: 'free', sid: randomUUID(), iat, exp: iat + 900 });

  beforeAll(async () => {
    database = await createTestDatabase();
    open = await openDatabase(loadConfig({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: String(database.poolSize) }), SCHEMA);
    dataSource = open.dataSource;
    revocations = new RevocationList(null, config, new RevocationsRepository(dataSource));
    const passwords = new PasswordHasher(config);
    await passwords.onModuleInit();
    const sessions = new SessionsService(dataSource, new SessionsRepository(dataSource), revocations, config);
    const apiKeys = new ApiKeysService(dataSource, new ApiKeysRepository(dataSource));
    sut = new UsersService(dataSource, new UsersRepository(dataSource), passwords, sessions, apiKeys, revocations, config);
  });

  afterAll(async () => {
    await open?.close();
    await database?.drop();
  });

  it('creates the first admin once, and never takes over an existing account', async () => {
    await newUser('Taken@Example.com');
    await expect(sut.ensureFirstAdmin('taken@example.com', 'correct horse')).resolves.toBe('email_taken');
    await expect(sut.ensureFirstAdmin('root@example.com', 'correct horse')).resolves.toBe('created');
    await expect(sut.ensureFirstAdmin('other-root@example.com', 'correct horse')).resolves.toBe('admin_exists');
    const [{ n }] = (await dataSource.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`)) as [{ n: number }];
    expect(n).toBe(1);
  });

  it('answers email_taken for an address in use in another letter case', async () => {
    await newUser('case@example.com');
    await expect(failure(newUser('CASE@example.COM'))).resolves.toBe('email_taken');
  });

  it('keeps the last active admin, and lets one go once another exists', async () => {
    const [root] = (await sut.list({ limit: 1, emailContains: 'root@' })).items;
    await expect(failure(sut.update(root!.id, { role: 'user' }))).resolves.toBe('last_admin');
    await expect(failure(sut.update(root!.id, { status: 'banned' }))).resolves.toBe('last_admin');
    await expect(sut.get(root!.id)).resolves.toMatchObject({ role: 'admin', status: 'active' });

    await newUser('second-admin@example.com', 'admin');
    await expect(sut.update(root!.id, { role: 'user' })).resolves.toMatchObject({ role: 'user', status: 'active' });
  });

  it('pages users newest first, matching `%` and `_` in the email literally', async () => {
    const run = randomUUID().slice(0, 8);
    const created = [];
    for (const local of ['a%b', 'a_b', 'axb']) created.push(await newUser(`${local}.${run}@example.com`));
    const literal = await sut.list({ limit: 10, emailContains: `a%b.${run}` });
    expect(literal.items.map((user) => user.id)).toEqual([created[0]!.id]);

    const first = await sut.list({ limit: 2, emailContains: run });
    expect(first.items.map((user) => user.id)).toEqual([created[2]!.id, created[1]!.id]);
    const second = await sut.list({ limit: 2, emailContains: run, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ id: created[0]!.id })], nextCursor: null });
    await expect(failure(sut.list({ limit: 2, cursor: encodeCursor({ nope: 1 }) }))).resolves.toBe('invalid_cursor');
  });

  it('bans and upgrades users so that a revocation list rebuilt from the database still corrects their old tokens', async () => {
    const user = await newUser(`banned-${randomUUID().slice(0, 8)}@example.com`);
    const upgraded = await newUser(`upgraded-${randomUUID().slice(0, 8)}@example.com`);
    const issuedBefore = Math.floor(Date.now() / 1000) - 1;
    await sut.update(user.id, { status: 'banned' });
    await sut.update(upgraded.id, { plan: 'premium' });

    const rebuilt = new RevocationList(null, config, new RevocationsRepository(dataSource));
    await rebuilt.onModuleInit();
    await expect(rebuilt.standing(claimsOf(user, issuedBefore))).resolves.toEqual({ revoked: true });
    await expect(rebuilt.standing(claimsOf(upgraded, issuedBefore))).resolves.toEqual({
      revoked: false,
      access: { role: 'user', plan: 'premium' },
    });
    await expect(failure(sut.verifyCredentials(user.email, 'correct horse'))).resolves.toBe('account_banned');
  });
});
