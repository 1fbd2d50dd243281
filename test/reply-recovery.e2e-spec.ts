import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { ContextBuilder } from '#chorus/conversations';
import { QuotaService } from '#chorus/usage';
import { newAccount, type TestAccount } from './support/accounts.js';
import { EventStreamReader, type SseEvent } from './support/sse-client.js';
import { TestApp } from './support/test-app.js';
import { createTestDatabase, onDatabase, type TestDatabase } from './support/test-database.js';
import { BOOKS_COLUMNS, type Books } from './support/usage-books.js';

/** A simulator slow enough that a reply is still streaming a second after it started (when its text is first saved). */
const SLOW = { SIMULATED_TOKENS_PER_SECOND: '10', SHUTDOWN_TIMEOUT_MS: '100' };
/** The user's message is quoted in the simulated reply: a long one makes a long reply. */
const LONG_MESSAGE = `Tell me everything about ${'the rings of Saturn and '.repeat(10)}its moons`;

interface StoredReply {
  status: string;
  content: string;
  error_code: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  completed_at: Date | null;
}

const textOf = (events: SseEvent[]): string => events.filter((event) => event.event === 'reply.delta').map((event) => String(event.data['text'])).join('');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a kill -9 leaves behind, as far as the database and the clients can tell: the database
 * connections and every client connection cut at once, no shutdown hook run, so the reply in
 * progress is never saved or settled. The database goes first, so that nothing the dead app
 * still does in memory (its reply loop, a completion's settlement) can reach it.
 */
async function crash(app: TestApp): Promise<void> {
  const destroyed = app.app.get(DataSource).destroy();
  const server = app.app.getHttpServer() as Server;
  server.closeAllConnections();
  server.close();
  await destroyed;
}

/** Releases what the crashed app still holds in memory (timers, Redis); its database is already gone. */
async function bury(app: TestApp): Promise<void> {
  await app.app.close().catch(() => undefined);
}

describe('replies cut off by a crash', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  const newConversation = async (app: TestApp, account: TestAccount): Promise<string> => {
    const nova = (await app.http().get('/api/v1/influencers/nova').expect(200)).body.id;
    return (await app.http().post('/api/v1/conversations').set(account.auth).send({ influencerId: nova }).expect(201)).body.id;
  };

  const sendVia = (base: string, account: TestAccount, conversationId: string, content: string): Promise<EventStreamReader> =>
    EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...account.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content, clientMessageId: randomUUID() }),
    });

  const storedReply = async (app: TestApp, replyId: string): Promise<StoredReply> =>
    (await app.app.get(DataSource).query('SELECT status, content, error_code, input_tokens, output_tokens, completed_at FROM messages WHERE id = $1', [replyId]))[0];

  /** The user's counters (used, and what is still reserved) next to the ledger's totals. */
  async function books(app: TestApp, userId: string): Promise<Books> {
    const [row] = await app.app.get(DataSource).query(`SELECT ${BOOKS_COLUMNS}`, [userId]);
    return row;
  }

  /**
   * Streams a reply on `app` until its text has been checkpointed and the client has seen at
   * least that much, then crashes the app. Returns the reply's id and its row as the crash
   * left it.
   */
  async function crashMidReply(app: TestApp, base: string, account: TestAccount, conversationId: string): Promise<{ replyId: string; atCrash: StoredReply }> {
    const stream = await sendVia(base, account, conversationId, LONG_MESSAGE);
    const events: SseEvent[] = [(await stream.next())!];
    const replyId = String(events[0]!.data['replyId']);
    let checkpoint = '';
    for (let attempt = 0; attempt < 100 && !checkpoint; attempt++) {
      await pause(50);
      checkpoint = (await storedReply(app, replyId)).content;
    }
    expect(checkpoint).not.toBe('');
    while (textOf(events).length < checkpoint.length) events.push((await stream.next())!);
    await crash(app);
    const seen = textOf(events);
    // What the user saw includes what was saved: the checkpoint holds text that was streamed, never more than one interval behind.
    expect(seen.startsWith(checkpoint)).toBe(true);
    const atCrash = await onDatabase(database.url, async (client) => (await client.query('SELECT * FROM messages WHERE id = $1', [replyId])).rows[0] as StoredReply);
    expect(atCrash.status).toBe('streaming');
    return { replyId, atCrash };
  }

  it('saves the text of a streaming reply about once a second, never per token, and the final save wins', async () => {
    const app = await TestApp.start({ database, env: { SIMULATED_TOKENS_PER_SECOND: '20' } });
    try {
      const user = await newAccount(app);
      const conversationId = await newConversation(app, user);
      const stream = await sendVia(await app.listen(), user, conversationId, LONG_MESSAGE);
      const replyId = String((await stream.next())!.data['replyId']);
      const rest = stream.rest();
      const saves: Array<{ at: number; content: string }> = [];
      for (let reply = await storedReply(app, replyId); reply.status === 'streaming'; reply = await storedReply(app, replyId)) {
        if (reply.content !== (saves.at(-1)?.content ?? '')) saves.push({ at: Date.now(), content: reply.content });
        await pause(25);
      }
      const streamed = textOf(await rest);
      // Some 60 tokens at 20 a second: a few checkpoints, each a second or so after the one before, each a prefix of the reply.
      expect(streamed.split(' ').length).toBeGreaterThan(50);
      expect(saves.length).toBeGreaterThanOrEqual(2);
      expect(saves.length).toBeLessThanOrEqual(5);
      for (let index = 1; index < saves.length; index++) expect(saves[index]!.at - saves[index - 1]!.at).toBeGreaterThanOrEqual(700);
      expect(saves.every((save) => streamed.startsWith(save.content))).toBe(true);

      // Nothing lands after the final save, even a checkpoint that was due.
      await pause(1_500);
      expect(await storedReply(app, replyId)).toMatchObject({ status: 'completed', content: streamed });
    } finally {
      await app.close();
    }
  });

  it('recovers every reply a dead process left streaming when the next process has the database to itself', async () => {
    const crashed = await TestApp.start({ database, env: SLOW });
    const user = await newAccount(crashed);
    const conversationId = await newConversation(crashed, user);
    // A stateless OpenAI-compatible completion is streaming too: it holds a reservation with no message to bill.
    const apiKey = (await crashed.http().post('/api/v1/me/api-keys').set(user.auth).send({ name: 'tool' }).expect(201)).body.secret;
    const base = await crashed.listen();
    const stateless = await fetch(`${base}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'persona/nova', messages: [{ role: 'user', content: LONG_MESSAGE }], stream: true }),
    });
    expect(stateless.status).toBe(200);
    const { replyId, atCrash } = await crashMidReply(crashed, base, user, conversationId);
    void stateless.body?.cancel().catch(() => undefined);
    const heldAtCrash = await onDatabase(database.url, async (client) => (await client.query('SELECT count(*)::int AS n FROM usage_reservations WHERE user_id = $1', [user.id])).rows[0].n);
    expect(heldAtCrash).toBe(2);

    // The next process, as on the embedded database: it alone uses the database.
    const next = await TestApp.start({ database, env: { DATABASE_EXCLUSIVE: 'true' } });
    try {
      const reply = await storedReply(next, replyId);
      expect(reply).toMatchObject({ status: 'failed', error_code: 'interrupted', content: atCrash.content, completed_at: expect.any(Date) });
      expect(reply.content).not.toBe('');
      // Billed as a reply the provider reported nothing for: the prompt, and the tokens of the saved text.
      const outputTokens = next.app.get(ContextBuilder).countText(atCrash.content);
      expect(atCrash.input_tokens).toBeGreaterThan(0);
      expect(reply).toMatchObject({ input_tokens: atCrash.input_tokens, output_tokens: outputTokens });
      const events = await next.app.get(DataSource).query('SELECT quantity::int, input_tokens, output_tokens FROM usage_events WHERE message_id = $1', [replyId]);
      expect(events).toEqual([{ quantity: 1, input_tokens: atCrash.input_tokens, output_tokens: outputTokens }]);
      // Both reservations are gone: the reply's settled, the stateless one released; the counters equal the ledger.
      const ledger = await books(next, user.id);
      expect(ledger).toMatchObject({ reservations: 0, reserved: 0, messages: 1, ledgerMessages: 1 });
      expect(ledger['tokens']).toBe(ledger['ledgerTokens']);
      expect(ledger['cost']).toBe(ledger['ledgerCost']);

      // Resume replays the reply's end instead of answering 409.
      const url = `${await next.listen()}/api/v1/conversations/${conversationId}/messages/${replyId}/stream`;
      const resumed = await (await EventStreamReader.open(url, { headers: user.auth })).rest();
      expect(resumed.map((event) => event.event)).toEqual(['message', 'reply.started', 'error']);
      expect(resumed[2]!.data).toMatchObject({ code: 'interrupted', messageId: replyId, partialLength: atCrash.content.length });

      // Cancel returns it as it is; regenerate works as on any failed reply.
      const cancelled = await next.http().post(`/api/v1/conversations/${conversationId}/messages/${replyId}/cancel`).set(user.auth).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'failed', errorCode: 'interrupted', content: atCrash.content });
      const regenerated = await next.http().post(`/api/v1/conversations/${conversationId}/messages/${replyId}/regenerate`).set(user.auth).expect(200);
      expect(regenerated.body.reply).toMatchObject({ status: 'completed', replyToId: regenerated.body.message.id });
      expect(regenerated.body.reply.id).not.toBe(replyId);
      const after = await books(next, user.id);
      expect(after).toMatchObject({ reservations: 0, reserved: 0, messages: 2, ledgerMessages: 2 });
      expect(after['tokens']).toBe(after['ledgerTokens']);
    } finally {
      await next.close();
      await bury(crashed);
    }
  });

  it('on a database shared without Redis, leaves a young reply to its process and recovers it once it is old enough', async () => {
    // Processes sharing PostgreSQL only: with Redis, leases tell a dead process's replies sooner (test/scale-out.e2e-spec.ts).
    const crashed = await TestApp.start({ database, env: { ...SLOW, REDIS_URL: '' } });
    const user = await newAccount(crashed);
    const conversationId = await newConversation(crashed, user);
    const { replyId, atCrash } = await crashMidReply(crashed, await crashed.listen(), user, conversationId);

    // Another process on the same PostgreSQL (DATABASE_EXCLUSIVE unset with DATABASE_URL): it cannot tell a dead process's reply from a live one's.
    const next = await TestApp.start({ database, env: { REDIS_URL: '' } });
    try {
      expect(await storedReply(next, replyId)).toMatchObject({ status: 'streaming', content: atCrash.content });
      expect((await books(next, user.id))['reservations']).toBe(1);
      const busy = await next.http().get(`/api/v1/conversations/${conversationId}/messages/${replyId}/stream`).set(user.auth).expect(409);
      expect(busy.body.code).toBe('reply_in_progress');

      // Once older than its reservation's lifetime, the periodic sweep recovers it, settling its reservation exactly.
      const older = `${next.config.usage.reservationTtlSeconds + 1} seconds`;
      await next.app.get(DataSource).query(`UPDATE messages SET created_at = created_at - $2::interval WHERE id = $1`, [replyId, older]);
      await next.app.get(DataSource).query(`UPDATE usage_reservations SET expires_at = expires_at - $2::interval WHERE message_id = $1`, [replyId, older]);
      await next.app.get(QuotaService).sweep();
      const reply = await storedReply(next, replyId);
      expect(reply).toMatchObject({
        status: 'failed',
        error_code: 'interrupted',
        content: atCrash.content,
        input_tokens: atCrash.input_tokens,
        output_tokens: next.app.get(ContextBuilder).countText(atCrash.content),
      });
      const ledger = await books(next, user.id);
      expect(ledger).toMatchObject({ reservations: 0, reserved: 0, messages: 1, ledgerMessages: 1 });
      expect(ledger['tokens']).toBe(ledger['ledgerTokens']);
      expect(ledger['tokens']).toBe(atCrash.input_tokens! + reply.output_tokens!);

      const resumed = await next.http().get(`/api/v1/conversations/${conversationId}/messages/${replyId}/stream`).set(user.auth).set('Accept', 'text/event-stream').expect(200);
      expect(resumed.text).toContain('event: error');
      expect(resumed.text).toContain('"code":"interrupted"');
    } finally {
      await next.close();
      await bury(crashed);
    }
  });
});
