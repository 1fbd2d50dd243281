import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { loadConfig, ProblemException } from '#chorus/core';
import { AccessTokens } from './access-tokens.js';
import type { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { Authenticator } from './authenticator.js';
import type { Principal } from './principal.js';
import { RevocationList } from './revocation-list.js';
import type { RevocationsRepository } from './revocations.repository.js';
import { AccessTokenStrategy } from './strategies/access-token.strategy.js';
import { ApiKeyStrategy } from './strategies/api-key.strategy.js';

const KEY = 'chorus_sk_known-key';

/** The key lookup without a database: one known key, and a count of lookups. */
class OneKnownKey extends ApiKeysService {
  lookups = 0;

  constructor() {
    super(undefined as unknown as DataSource, undefined as unknown as ApiKeysRepository);
  }

  override async authenticate(secret: string): Promise<Principal | undefined> {
    this.lookups += 1;
    return secret === KEY ? { userId: 'key-owner', role: 'user', plan: 'free', apiKeyId: 'key-1' } : undefined;
  }
}

/** An Authenticator as one application builds it, with its own JWT secret and in-memory revocation list. */
function application(secret: string) {
  const config = loadConfig({ JWT_SECRET: secret });
  const accessTokens = new AccessTokens(new JwtService({ secret }), config);
  const revocations = new RevocationList(null, config, undefined as unknown as RevocationsRepository);
  const apiKeys = new OneKnownKey();
  const sut = new Authenticator(new ApiKeyStrategy(apiKeys), new AccessTokenStrategy(accessTokens, revocations));
  const token = (userId = randomUUID(), sessionId = randomUUID()) =>
    accessTokens.issue({ userId, role: 'user', plan: 'free', sessionId }).token;
  return { sut, apiKeys, revocations, token };
}

function requestWith(authorization?: string, query: Record<string, string> = {}): Request {
  return { headers: authorization === undefined ? {} : { authorization }, query } as unknown as Request;
}

async function problemCode(result: Promise<unknown>): Promise<string> {
  const error: unknown = await result.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ProblemException)) throw new Error(`expected a problem, got ${String(error)}`);
  return error.problem.code;
}

describe('Authenticator', () => {
  const { sut, apiKeys, revocations, token } = application('a'.repeat(40));

  it('identifies the caller of an access token, with the role and plan in force now', async () => {
    const userId = randomUUID();
    const sessionId = randomUUID();
    const issued = token(userId, sessionId);
    expect(await sut.authenticate(requestWith(`Bearer ${issued}`))).toEqual({ userId, role: 'user', plan: 'free', sessionId });

    await revocations.recordAccessChange(userId, { role: 'admin', plan: 'premium' });
    expect(await sut.authenticate(requestWith(`Bearer ${issued}`))).toMatchObject({ userId, role: 'admin', plan: 'premium' });

    await revocations.revokeSession(sessionId);
    expect(await problemCode(sut.authenticate(requestWith(`Bearer ${issued}`)))).toBe('token_revoked');
  });

  it('identifies the caller of an API key, and refuses an unknown one as a key, not as a token', async () => {
    expect(await sut.authenticate(requestWith(`Bearer ${KEY}`))).toEqual({ userId: 'key-owner', role: 'user', plan: 'free', apiKeyId: 'key-1' });
    expect(await problemCode(sut.authenticate(requestWith('Bearer chorus_sk_made-up')))).toBe('invalid_api_key');
  });

  it('checks a request once and remembers the outcome, refusals included', async () => {
    const before = apiKeys.lookups;
    const request = requestWith(`Bearer ${KEY}`);
    const first = sut.authenticate(request);
    expect(sut.authenticate(request)).toBe(first);
    await first;
    const refused = requestWith('Bearer chorus_sk_made-up');
    expect(await problemCode(sut.authenticate(refused))).toBe('invalid_api_key');
    expect(await problemCode(sut.authenticate(refused))).toBe('invalid_api_key');
    expect(apiKeys.lookups - before).toBe(2);
  });

  it.each([
    ['no Authorization header', undefined],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('answers unauthorized for %s', async (_case, authorization) => {
    expect(await problemCode(sut.authenticate(requestWith(authorization)))).toBe('unauthorized');
  });

  it('reads credentials from the header only, never from the query string', async () => {
    expect(await problemCode(sut.authenticate(requestWith(undefined, { access_token: token() })))).toBe('unauthorized');
  });

  it('answers invalid_token for a credential that is neither a key nor a token of ours', async () => {
    expect(await problemCode(sut.authenticate(requestWith('Bearer not-a-jwt')))).toBe('invalid_token');
    const foreign = application('b'.repeat(40)).token();
    expect(await problemCode(sut.authenticate(requestWith(`Bearer ${foreign}`)))).toBe('invalid_token');
  });

  it('keeps to its own strategies when another application starts in the same process', async () => {
    const other = application('c'.repeat(40));
    expect(await sut.authenticate(requestWith(`Bearer ${token()}`))).toMatchObject({ role: 'user' });
    expect(await other.sut.authenticate(requestWith(`Bearer ${other.token()}`))).toMatchObject({ role: 'user' });
    expect(await problemCode(other.sut.authenticate(requestWith(`Bearer ${token()}`)))).toBe('invalid_token');
  });
});
