import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Removes what the run's first worker built: the template database or snapshot. */
export default async function globalTeardown() {
  const run = process.env.CHORUS_TEST_RUN;
  rmSync(join(tmpdir(), `chorus-test-${run}`), { recursive: true, force: true });
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS chorus_template_${run} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
