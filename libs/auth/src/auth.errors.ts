import type { ProblemType } from '#chorus/core';

/** Every error the auth module answers with; clients branch on `code`. */
export const AuthProblems = {
  registrationDisabled: { code: 'registration_disabled', status: 403, title: 'Registration is closed' },
  emailTaken: { code: 'email_taken', status: 409, title: 'Email already registered' },
  invalidCredentials: { code: 'invalid_credentials', status: 401, title: 'Invalid credentials' },
  accountBanned: { code: 'account_banned', status: 403, title: 'Account banned' },
  authenticationRequired: { code: 'unauthorized', status: 401, title: 'Authentication is required' },
  invalidToken: { code: 'invalid_token', status: 401, title: 'Invalid access token' },
  tokenExpired: { code: 'token_expired', status: 401, title: 'Access token expired' },
  tokenRevoked: { code: 'token_revoked', status: 401, title: 'Access token revoked' },
  invalidApiKey: { code: 'invalid_api_key', status: 401, title: 'Invalid API key' },
  invalidRefreshToken: { code: 'invalid_refresh_token', status: 401, title: 'Invalid refresh token' },
  refreshTokenReused: { code: 'refresh_token_reused', status: 401, title: 'Refresh token reused' },
  wrongPassword: { code: 'wrong_password', status: 403, title: 'Wrong password' },
  notASession: { code: 'not_a_session', status: 400, title: 'Not signed in with a session' },
  forbidden: { code: 'forbidden', status: 403, title: 'This action is not allowed' },
  userNotFound: { code: 'not_found', status: 404, title: 'Not found' },
  apiKeyLimit: { code: 'api_key_limit', status: 409, title: 'Too many API keys' },
  lastAdmin: { code: 'last_admin', status: 409, title: 'The last admin cannot be removed' },
  unknownPlan: { code: 'unknown_plan', status: 400, title: 'Unknown plan' },
} as const satisfies Record<string, ProblemType>;
