import { createHash, randomBytes } from 'node:crypto';

export const REFRESH_TOKEN_PREFIX = 'chorus_rt_';
export const API_KEY_PREFIX = 'chorus_sk_';

/** A new credential: a recognisable prefix and 256 random bits. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * Credentials are stored as their SHA-256. They carry 256 random bits, so a fast hash is
 * enough (passwords, which people choose, get argon2id instead), and lookups stay one index probe.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
