import { randomUUID } from 'node:crypto';
import type { TestApp } from './test-app.js';

export interface TestAccount {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  /** `{ Authorization: 'Bearer <access token>' }`, for supertest's `.set()`. */
  readonly auth: { Authorization: string };
}

export const bearer = (token: string): { Authorization: string } => ({ Authorization: `Bearer ${token}` });

/** Registers a new user over HTTP: `const alice = await newAccount(sut)`. */
export async function newAccount(sut: TestApp, overrides: { email?: string; password?: string } = {}): Promise<TestAccount> {
  const email = overrides.email ?? `user-${randomUUID().slice(0, 8)}@example.com`;
  const password = overrides.password ?? 'correct horse battery';
  const response = await sut.http().post('/api/v1/auth/register').send({ email, password }).expect(201);
  return accountFrom(response.body, password);
}

/** Signs in over HTTP with an existing account's credentials: a new session. */
export async function signIn(sut: TestApp, email: string, password: string): Promise<TestAccount> {
  const response = await sut.http().post('/api/v1/auth/login').send({ email, password }).expect(200);
  return accountFrom(response.body, password);
}

function accountFrom(body: { user: { id: string; email: string }; tokens: { accessToken: string; refreshToken: string } }, password: string): TestAccount {
  return {
    id: body.user.id,
    email: body.user.email,
    password,
    accessToken: body.tokens.accessToken,
    refreshToken: body.tokens.refreshToken,
    auth: bearer(body.tokens.accessToken),
  };
}
