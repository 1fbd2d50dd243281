import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ProblemException } from '#chorus/core';
import { ApiKeysService } from '../api-keys.service.js';
import { AuthProblems } from '../auth.errors.js';
import type { Principal } from '../principal.js';
import { API_KEY_PREFIX } from '../secrets.js';
import { BearerStrategy } from './bearer.strategy.js';

export const API_KEY_STRATEGY = 'api-key';

/** An API key (`chorus_sk_...`), told apart by its prefix and looked up by its hash; any other credential is not its kind. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(BearerStrategy, API_KEY_STRATEGY) {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  async validate(credential: string): Promise<Principal | false> {
    if (!credential.startsWith(API_KEY_PREFIX)) return false;
    const principal = await this.apiKeys.authenticate(credential);
    if (!principal) throw new ProblemException(AuthProblems.invalidApiKey, 'The API key is unknown, expired or revoked.');
    return principal;
  }
}
