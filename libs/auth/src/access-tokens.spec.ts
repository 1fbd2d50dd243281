import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '#chorus/core';
import { resolveJwtSecret } from './access-tokens.js';

describe('resolveJwtSecret', () => {
  it('uses JWT_SECRET when it is set', () => {
    const secret = 's'.repeat(40);
    expect(resolveJwtSecret(loadConfig({ JWT_SECRET: secret }))).toBe(secret);
  });

  it('otherwise generates one on first start, private to the owner, and keeps it across restarts', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'chorus-jwt-')), 'nested', 'jwt-secret');
    const config = loadConfig({ JWT_SECRET_FILE: file });
    const first = resolveJwtSecret(config);
    expect(first.length).toBeGreaterThanOrEqual(64);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(resolveJwtSecret(config)).toBe(first);
  });
});
