import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InjectConfig, ProblemException, RateLimiter, type AppConfig } from '#chorus/core';
import { AccessTokens } from './access-tokens.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthProblems } from './auth.errors.js';
import type { Principal } from './principal.js';
import { sha256Hex } from './secrets.js';
import { SessionsService, type ClientInfo } from './sessions.service.js';
import { UsersService, type UserView } from './users.service.js';

export interface IssuedTokens {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
}

export interface AuthResult {
  readonly user: UserView;
  readonly tokens: IssuedTokens;
}

/** Sign-up, sign-in and token refresh, with their own stricter brute-force budgets. */
@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly accessTokens: AccessTokens,
    private readonly limiter: RateLimiter,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async register(input: { email: string; password: string; displayName?: string }, client: ClientInfo): Promise<AuthResult> {
    if (!this.config.auth.registrationEnabled) {
      throw new ProblemException(AuthProblems.registrationDisabled, 'New accounts cannot be created on this server.');
    }
    const { throttle } = this.config.auth;
    await this.limiter.consume({ tier: 'auth:register', key: `register:ip:${client.ip}`, limit: throttle.registerPerIp, windowSeconds: throttle.windowSeconds });
    const prepared = await this.users.prepare(input);
    // The user and their first session together: a failure leaves neither behind.
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.insert(prepared, manager);
      const session = await this.sessions.open(user.id, client, manager);
      return { user, tokens: this.tokensFor(user, session) };
    });
  }

  async login(input: { email: string; password: string }, client: ClientInfo): Promise<AuthResult> {
    const { throttle } = this.config.auth;
    await this.limiter.consume({ tier: 'auth:login', key: `login:ip:${client.ip}`, limit: throttle.loginPerIp, windowSeconds: throttle.windowSeconds });
    // Per account from this address as well, a tighter budget for guessing one person's password.
    // Never per account alone: that would let anyone lock the owner out from anywhere.
    const accountKey = sha256Hex(`${input.email.trim().toLowerCase()}\n${client.ip ?? ''}`);
    await this.limiter.consume({ tier: 'auth:login-account', key: `login:email-ip:${accountKey}`, limit: throttle.loginPerEmail, windowSeconds: throttle.windowSeconds });
    const user = await this.users.verifyCredentials(input.email, input.password);
    const session = await this.sessions.open(user.id, client);
    await this.users.recordLogin(user.id);
    return { user: { ...user, lastLoginAt: new Date() }, tokens: this.tokensFor(user, session) };
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<IssuedTokens> {
    const session = await this.sessions.rotate(refreshToken, client);
    return this.tokensFor({ id: session.userId, role: session.role, plan: session.plan }, session);
  }

  /** Ends the session of the access token in use. */
  async logout(principal: Principal): Promise<void> {
    await this.sessions.revokeOwn(principal.userId, this.sessionOf(principal), 'logout');
  }

  /** Ends every session of the caller, this one included, and with `revokeApiKeys` deletes their API keys too. */
  async logoutEverywhere(principal: Principal, revokeApiKeys = false): Promise<void> {
    await this.sessions.revokeAll(principal.userId, 'logout_all');
    if (revokeApiKeys) await this.apiKeys.deleteAll(principal.userId);
  }

  sessionOf(principal: Principal): string {
    if (!principal.sessionId) {
      throw new ProblemException(AuthProblems.notASession, 'This request is authenticated with an API key, which has no session.');
    }
    return principal.sessionId;
  }

  private tokensFor(
    user: Pick<UserView, 'id' | 'role' | 'plan'>,
    session: { sessionId: string; refreshToken: string; refreshTokenExpiresAt: Date },
  ): IssuedTokens {
    const access = this.accessTokens.issue({ userId: user.id, role: user.role, plan: user.plan, sessionId: session.sessionId });
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: session.refreshToken,
      refreshTokenExpiresAt: session.refreshTokenExpiresAt,
    };
  }
}
