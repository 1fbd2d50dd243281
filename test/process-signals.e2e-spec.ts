import { randomUUID } from 'node:crypto';
import { ServerProcess } from './support/server-process.js';
import { EventStreamReader } from './support/sse-client.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** The server as operators run it: a process that receives SIGTERM from its supervisor. */
describe('the server process on SIGTERM', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('finishes the reply in flight, logs it and its own shutdown, and exits with 0', async () => {
    // A slow simulator: the reply is still streaming when the signal comes.
    const server = await ServerProcess.start(database, { SIMULATED_TOKENS_PER_SECOND: '40', SHUTDOWN_TIMEOUT_MS: '20000' });
    try {
      const api = `${server.baseUrl}/api/v1`;
      const json = { 'Content-Type': 'application/json' };
      const registered = await fetch(`${api}/auth/register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ email: `signals-${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery' }),
      }).then((response) => response.json() as Promise<{ tokens: { accessToken: string } }>);
      const auth = { Authorization: `Bearer ${registered.tokens.accessToken}` };
      const nova = await fetch(`${api}/influencers/nova`, { headers: auth }).then((response) => response.json() as Promise<{ id: string }>);
      const conversation = await fetch(`${api}/conversations`, { method: 'POST', headers: { ...auth, ...json }, body: JSON.stringify({ influencerId: nova.id }) })
        .then((response) => response.json() as Promise<{ id: string }>);

      const stream = await EventStreamReader.open(`${api}/conversations/${conversation.id}/messages`, {
        method: 'POST',
        headers: { ...auth, ...json },
        body: JSON.stringify({ content: 'Tell me a story', clientMessageId: randomUUID() }),
      });
      for (let event = await stream.next(); event?.event !== 'reply.delta'; event = await stream.next()) {
        if (!event) throw new Error('The stream ended before the reply started');
      }

      const exit = server.stop('SIGTERM');
      const events = await stream.rest();
      expect(events.at(-1)?.event).toBe('reply.completed');
      expect(await exit).toEqual({ code: 0, signal: null });

      expect(server.logged('Shutting down on SIGTERM')).toHaveLength(1);
      expect(server.logged(`POST /api/v1/conversations/${conversation.id}/messages 200`)).toHaveLength(1);
      expect(server.logged('Stopped on SIGTERM')).toHaveLength(1);
    } finally {
      await server.stop('SIGKILL');
    }
  });
});
