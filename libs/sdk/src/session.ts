import type { TokensDto } from './generated/index.js';

/** How the client authenticates: a signed-in user's tokens, or an API key. */
export type ChorusCredentials =
  | { readonly accessToken: string; readonly refreshToken?: string }
  | { readonly apiKey: string };

/** Called with every new token pair (sign-in and each refresh), to persist the rotated refresh token. */
export type TokensListener = (tokens: TokensDto) => void | Promise<void>;

/**
 * The credentials of one client, and a fetch that authenticates with them. An access token
 * the server answers `401 token_expired` for is exchanged once at POST /auth/refresh (one
 * refresh at a time, whatever the number of requests that hit the expiry: a refresh token
 * works once, and presenting it twice ends the session), then the request is sent again.
 */
export class Session {
  private current: ChorusCredentials | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly send: typeof fetch,
    private readonly exchange: (refreshToken: string) => Promise<TokensDto>,
    credentials: ChorusCredentials | undefined,
    private readonly onTokens: TokensListener | undefined,
  ) {
    this.current = credentials;
  }

  get credentials(): ChorusCredentials | undefined {
    return this.current;
  }

  set credentials(credentials: ChorusCredentials | undefined) {
    this.current = credentials;
  }

  /** What goes after `Bearer `: the access token or the API key. */
  token(): string | undefined {
    if (!this.current) return undefined;
    return 'apiKey' in this.current ? this.current.apiKey : this.current.accessToken;
  }

  /** Stores a new token pair from sign-in or refresh and tells the listener. */
  async signedIn(tokens: TokensDto): Promise<void> {
    this.current = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
    await this.onTokens?.(tokens);
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const used = /^Bearer (.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    const retry = used !== undefined && this.refreshable ? request.clone() : undefined;
    const response = await this.send(request);
    if (!retry || response.status !== 401 || (await problemCode(response)) !== 'token_expired') return response;

    await this.refreshFrom(used!);
    const headers = new Headers(retry.headers);
    headers.set('Authorization', `Bearer ${this.token()}`);
    return this.send(new Request(retry, { headers }));
  };

  /**
   * For a server that said the access token `expired` has expired other than by a 401 (an inbox
   * stream's last event): refreshes it as a 401 would. True when a newer token is there to use
   * (this refresh's, or another's since), false when these credentials cannot be refreshed.
   */
  async refreshExpired(expired: string | undefined): Promise<boolean> {
    if (this.token() !== expired) return true;
    if (!this.refreshable) return false;
    await this.refreshFrom(expired!);
    return true;
  }

  /** A user's tokens with a refresh token. */
  private get refreshable(): boolean {
    return this.current !== undefined && 'refreshToken' in this.current && this.current.refreshToken !== undefined;
  }

  private async refreshFrom(expired: string): Promise<void> {
    // Another request has already replaced the expired token: just use the new one.
    if (this.token() !== expired) return;
    this.refreshing ??= this.rotate().finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  private async rotate(): Promise<void> {
    const current = this.current as { readonly refreshToken: string };
    await this.signedIn(await this.exchange(current.refreshToken));
  }
}

async function problemCode(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}
