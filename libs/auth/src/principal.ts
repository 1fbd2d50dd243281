import type { UserRole } from './entities/index.js';

/** Who is calling: set by the auth guard on every authenticated request. */
export interface Principal {
  readonly userId: string;
  readonly role: UserRole;
  readonly plan: string;
  /** The session of an access token; absent for API keys. */
  readonly sessionId?: string;
  /** The API key used, when the caller authenticated with one. */
  readonly apiKeyId?: string;
}

export type RequestWithPrincipal = { principal?: Principal };
