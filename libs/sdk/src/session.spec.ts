import type { TokensDto } from './generated/index.js';
import { Session } from './session.js';

const tokens = (n: number): TokensDto => ({
  tokenType: 'Bearer',
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  accessTokenExpiresAt: '2030-01-01T00:00:00.000Z',
  refreshTokenExpiresAt: '2030-01-31T00:00:00.000Z',
});

const problem = (status: number, code: string) => Response.json({ type: `urn:chorus:problem:${code}`, title: code, status, detail: '', code, requestId: 'q' }, { status });

/** A server that accepts only `valid` as access token and answers 401 token_expired for any other. */
function server(valid: () => string) {
  const seen: string[] = [];
  const send = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const token = request.headers.get('authorization')?.replace('Bearer ', '') ?? '';
    seen.push(`${token} ${request.method} ${request.method === 'POST' ? await request.text() : ''}`.trim());
    if (token === 'revoked') return problem(401, 'token_revoked');
    return token === valid() ? Response.json({ ok: true }) : problem(401, 'token_expired');
  };
  return { send: send as typeof fetch, seen };
}

const get = (token: string) => new Request('http://chorus.test/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });

describe('Session', () => {
  it('refreshes once for any number of requests hitting the expiry, and resends each', async () => {
    let current = 'access-0';
    const { send, seen } = server(() => current);
    const refreshed: TokensDto[] = [];
    const exchanged: string[] = [];
    const exchange = async (refreshToken: string) => {
      exchanged.push(refreshToken);
      await new Promise((resolve) => setTimeout(resolve, 10));
      current = 'access-1';
      return tokens(1);
    };
    const session = new Session(send, exchange, { accessToken: 'expired', refreshToken: 'refresh-0' }, (pair) => void refreshed.push(pair));

    const responses = await Promise.all([1, 2, 3].map(() => session.fetch(get('expired'))));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(exchanged).toEqual(['refresh-0']);
    expect(refreshed).toEqual([tokens(1)]);
    expect(session.credentials).toEqual({ accessToken: 'access-1', refreshToken: 'refresh-1' });
    expect(seen.filter((line) => line.startsWith('access-1'))).toHaveLength(3);
  });

  it('resends a request body unchanged after refreshing', async () => {
    let current = 'old';
    const { send, seen } = server(() => current);
    const session = new Session(send, async () => ((current = 'access-1'), tokens(1)), { accessToken: 'stale', refreshToken: 'refresh-0' }, undefined);
    const post = new Request('http://chorus.test/api/v1/conversations', { method: 'POST', body: '{"influencerId":"x"}', headers: { Authorization: 'Bearer stale' } });
    expect((await session.fetch(post)).status).toBe(200);
    expect(seen).toEqual(['stale POST {"influencerId":"x"}', 'access-1 POST {"influencerId":"x"}']);
  });

  it('does not refresh for an API key, without a refresh token, or for another 401', async () => {
    const { send } = server(() => 'valid');
    let exchanges = 0;
    const exchange = async () => (exchanges++, tokens(9));
    expect((await new Session(send, exchange, { apiKey: 'chorus_sk_x' }, undefined).fetch(get('chorus_sk_x'))).status).toBe(401);
    expect((await new Session(send, exchange, { accessToken: 'expired' }, undefined).fetch(get('expired'))).status).toBe(401);
    const revoked = await new Session(send, exchange, { accessToken: 'revoked', refreshToken: 'r' }, undefined).fetch(get('revoked'));
    expect(await revoked.json()).toMatchObject({ code: 'token_revoked' });
    expect(exchanges).toBe(0);
  });

  it('refreshes a token a stream was told has expired once, whatever the number of streams, and not one already replaced', async () => {
    const exchanged: string[] = [];
    const exchange = async (refreshToken: string) => (exchanged.push(refreshToken), tokens(exchanged.length));
    const session = new Session(server(() => '').send, exchange, { accessToken: 'access-0', refreshToken: 'refresh-0' }, undefined);

    expect(await Promise.all([session.refreshExpired('access-0'), session.refreshExpired('access-0')])).toEqual([true, true]);
    expect(await session.refreshExpired('access-0')).toBe(true);
    expect(exchanged).toEqual(['refresh-0']);
    expect(session.token()).toBe('access-1');

    // Nothing to refresh with: the caller ends what it was doing.
    expect(await new Session(server(() => '').send, exchange, { accessToken: 'access-0' }, undefined).refreshExpired('access-0')).toBe(false);
    expect(exchanged).toHaveLength(1);
  });
});
