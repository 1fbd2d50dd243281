import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess, runCli } from './support/server-process.js';

/** The CLI as an operator runs it: beside a server that has the embedded database open. */
describe('the CLI while the server holds the embedded database', () => {
  let directory: string;
  let env: Record<string, string>;
  let server: ServerProcess;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'chorus-cli-'));
    env = { EMBEDDED_DB_DIR: join(directory, 'pg'), SEED_EXAMPLE_PERSONAS: 'false' };
    server = await ServerProcess.start(undefined, env);
  });

  afterAll(async () => {
    await server.stop('SIGTERM');
    rmSync(directory, { recursive: true, force: true });
  });

  it('creates an admin through the running server, who can then sign in', async () => {
    const result = await runCli(['create-admin', 'cli-admin@example.com'], env, 'a strong password 1');
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('Created admin cli-admin@example.com') });
    expect(result.stderr).toContain('working through it');

    const login = await fetch(`${server.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'cli-admin@example.com', password: 'a strong password 1' }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { role: string } }).user.role).toBe('admin');
  });

  it('rebuilds the usage counters through the running server', async () => {
    const result = await runCli(['usage:rebuild'], env);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('Counters match the ledger.') });
  });

  it('says what is wrong, instead of exiting silently, when a command fails', async () => {
    const taken = await runCli(['create-admin', 'cli-admin@example.com'], env, 'a strong password 1');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('An account with this email already exists.');
  });

  it('prints why it cannot start, instead of exiting silently', async () => {
    const unreachable = await runCli(['usage:rebuild'], { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none', DATABASE_CONNECT_TIMEOUT_MS: '1000' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/ECONNREFUSED|connect/);
  });
});
