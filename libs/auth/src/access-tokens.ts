import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { InjectConfig, ProblemException, type AppConfig } from '#chorus/core';
import { AuthProblems } from './auth.errors.js';
import type { UserRole } from './entities/index.js';

const ISSUER = 'chorus';
/** The only algorithm accepted: tokens claiming `none`, RS256 or anything else are refused. */
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

export interface AccessTokenClaims {
  readonly sub: string;
  readonly role: UserRole;
  readonly plan: string;
  readonly sid: string;
  readonly iat: number;
  readonly exp: number;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * Short-lived JWTs, verified from the token alone: no database read per request. Revocations
 * (logout, ban) and role or plan changes reach tokens already issued at once, through the
 * RevocationList.
 */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly jwt: JwtService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  issue(subject: { userId: string; role: UserRole; plan: string; sessionId: string }): IssuedAccessToken {
    const ttl = this.config.auth.accessTokenTtlSeconds;
    const token = this.jwt.sign(
      { role: subject.role, plan: subject.plan, sid: subject.sessionId },
      { subject: subject.userId, expiresIn: ttl, issuer: ISSUER, algorithm: ACCESS_TOKEN_ALGORITHM },
    );
    return { token, expiresAt: new Date(Date.now() + ttl * 1000) };
  }

  /** Verifies signature, algorithm, issuer and expiry; answers 401 problems otherwise. */
  async verify(token: string): Promise<AccessTokenClaims> {
    let claims: Partial<AccessTokenClaims>;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims>(token, { algorithms: [ACCESS_TOKEN_ALGORITHM], issuer: ISSUER });
    } catch (error) {
      if ((error as Error).name === 'TokenExpiredError') {
        throw new ProblemException(AuthProblems.tokenExpired, 'The access token has expired: refresh it.');
      }
      throw new ProblemException(AuthProblems.invalidToken, 'The access token is not valid.');
    }
    // jsonwebtoken accepts a token without `exp` as never expiring; ours always carry every claim.
    if (!isComplete(claims)) throw new ProblemException(AuthProblems.invalidToken, 'The access token is not valid.');
    return claims;
  }
}

function isComplete(claims: Partial<AccessTokenClaims>): claims is AccessTokenClaims {
  return (
    // Ids are looked up in the database: anything but a UUID is refused here, not by a failed query.
    isUUID(claims.sub) &&
    isUUID(claims.sid) &&
    typeof claims.plan === 'string' &&
    (claims.role === 'user' || claims.role === 'admin') &&
    Number.isInteger(claims.iat) &&
    Number.isInteger(claims.exp)
  );
}

/**
 * The signing secret: JWT_SECRET, or (outside production, where it is required) one generated
 * on first start and kept in JWT_SECRET_FILE so that restarts keep everyone signed in.
 */
export function resolveJwtSecret(config: AppConfig): string {
  if (config.auth.jwtSecret) return config.auth.jwtSecret;
  const file = resolve(config.auth.jwtSecretFile);
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    // Another process (or an earlier start) wrote it first: use that one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
