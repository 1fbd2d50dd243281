import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseBuffer } from 'music-metadata';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { FakeOpenAIServer, GPT_FAKE } from './support/fake-openai.js';
import { EventStreamReader, type SseEvent } from './support/sse-client.js';
import { TestApp } from './support/test-app.js';
import { eventually } from './support/waiting.js';

const run = promisify(execFile);
const ADMIN = { email: 'voice-admin@example.com', password: 'admin password 123' };
/** A phrase the local recogniser hears reliably in espeak-ng's voice (with these settings), and the word it keeps. */
const SPOKEN = { text: 'the weather is nice today', heard: 'weather', espeak: ['-v', 'en-us', '-s', '140', '-p', '30'] };
/** The plan here: voice limits small enough to reach. */
const STT_SECONDS = 12;
const TTS_CHARACTERS = 4000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = Record<string, any>;

/**
 * Voice over HTTP with the real local engines, no fakes: espeak-ng speaks a sentence, it is sent
 * as a voice message, pocketsphinx transcribes it, and the reply is spoken by espeak-ng, whole
 * (GET .../audio, kept for free replays) and sentence by sentence while it streams (`reply.audio`).
 * Every speech call is reserved and billed in the ledger exactly; refusals change nothing.
 */
describe('voice', () => {
  let sut: TestApp;
  let base: string;
  let dataSource: DataSource;
  let work: string;
  let alice: TestAccount;
  let bob: TestAccount;
  let admin: TestAccount;
  let novaId: string;
  let spoken: Buffer;
  let upstream: FakeOpenAIServer;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'chorus-voice-'));
    upstream = await FakeOpenAIServer.start();
    sut = await TestApp.start({
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        PROVIDERS: JSON.stringify([{ name: 'fake', kind: 'openai', baseUrl: upstream.baseUrl, apiKey: 'sk-voice', maxRetries: 0, models: [GPT_FAKE] }]),
        DEFAULT_MODEL: 'simulated/simulated-chat',
        MEDIA_DIR: join(work, 'media'),
        SIMULATED_FIRST_TOKEN_MS: '0',
        SIMULATED_TOKENS_PER_SECOND: '2000',
        PLANS: JSON.stringify({
          free: { requestsPerMinute: 10_000, media: { uploadsPerDay: 1000 }, voice: { sttSecondsPerMonth: STT_SECONDS, ttsCharactersPerMonth: TTS_CHARACTERS } },
        }),
      },
    });
    base = await sut.listen();
    dataSource = sut.app.get(DataSource);
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    alice = await newAccount(sut);
    bob = await newAccount(sut);
    novaId = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id;
    await run('espeak-ng', [...SPOKEN.espeak, '-w', join(work, 'spoken.wav'), SPOKEN.text]);
    spoken = await readFile(join(work, 'spoken.wav'));
  });

  afterAll(async () => {
    await sut?.close();
    await upstream?.close();
    await rm(work, { recursive: true, force: true });
  });

  const newConversation = async (account: TestAccount, influencerId = novaId): Promise<string> =>
    (await sut.http().post('/api/v1/conversations').set(account.auth).send({ influencerId }).expect(201)).body.id;

  const uploadAudio = async (account: TestAccount, bytes: Buffer = spoken, filename = 'voice.wav'): Promise<Body> => {
    const response = await sut.http().post('/api/v1/media').set(account.auth).attach('file', bytes, { filename, contentType: 'application/octet-stream' });
    expect([201, 202]).toContain(response.status);
    expect(response.body).toMatchObject({ status: 'ready', contentType: 'audio/wav' });
    return response.body;
  };

  const send = (account: TestAccount, conversationId: string, body: Body) =>
    sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(account.auth).send({ clientMessageId: randomUUID(), ...body });

  const stream = (account: TestAccount, conversationId: string, body: Body) =>
    EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...account.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientMessageId: randomUUID(), ...body }),
    });

  /** The user's voice ledger and counters: what speech calls were billed. */
  async function voiceBooks(account: TestAccount) {
    const [row] = await dataSource.query(
      `SELECT (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'voice.stt_seconds')::int AS "sttSeconds",
              (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'voice.tts_characters')::int AS "ttsCharacters",
              (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1)::int AS reserved,
              (SELECT count(*) FROM usage_events WHERE user_id = $1 AND modality = 'voice')::int AS events,
              (SELECT coalesce(sum(quantity), 0) FROM usage_events WHERE user_id = $1 AND modality = 'voice')::int AS quantity`,
      [account.id],
    );
    return row as { sttSeconds: number; ttsCharacters: number; reserved: number; events: number; quantity: number };
  }

  async function conversationState(conversationId: string) {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*) FROM messages WHERE conversation_id = $1)::int AS messages, (SELECT count(*) FROM message_attachments)::int AS attachments`,
      [conversationId],
    );
    return row as { messages: number; attachments: number };
  }

  const fetchAudio = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(url, base), { headers });
    return { status: response.status, type: response.headers.get('content-type'), cached: response.headers.get('x-speech-cached'), bytes: Buffer.from(await response.arrayBuffer()) };
  };

  const secondsOf = async (audio: Buffer, mimeType: string) => (await parseBuffer(audio, { mimeType }, { duration: true })).format.duration ?? 0;

  it('a voice message is transcribed by the local engine, carries its audio, and the reply is spoken and replayed for free', async () => {
    const conversationId = await newConversation(alice);
    const audio = await uploadAudio(alice);
    const seconds = Math.ceil(audio.durationMs / 1000);
    expect(audio.durationMs).toBeGreaterThan(500);

    const sent = await send(alice, conversationId, { audio: audio.id }).expect(200);
    expect(sent.body.message.content).toContain(SPOKEN.heard);
    expect(sent.body.message.attachments).toEqual([expect.objectContaining({ mediaId: audio.id, source: 'user', contentType: 'audio/wav', durationMs: audio.durationMs })]);
    expect(sent.body.reply.content).toContain(SPOKEN.heard);
    expect(await voiceBooks(alice)).toEqual({ sttSeconds: seconds, ttsCharacters: 0, reserved: 0, events: 1, quantity: seconds });

    const replyId = sent.body.reply.id;
    const first = await fetchAudio(`/api/v1/conversations/${conversationId}/messages/${replyId}/audio`, alice.auth);
    expect(first).toMatchObject({ status: 200, type: 'audio/wav', cached: 'false' });
    // Roughly 2.5 words a second: a reply of some forty words lasts seconds, not milliseconds or minutes.
    const duration = await secondsOf(first.bytes, 'audio/wav');
    expect(duration).toBeGreaterThan(3);
    expect(duration).toBeLessThan(120);
    const spokenCharacters = (await voiceBooks(alice)).ttsCharacters;
    expect(spokenCharacters).toBeGreaterThan(40);
    expect(spokenCharacters).toBeLessThanOrEqual(sent.body.reply.content.length);

    const replay = await fetchAudio(`/api/v1/conversations/${conversationId}/messages/${replyId}/audio`, alice.auth);
    expect(replay).toMatchObject({ status: 200, type: 'audio/wav', cached: 'true' });
    expect(replay.bytes.equals(first.bytes)).toBe(true);
    expect(await voiceBooks(alice)).toEqual({ sttSeconds: seconds, ttsCharacters: spokenCharacters, reserved: 0, events: 2, quantity: seconds + spokenCharacters });

    // Another user's reply is not there for Bob; a format the local engine does not speak is refused.
    expect((await fetchAudio(`/api/v1/conversations/${conversationId}/messages/${replyId}/audio`, bob.auth)).status).toBe(404);
    const mp3 = await sut.http().get(`/api/v1/conversations/${conversationId}/messages/${replyId}/audio?format=mp3`).set(alice.auth);
    if (mp3.status !== 200) expect(mp3.body.code).toBe('audio_format_unavailable');
  });

  it('speaks a streamed reply sentence by sentence, in order, before it completes; a resume replays the speech events', async () => {
    const conversationId = await newConversation(alice);
    const reader = await stream(alice, conversationId, { content: 'Tell me something. Then something else!', speak: true });
    const events = await reader.rest();
    const completedAt = events.findIndex((event) => event.event === 'reply.completed');
    const audio = events.filter((event) => event.event === 'reply.audio');
    expect(completedAt).toBeGreaterThan(0);
    expect(audio.length).toBeGreaterThanOrEqual(3);
    expect(events.findLastIndex((event) => event.event === 'reply.audio')).toBeLessThan(completedAt);
    expect(audio.map((event) => event.data['index'])).toEqual(audio.map((_, index) => index));
    expect(events.some((event) => event.event === 'reply.audio.failed')).toBe(false);
    // Spoken together, the sentences are the reply.
    const content = String(events[completedAt]!.data['content']);
    expect(audio.map((event) => event.data['text']).join(' ')).toBe(content.replace(/\s+/g, ' ').trim());
    for (const event of audio) {
      const clip = await fetchAudio(String(event.data['url']));
      expect(clip).toMatchObject({ status: 200, type: 'audio/wav' });
      expect(await secondsOf(clip.bytes, 'audio/wav')).toBeGreaterThan(0.2);
    }

    const replyId = String(events.find((event) => event.event === 'reply.started')!.data['messageId']);
    const from = audio[0]!.id;
    const resumed = await (
      await EventStreamReader.open(`${base}/api/v1/conversations/${conversationId}/messages/${replyId}/stream`, { headers: { ...alice.auth, 'Last-Event-ID': String(from) } })
    ).rest();
    expect(resumed.filter((event) => event.event === 'reply.audio').map((event: SseEvent) => event.id)).toEqual(audio.slice(1).map((event) => event.id));
    expect(resumed.at(-1)!.event).toBe('reply.completed');

    // The whole reply spoken later is another clip (another text): its characters are billed once.
    const books = await voiceBooks(alice);
    const whole = await fetchAudio(`/api/v1/conversations/${conversationId}/messages/${replyId}/audio`, alice.auth);
    expect(whole).toMatchObject({ status: 200, cached: 'false' });
    expect((await voiceBooks(alice)).ttsCharacters).toBe(books.ttsCharacters + content.length);
  });

  it('speaks each sentence while the reply is still being written', async () => {
    // A model that writes two sentences, then stops sending while its reply stays open.
    upstream.reset({ tokens: ['Saturn is up ', 'after dark. ', 'Look south, ', 'low in the sky! ', 'And then'], stallAfter: 4 });
    const handle = `v-${randomUUID().slice(0, 8)}`;
    const influencerId = (
      await sut
        .http()
        .post('/api/v1/influencers')
        .set(admin.auth)
        .send({ handle, displayName: handle, category: 'test', systemPrompt: 'You are V.', greeting: 'Hi', modelPolicy: { primary: { provider: 'fake', model: GPT_FAKE.id }, fallbacks: [] } })
        .expect(201)
    ).body.id;
    const conversationId = await newConversation(alice, influencerId);
    const reader = await stream(alice, conversationId, { content: 'Where is Saturn?', speak: true });
    const head = await reader.until((event) => event.event === 'reply.audio' && event.data['index'] === 1, 30_000);
    const spokenSoFar = head.filter((event) => event.event === 'reply.audio').map((event) => event.data['text']);
    expect(spokenSoFar).toEqual(['Saturn is up after dark.', 'Look south, low in the sky!']);
    // Both were spoken while the model had not finished: the reply is still streaming, until cancelled.
    const replyId = String(head.find((event) => event.event === 'reply.started')!.data['messageId']);
    await sut.http().post(`/api/v1/conversations/${conversationId}/messages/${replyId}/cancel`).set(alice.auth).expect(200);
    const rest = await reader.rest();
    expect(rest.at(-1)).toMatchObject({ event: 'reply.completed', data: { status: 'cancelled' } });
    // A cancelled reply's unfinished sentence is not spoken.
    expect(rest.filter((event) => event.event === 'reply.audio')).toEqual([]);
  });

  it('lists the voices of the installed engines, which personas name (admins only may set them)', async () => {
    const catalogue = (await sut.http().get('/api/v1/voices').set(alice.auth).expect(200)).body;
    expect(catalogue.textToSpeech).toContainEqual(expect.objectContaining({ name: 'espeak-ng', kind: 'espeak-ng', formats: ['wav'], available: true, isDefault: true }));
    expect(catalogue.speechToText).toContainEqual(expect.objectContaining({ name: 'pocketsphinx', available: true, isDefault: true }));
    expect(catalogue.voices).toContainEqual(expect.objectContaining({ provider: 'espeak-ng', voiceId: 'en-us' }));
    await sut.http().get('/api/v1/voices').expect(401);

    const nova = (await sut.http().get(`/api/v1/influencers/${novaId}`).expect(200)).body;
    expect(nova.voice).toEqual({ provider: 'espeak-ng', voiceId: 'en-us+f3', speed: 0.95 });
    const unknown = await sut.http().patch(`/api/v1/influencers/${novaId}`).set(admin.auth).send({ voice: { provider: 'nowhere' } }).expect(400);
    expect(unknown.body.code).toBe('unknown_voice_provider');
    await sut.http().patch(`/api/v1/influencers/${novaId}`).set(alice.auth).send({ voice: { voiceId: 'en-gb' } }).expect(403);
  });

  describe('refuses, storing and billing nothing', () => {
    const png = () => sharp({ create: { width: 16, height: 16, channels: 3, background: '#123456' } }).png().toBuffer();

    it.each([
      ['text with audio', async (audioId: string) => ({ content: 'hello', audio: audioId }), 400, 'validation_failed'],
      ['an id that is not an upload', async () => ({ audio: randomUUID() }), 404, 'not_found'],
      ["another user's audio", async () => ({ audio: (await uploadAudio(bob)).id }), 404, 'not_found'],
      [
        'an image for audio',
        async () => {
          const accepted = await sut.http().post('/api/v1/media').set(alice.auth).attach('file', await png(), { filename: 'x.png', contentType: 'image/png' }).expect(202);
          await eventually(
            'image ready',
            async () => (await sut.http().get(`/api/v1/media/${accepted.body.id}`).set(alice.auth)).body.status,
            (status) => status === 'ready',
            { timeoutMs: 10_000, everyMs: 50 },
          );
          return { audio: accepted.body.id };
        },
        422,
        'media_not_audio',
      ],
    ])('%s', async (_case, body, status, code) => {
      const conversationId = await newConversation(alice);
      const audio = await uploadAudio(alice);
      const request = await body(audio.id);
      const before = { conversation: await conversationState(conversationId), books: await voiceBooks(alice) };
      const refused = await send(alice, conversationId, request).expect(status);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body.code).toBe(code);
      expect({ conversation: await conversationState(conversationId), books: await voiceBooks(alice) }).toEqual(before);
    });

    it('a voice message over the monthly seconds: 429, and the audio can be sent again later by id', async () => {
      const carol = await newAccount(sut);
      const conversationId = await newConversation(carol);
      const audio = await uploadAudio(carol);
      const seconds = Math.ceil(audio.durationMs / 1000);
      // Fill the month up to less than this message needs.
      await dataSource.query(
        `INSERT INTO usage_counters (user_id, metric, period_start, used, reserved) VALUES ($1, 'voice.stt_seconds', $2, $3, 0)`,
        [carol.id, new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)), STT_SECONDS - seconds + 1],
      );
      const before = { conversation: await conversationState(conversationId), books: await voiceBooks(carol) };
      const refused = await send(carol, conversationId, { audio: audio.id }).expect(429);
      expect(refused.body).toMatchObject({ code: 'quota_exceeded', limit: 'voice.sttSecondsPerMonth' });
      expect({ conversation: await conversationState(conversationId), books: await voiceBooks(carol) }).toEqual(before);
      const [{ transcript }] = await dataSource.query('SELECT transcript FROM media WHERE id = $1', [audio.id]);
      expect(transcript).toBeNull();
    });
  });
});
