import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { FakeOpenAIServer, GPT_FAKE, within, type RecordedRequest } from './support/fake-openai.js';
import { EventStreamReader, type SseEvent } from './support/sse-client.js';
import { TestApp } from './support/test-app.js';
import { BOOKS_COLUMNS, type Books } from './support/usage-books.js';
import { eventually } from './support/waiting.js';

const ADMIN = { email: 'gallery@example.com', password: 'admin password 123' };
/** What a message may carry here. */
const MAX_ATTACHMENTS = 2;
/** The fake upstream's models: one that reads images (GPT_FAKE: $2 and $10 per million tokens), one that does not. */
const SEEING = { provider: 'fake', model: GPT_FAKE.id } as const;
const BLIND = { provider: 'fake', model: 'gpt-blind' } as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = Record<string, any>;

/**
 * Media in chat over HTTP: a user's uploads sent with a message (seen by the simulated persona,
 * shown in the history with thumbnails, refused whole when they cannot be sent), and a persona's
 * gallery photos sent mid-reply by its `send_media` tool (the simulator's, and a scripted
 * OpenAI-compatible model's, whose two rounds are billed exactly).
 */
describe('attachments in conversations', () => {
  let sut: TestApp;
  let base: string;
  let dataSource: DataSource;
  let mediaDir: string;
  let upstream: FakeOpenAIServer;
  let admin: TestAccount;
  let alice: TestAccount;
  let bob: TestAccount;
  let novaId: string;

  beforeAll(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'chorus-attachments-'));
    upstream = await FakeOpenAIServer.start();
    // Written out: the test support's ProviderEntry predates `vision` (false when absent).
    const models = [
      { ...GPT_FAKE, vision: true },
      { ...GPT_FAKE, id: BLIND.model },
    ];
    sut = await TestApp.start({
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        MEDIA_DIR: mediaDir,
        MEDIA_MAX_ATTACHMENTS: String(MAX_ATTACHMENTS),
        PROVIDERS: JSON.stringify([{ name: SEEING.provider, kind: 'openai', baseUrl: upstream.baseUrl, apiKey: 'sk-attachments', maxRetries: 0, models }]),
        DEFAULT_MODEL: 'simulated/simulated-chat',
        // Room for the uploads of these tests; `premium` opens premium personas (and their premium photos).
        PLANS: JSON.stringify({
          free: { requestsPerMinute: 10_000, media: { uploadsPerDay: 1000 } },
          premium: { requestsPerMinute: 10_000, media: { uploadsPerDay: 1000 }, premiumPersonas: true },
        }),
      },
    });
    base = await sut.listen();
    dataSource = sut.app.get(DataSource);
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    alice = await newAccount(sut);
    bob = await newAccount(sut);
    novaId = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
  });

  afterEach(() => upstream.reset());

  afterAll(async () => {
    await sut?.close();
    await upstream?.close();
    await rm(mediaDir, { recursive: true, force: true });
  });

  const png = (width: number, height: number, background = '#3366cc') => sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();

  /** Uploads an image as `account` and waits until it is ready: its id, and its size once cleaned. */
  async function uploaded(account: TestAccount, bytes?: Buffer): Promise<{ id: string; bytes: number }> {
    const accepted = await sut.http().post('/api/v1/media').set(account.auth).attach('file', bytes ?? (await png(64, 48)), { filename: 'photo.png', contentType: 'image/png' }).expect(202);
    const ready = await eventually(
      `media ${accepted.body.id} ready`,
      async () => (await sut.http().get(`/api/v1/media/${accepted.body.id}`).set(account.auth).expect(200)).body as Body,
      (body) => body['status'] !== 'processing',
      { timeoutMs: 10_000, everyMs: 50 },
    );
    expect(ready['status']).toBe('ready');
    return { id: accepted.body.id, bytes: ready['bytes'] };
  }

  async function persona(options: { model?: { provider: string; model: string }; premiumOnly?: boolean } = {}): Promise<string> {
    const handle = `p-${randomUUID().slice(0, 8)}`;
    const response = await sut
      .http()
      .post('/api/v1/influencers')
      .set(admin.auth)
      .send({
        handle,
        displayName: handle,
        category: 'test',
        systemPrompt: `You are ${handle}.`,
        greeting: `Hello from ${handle}`,
        modelPolicy: { primary: options.model ?? { provider: 'simulated', model: 'simulated-chat' }, fallbacks: [] },
        ...(options.premiumOnly ? { premiumOnly: true } : {}),
      })
      .expect(201);
    return response.body.id;
  }

  /**
   * A ready photo in the persona's gallery, with these tags: uploaded by an admin through
   * POST /admin/influencers/{id}/media.
   */
  async function galleryPhoto(influencerId: string, tags: string[], options: { premiumOnly?: boolean } = {}): Promise<string> {
    const fields = { purpose: 'gallery', tags: tags.join(','), ...(options.premiumOnly ? { premiumOnly: 'true' } : {}) };
    let request = sut.http().post(`/api/v1/admin/influencers/${influencerId}/media`).set(admin.auth);
    for (const [name, value] of Object.entries(fields)) request = request.field(name, value);
    const accepted = await request.attach('file', await png(32, 32, '#ffcc00'), { filename: `${tags[0]}.png`, contentType: 'image/png' }).expect(202);
    const status = await eventually(
      `gallery photo ${accepted.body.id} processed`,
      async () => (await dataSource.query('SELECT status FROM media WHERE id = $1', [accepted.body.id]))[0]?.status,
      (current) => current !== 'processing',
      { timeoutMs: 10_000, everyMs: 50 },
    );
    expect(status).toBe('ready');
    return accepted.body.id;
  }

  const newConversation = async (account: TestAccount, influencerId = novaId): Promise<string> =>
    (await sut.http().post('/api/v1/conversations').set(account.auth).send({ influencerId }).expect(201)).body.id;

  const send = (account: TestAccount, conversationId: string, body: Record<string, unknown>) =>
    sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(account.auth).send({ clientMessageId: randomUUID(), ...body });

  const stream = (account: TestAccount, conversationId: string, body: Record<string, unknown>) =>
    EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...account.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientMessageId: randomUUID(), ...body }),
    });

  const textOf = (events: SseEvent[]) => events.filter((event) => event.event === 'reply.delta').map((event) => event.data['text']).join('');

  const history = async (account: TestAccount, conversationId: string): Promise<Body[]> =>
    (await sut.http().get(`/api/v1/conversations/${conversationId}/messages`).set(account.auth).expect(200)).body.items;

  async function books(account: TestAccount): Promise<Books> {
    const [row] = await dataSource.query(`SELECT ${BOOKS_COLUMNS}`, [account.id]);
    return row;
  }

  /** What a refused send must leave unchanged: the conversation's messages, the attachments, the user's usage books. */
  async function snapshot(account: TestAccount, conversationId: string) {
    const [{ messages }] = await dataSource.query('SELECT count(*)::int AS messages FROM messages WHERE conversation_id = $1', [conversationId]);
    const [{ attachments }] = await dataSource.query('SELECT count(*)::int AS attachments FROM message_attachments');
    return { messages, attachments, books: await books(account) };
  }

  const download = async (url: string) => {
    const response = await fetch(new URL(url, base));
    return { status: response.status, type: response.headers.get('content-type') };
  };

  describe("a user's images", () => {
    it('reach the persona, which sees them; the answer and the history show them with thumbnails; a retry attaches nothing twice', async () => {
      const conversationId = await newConversation(alice);
      const photo = await uploaded(alice);
      const clientMessageId = randomUUID();

      const sent = await send(alice, conversationId, { content: 'What do you see?', clientMessageId, attachments: [photo.id] }).expect(200);
      expect(sent.body.message.attachments).toEqual([
        expect.objectContaining({ mediaId: photo.id, source: 'user', contentType: 'image/png', width: 64, height: 48, bytes: photo.bytes, caption: null }),
      ]);
      // The simulated persona describes the image it was shown: its type, size and weight.
      expect(sent.body.reply.content).toContain(`I can see your image (image/png, 64×48, ${(photo.bytes / 1024).toFixed(1)} KB)`);
      const { urls } = sent.body.message.attachments[0];
      expect(await download(urls.thumbnail)).toEqual({ status: 200, type: 'image/webp' });
      expect(await download(urls.image)).toEqual({ status: 200, type: 'image/png' });

      const [greeting, asked, reply] = await history(alice, conversationId);
      expect(greeting!.attachments).toEqual([]);
      expect(asked!.attachments).toEqual([expect.objectContaining({ mediaId: photo.id, source: 'user', urls: expect.objectContaining({ thumbnail: expect.any(String) }) })]);
      expect(reply!.attachments).toEqual([]);

      const retried = await send(alice, conversationId, { content: 'What do you see?', clientMessageId, attachments: [photo.id] }).expect(200);
      expect(retried.body.message).toMatchObject({ id: sent.body.message.id, attachments: [expect.objectContaining({ mediaId: photo.id })] });
      expect(retried.body.reply.id).toBe(sent.body.reply.id);
      const rows = await dataSource.query('SELECT message_id, position, source FROM message_attachments WHERE media_id = $1', [photo.id]);
      expect(rows).toEqual([{ message_id: sent.body.message.id, position: 0, source: 'user' }]);

      // A regenerated reply is shown the image again.
      const again = await sut.http().post(`/api/v1/conversations/${conversationId}/messages/${sent.body.reply.id}/regenerate`).set(alice.auth).expect(200);
      expect(again.body.message.attachments).toEqual([expect.objectContaining({ mediaId: photo.id })]);
      expect(again.body.reply.content).toContain('I can see your image (image/png, 64×48');
    });

    it('may be sent alone, streamed with the user message event, and stay in the context of later turns', async () => {
      // A persona of few words: what its prompts hold besides the images is well under their cost.
      const conversationId = await newConversation(alice, await persona());
      const [first, second] = [await uploaded(alice), await uploaded(alice, await png(20, 10))];
      const events = await (await stream(alice, conversationId, { content: '', attachments: [first.id, second.id] })).rest();
      expect(events[0]!.data['message']).toMatchObject({ content: '', attachments: [{ mediaId: first.id }, { mediaId: second.id }] });
      expect(textOf(events)).toContain('I can see your 2 images (image/png, 64×48');
      const alone = events.at(-1)!.data as Body;

      // The simulator counts 85 tokens for each image it is shown, a word each for the rest: the next turn's prompt still carries both.
      expect(alone['usage'].inputTokens).toBeGreaterThan(2 * 85);
      const later = await send(alice, conversationId, { content: 'And now?' }).expect(200);
      expect(later.body.reply.content).not.toContain('I can see');
      expect(later.body.reply.usage.inputTokens).toBeGreaterThan(2 * 85);
    });

    it.each([
      ['more attachments than a message may carry', 'too_many_attachments', 422, (ids: string[]) => ({ content: 'hi', attachments: ids.slice(0, MAX_ATTACHMENTS + 1) })],
      ['an attachment listed twice', 'validation_failed', 400, (ids: string[]) => ({ content: 'hi', attachments: [ids[0], ids[0]] })],
      ['many more than any deployment allows', 'too_many_attachments', 422, () => ({ content: 'hi', attachments: Array.from({ length: 500 }, () => randomUUID()) })],
      ['a text for the list', 'validation_failed', 400, (ids: string[]) => ({ content: 'hi', attachments: ids[0] })],
      ['an id that is not one', 'validation_failed', 400, () => ({ content: 'hi', attachments: ['not-a-uuid'] })],
      ['no text and no attachment', 'validation_failed', 400, () => ({ content: '', attachments: [] })],
      ['a media that does not exist', 'not_found', 404, () => ({ content: 'hi', attachments: [randomUUID()] })],
    ])('refuses %s, storing and billing nothing', async (_case, code, status, body) => {
      const conversationId = await newConversation(alice);
      const ids = [(await uploaded(alice)).id, (await uploaded(alice)).id, (await uploaded(alice)).id];
      const before = await snapshot(alice, conversationId);
      const refused = await send(alice, conversationId, body(ids)).expect(status);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe(code);
      // One message for a list that is not one, not one per rule it breaks.
      if (status === 400 && refused.body.errors?.[0]?.field === 'attachments') expect(refused.body.errors).toHaveLength(1);
      expect(await snapshot(alice, conversationId)).toEqual(before);
    });

    it("refuses another user's upload (404), one not ready yet, and one sent already (409), storing and billing nothing", async () => {
      const conversationId = await newConversation(alice);
      const bobs = await uploaded(bob);
      const processing = await uploaded(alice);
      await dataSource.query(`UPDATE media SET status = 'processing' WHERE id = $1`, [processing.id]);
      const once = await uploaded(alice);
      await send(alice, conversationId, { content: 'first', attachments: [once.id] }).expect(200);

      const before = await snapshot(alice, conversationId);
      expect((await send(alice, conversationId, { content: 'hi', attachments: [bobs.id] }).expect(404)).body.code).toBe('not_found');
      expect((await send(alice, conversationId, { content: 'hi', attachments: [processing.id] }).expect(409)).body.code).toBe('media_not_ready');
      expect((await send(alice, conversationId, { content: 'again', attachments: [once.id] }).expect(409)).body.code).toBe('media_already_attached');
      expect(await snapshot(alice, conversationId)).toEqual(before);
      // Bob's upload is still his alone.
      await sut.http().get(`/api/v1/media/${bobs.id}`).set(bob.auth).expect(200);
    });

    it('are refused with 422 model_not_multimodal by a persona whose model does not read images, before anything is stored or billed', async () => {
      const conversationId = await newConversation(alice, await persona({ model: BLIND }));
      const photo = await uploaded(alice);
      const before = await snapshot(alice, conversationId);
      const refused = await send(alice, conversationId, { content: 'Look!', attachments: [photo.id] }).expect(422);
      expect(refused.body).toMatchObject({ code: 'model_not_multimodal', model: `${BLIND.provider}/${BLIND.model}` });
      expect(refused.body.detail).toContain(`${BLIND.provider}/${BLIND.model}`);
      expect(await snapshot(alice, conversationId)).toEqual(before);
      expect(upstream.requests).toEqual([]);
      // The upload is free to be sent elsewhere.
      const elsewhere = await newConversation(alice);
      await send(alice, elsewhere, { content: 'Look!', attachments: [photo.id] }).expect(200);
    });

    it('are deleted with their conversation', async () => {
      const conversationId = await newConversation(alice);
      const photo = await uploaded(alice);
      await send(alice, conversationId, { content: 'Keep this', attachments: [photo.id] }).expect(200);
      await sut.http().delete(`/api/v1/conversations/${conversationId}`).set(alice.auth).expect(204);
      await sut.http().get(`/api/v1/media/${photo.id}`).set(alice.auth).expect(404);
      expect(await dataSource.query('SELECT id FROM media WHERE id = $1', [photo.id])).toEqual([]);
    });
  });

  describe("a persona's gallery", () => {
    it('sends a photo mid-reply: a reply.media event between the texts of both rounds, kept with the reply', async () => {
      const influencerId = await persona();
      const beach = await galleryPhoto(influencerId, ['beach', 'sunset']);
      await galleryPhoto(influencerId, ['city']);
      const conversationId = await newConversation(alice, influencerId);

      const events = await (await stream(alice, conversationId, { content: 'Send me a photo of the beach' })).rest();
      const media = events.findIndex((event) => event.event === 'reply.media');
      expect(media).toBeGreaterThan(2);
      const replyId = String(events[0]!.data['replyId']);
      expect(events[media]!.data).toMatchObject({ messageId: replyId, media: { mediaId: beach, source: 'persona', urls: { thumbnail: expect.any(String) } } });
      expect(textOf(events.slice(0, media))).toBe('Sure, sending you one now.');
      // The second round's text joins the first's with a space.
      expect(textOf(events.slice(media))).toMatch(/^ Done, I sent it to you\. The tool said: "Sent the user a photo .*beach.*"\.$/);
      const completed = events.at(-1)!;
      expect(completed).toMatchObject({ event: 'reply.completed', data: { status: 'completed', finishReason: 'stop', content: textOf(events) } });
      expect(completed.data['attachments']).toEqual([expect.objectContaining({ mediaId: beach, source: 'persona' })]);
      expect(await download(String((events[media]!.data['media'] as Body)['urls'].thumbnail))).toEqual({ status: 200, type: 'image/webp' });

      const reply = (await history(alice, conversationId)).at(-1)!;
      expect(reply).toMatchObject({ id: replyId, content: textOf(events), attachments: [expect.objectContaining({ mediaId: beach, source: 'persona' })] });
      // The ledger has what the reply's two rounds consumed, as the message says.
      const [event] = await dataSource.query('SELECT input_tokens, output_tokens FROM usage_events WHERE message_id = $1', [replyId]);
      expect(event).toEqual({ input_tokens: reply.usage.inputTokens, output_tokens: reply.usage.outputTokens });
      expect((await books(alice)).reserved).toBe(0);

      // Another process, which never saw the reply live, rebuilds its end with the photo.
      const other = await TestApp.start({ database: sut.database, env: { MEDIA_DIR: mediaDir, SEED_EXAMPLE_PERSONAS: 'false' } });
      try {
        const otherBase = await other.listen();
        const rebuilt = await (await EventStreamReader.open(`${otherBase}/api/v1/conversations/${conversationId}/messages/${replyId}/stream`, { headers: alice.auth })).rest();
        expect(rebuilt.at(-1)!.data['attachments']).toEqual([expect.objectContaining({ mediaId: beach })]);
      } finally {
        await other.close();
      }

      // Deleting the conversation leaves the persona's photo in its gallery.
      await sut.http().delete(`/api/v1/conversations/${conversationId}`).set(alice.auth).expect(204);
      expect(await dataSource.query('SELECT id FROM media WHERE id = $1', [beach])).toEqual([{ id: beach }]);
    });

    it('never sends a premium-only photo to a plan without premium personas', async () => {
      const influencerId = await persona();
      const yacht = await galleryPhoto(influencerId, ['yacht'], { premiumOnly: true });
      const beach = await galleryPhoto(influencerId, ['beach']);
      let conversationId = '';
      const sentTo = async (account: TestAccount) => {
        conversationId = await newConversation(account, influencerId);
        const events = await (await stream(account, conversationId, { content: 'A picture of the yacht please' })).rest();
        return events.filter((event) => event.event === 'reply.media').map((event) => (event.data['media'] as Body)['mediaId']);
      };
      for (let attempt = 0; attempt < 3; attempt++) expect(await sentTo(alice)).toEqual([beach]);

      const carol = await newAccount(sut);
      await sut.http().patch(`/api/v1/admin/users/${carol.id}`).set(admin.auth).send({ plan: 'premium' }).expect(200);
      expect(await sentTo(carol)).toEqual([yacht]);
      const reply = (await history(carol, conversationId)).at(-1)!;
      expect(reply['attachments']).toEqual([expect.objectContaining({ mediaId: yacht })]);

      // A plan that loses premium personas no longer gets the premium photos sent before (a stream's replay, kept minutes, repeats what it sent).
      await sut.http().patch(`/api/v1/admin/users/${carol.id}`).set(admin.auth).send({ plan: 'free' }).expect(200);
      const downgraded = await signIn(sut, carol.email, carol.password);
      expect((await history(downgraded, conversationId)).at(-1)!['attachments']).toEqual([]);
    });

    describe('through a model that calls tools (OpenAI-compatible)', () => {
      /** The second round: the request whose last message is the tool's result. */
      const isToolRound = (request: RecordedRequest) => (request.body as Body | undefined)?.['messages']?.at(-1)?.role === 'tool';
      let influencerId: string;
      let photo: string;

      beforeAll(async () => {
        influencerId = await persona({ model: SEEING });
        photo = await galleryPhoto(influencerId, ['beach']);
      });

      beforeEach(() => {
        upstream.reset({
          tokens: ['Sure, ', 'one moment.'],
          toolCalls: [{ id: 'call_1', name: 'send_media', argumentFragments: ['{"tag":', '"beach"}'] }],
          finishReason: 'tool_calls',
          usage: { prompt_tokens: 120, completion_tokens: 9 },
        });
      });

      it('answers the call in a second round, same model and no tools, and bills both rounds exactly', async () => {
        upstream.route({ match: isToolRound, reply: { tokens: ['Here ', 'it is!'], toolCalls: undefined, finishReason: 'stop', usage: { prompt_tokens: 150, completion_tokens: 4 } } });
        const conversationId = await newConversation(alice, influencerId);
        const before = await books(alice);
        const events = await (await stream(alice, conversationId, { content: 'Show me the sea' })).rest();

        expect(events.map((event) => event.event).filter((type) => type !== 'reply.delta')).toEqual(['message', 'reply.started', 'reply.media', 'reply.completed']);
        expect(textOf(events)).toBe('Sure, one moment. Here it is!');
        expect(events.at(-1)!.data).toMatchObject({ usage: { inputTokens: 270, outputTokens: 13 }, finishReason: 'stop', servedBy: SEEING });

        const [first, second] = upstream.requests as Array<RecordedRequest & { body: Body }>;
        expect(upstream.requests).toHaveLength(2);
        expect(first!.body['tools']).toEqual([expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'send_media' }) })]);
        expect(second!.body['tools']).toBeUndefined();
        expect(second!.body['model']).toBe(SEEING.model);
        expect(second!.body['messages'].slice(-2)).toEqual([
          expect.objectContaining({ role: 'assistant', content: 'Sure, one moment.', tool_calls: [expect.objectContaining({ id: 'call_1', function: { name: 'send_media', arguments: '{"tag":"beach"}' } })] }),
          { role: 'tool', tool_call_id: 'call_1', content: expect.stringMatching(/^Sent the user a photo/) },
        ]);

        const replyId = String(events[0]!.data['replyId']);
        const [event] = await dataSource.query('SELECT input_tokens, output_tokens, cost_micros::int AS cost FROM usage_events WHERE message_id = $1', [replyId]);
        // $2 and $10 per million input and output tokens: 270 × 2 + 13 × 10 micro-dollars.
        expect(event).toEqual({ input_tokens: 270, output_tokens: 13, cost: 670 });
        const after = await books(alice);
        expect(after).toMatchObject({ reserved: 0, reservations: 0, tokens: before.tokens + 283, cost: before.cost + 670, messages: before.messages + 1 });
        expect((await history(alice, conversationId)).at(-1)!.attachments).toEqual([expect.objectContaining({ mediaId: photo })]);
      });

      it('is cancelled during its second round like any reply: the photo and both rounds are kept and billed', async () => {
        upstream.route({ match: isToolRound, reply: { tokens: ['Here ', 'it ', 'is!'], toolCalls: undefined, finishReason: 'stop', stallAfter: 1, usage: null } });
        const conversationId = await newConversation(alice, influencerId);
        const reader = await stream(alice, conversationId, { content: 'Show me the sea' });
        const seen = await reader.until((event) => event.event === 'reply.delta' && event.data['text'] === ' Here ', 5_000);
        const replyId = String(seen[0]!.data['replyId']);

        const cancelled = await sut.http().post(`/api/v1/conversations/${conversationId}/messages/${replyId}/cancel`).set(alice.auth).expect(200);
        expect(cancelled.body).toMatchObject({ status: 'cancelled', content: 'Sure, one moment. Here ', attachments: [expect.objectContaining({ mediaId: photo })] });
        expect(await within(upstream.requests[1]!.ended)).toBe('client_closed');
        const rest = await reader.rest();
        expect(rest.at(-1)).toMatchObject({ event: 'reply.completed', data: { status: 'cancelled', attachments: [expect.objectContaining({ mediaId: photo })] } });

        // The first round as reported, the second (which reported nothing) counted from what it streamed.
        const [event] = await dataSource.query('SELECT input_tokens, output_tokens FROM usage_events WHERE message_id = $1', [replyId]);
        expect(event.input_tokens).toBeGreaterThan(120);
        expect(event.output_tokens).toBeGreaterThan(9);
        expect(event).toEqual({ input_tokens: cancelled.body.usage.inputTokens, output_tokens: cancelled.body.usage.outputTokens });
        expect((await books(alice)).reserved).toBe(0);
      });
    });
  });
});
