import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { AudioSamples } from './support/audio-samples.js';
import { FakeOpenAIServer, GPT_FAKE, within } from './support/fake-openai.js';
import { FakeSpeech, fakeAudio, type SpeechAnswer, type SpeechRequest } from './support/fake-speech.js';
import { EventStreamReader, type SseEvent } from './support/sse-client.js';
import { TestApp } from './support/test-app.js';

const ADMIN = { email: 'voice-providers-admin@example.com', password: 'admin password 123' };
const OPENAI_KEY = 'sk-voice-providers';
const ELEVENLABS_KEY = 'xi-voice-providers';
/** The speech-to-text instance's timeout: a request left hanging fails after it (small, yet far above a local fake's answer). */
const STT_TIMEOUT_MS = 1500;
/** What the instances cost, as configured here. */
const WHISPER_USD_PER_MINUTE = 0.006;
const OPENAI_TTS_USD_PER_MILLION = 15;
const ELEVENLABS_USD_PER_MILLION = 50;
/** The plan here: voice limits small enough for a burst of speech to overflow. */
const STT_SECONDS = 120;
const TTS_CHARACTERS = 100;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Body = Record<string, any>;

interface VoiceBooks {
  /** The voice counters (this month). */
  readonly sttSeconds: number;
  readonly ttsCharacters: number;
  /** Held on any counter, and by how many reservations. */
  readonly reserved: number;
  readonly reservations: number;
  /** The ledger's voice events: how many, and their total quantity and cost. */
  readonly events: number;
  readonly quantity: number;
  readonly cost: number;
}

interface VoiceEvent {
  readonly provider: string;
  readonly model: string;
  readonly quantity: number;
  readonly costMicros: number;
  readonly conversationId: string | null;
  readonly messageId: string | null;
  readonly mediaId: string | null;
}

interface Audio {
  readonly status: number;
  readonly type: string | null;
  readonly cached: string | null;
  readonly bytes: Buffer;
}

/**
 * Voice over HTTP through remote providers, played by fakes speaking their wire protocols so that
 * the real SDKs are exercised: an OpenAI-compatible server (whisper-1 transcriptions,
 * gpt-4o-mini-tts speech) and ElevenLabs. Every speech call is reserved, then billed exactly in
 * the ledger (seconds and characters, at the instance's prices); a provider's failure stores,
 * bills and holds nothing, and leaves the request to be made again.
 */
describe('voice through remote providers', () => {
  let sut: TestApp;
  let base: string;
  let dataSource: DataSource;
  let work: string;
  let samples: AudioSamples;
  let speech: FakeSpeech;
  let upstream: FakeOpenAIServer;
  let admin: TestAccount;
  let spoken: Buffer;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'chorus-voice-providers-'));
    // The adapters import their SDK at their first call, inside its timeout; under Jest's VM modules that takes seconds
    // (ElevenLabs'), which is not what these tests measure: both are loaded once here (the app's imports then find them).
    await Promise.all([import('openai'), import('@elevenlabs/elevenlabs-js')]);
    samples = await AudioSamples.create();
    speech = await FakeSpeech.start({ openai: OPENAI_KEY, elevenlabs: ELEVENLABS_KEY });
    upstream = await FakeOpenAIServer.start();
    sut = await TestApp.start({
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        PROVIDERS: JSON.stringify([{ name: 'fake', kind: 'openai', baseUrl: upstream.baseUrl, apiKey: 'sk-chat', maxRetries: 0, models: [GPT_FAKE] }]),
        DEFAULT_MODEL: `fake/${GPT_FAKE.id}`,
        MEDIA_DIR: join(work, 'media'),
        // Failures here are scripted one after the other: breakers off, so that each one reaches the fake.
        STT_PROVIDERS: JSON.stringify([
          {
            name: 'whisper',
            kind: 'openai',
            baseUrl: speech.openaiBaseUrl,
            apiKey: OPENAI_KEY,
            model: 'whisper-1',
            usdPerMinute: WHISPER_USD_PER_MINUTE,
            timeoutMs: STT_TIMEOUT_MS,
            breakerThreshold: 0,
          },
        ]),
        STT_DEFAULT: 'whisper',
        TTS_PROVIDERS: JSON.stringify([
          {
            name: 'openai-tts',
            kind: 'openai',
            baseUrl: speech.openaiBaseUrl,
            apiKey: OPENAI_KEY,
            model: 'gpt-4o-mini-tts',
            usdPerMillionCharacters: OPENAI_TTS_USD_PER_MILLION,
            breakerThreshold: 0,
          },
          {
            name: 'elevenlabs',
            kind: 'elevenlabs',
            baseUrl: speech.origin,
            apiKey: ELEVENLABS_KEY,
            model: 'eleven_flash_v2_5',
            usdPerMillionCharacters: ELEVENLABS_USD_PER_MILLION,
            breakerThreshold: 0,
          },
        ]),
        TTS_DEFAULT: 'openai-tts',
        PLANS: JSON.stringify({
          free: { requestsPerMinute: 10_000, media: { uploadsPerDay: 1000 }, voice: { sttSecondsPerMonth: STT_SECONDS, ttsCharactersPerMonth: TTS_CHARACTERS } },
        }),
      },
    });
    base = await sut.listen();
    dataSource = sut.app.get(DataSource);
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    spoken = await samples.speak('what is the weather like today');
  });

  beforeEach(() => {
    speech.reset();
    upstream.reset();
  });

  afterAll(async () => {
    await sut?.close();
    await speech?.close();
    await upstream?.close();
    await samples?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A persona answered by the fake chat server, with `voice` set by the admin (none: TTS_DEFAULT's default voice). */
  const newPersona = async (voice?: Body): Promise<string> => {
    const handle = `vp-${randomUUID().slice(0, 8)}`;
    const created = await sut
      .http()
      .post('/api/v1/influencers')
      .set(admin.auth)
      .send({ handle, displayName: handle, category: 'test', systemPrompt: 'You are a test persona.', greeting: 'Hi', modelPolicy: { primary: { provider: 'fake', model: GPT_FAKE.id }, fallbacks: [] } })
      .expect(201);
    if (voice) {
      const patched = await sut.http().patch(`/api/v1/influencers/${created.body.id}`).set(admin.auth).send({ voice }).expect(200);
      expect(patched.body.voice).toEqual(voice);
    }
    return created.body.id;
  };

  const newConversation = async (account: TestAccount, influencerId: string): Promise<string> =>
    (await sut.http().post('/api/v1/conversations').set(account.auth).send({ influencerId }).expect(201)).body.id;

  const uploadAudio = async (account: TestAccount, filename = 'recording.wav'): Promise<Body> => {
    const response = await sut.http().post('/api/v1/media').set(account.auth).attach('file', spoken, { filename, contentType: 'application/octet-stream' });
    expect([201, 202]).toContain(response.status);
    expect(response.body).toMatchObject({ status: 'ready', contentType: 'audio/wav' });
    return response.body;
  };

  const send = (account: TestAccount, conversationId: string, body: Body) =>
    sut.http().post(`/api/v1/conversations/${conversationId}/messages`).set(account.auth).send({ clientMessageId: randomUUID(), ...body });

  /** A reply of exactly `text` (the fake chat server's tokens), answered whole; its id. */
  const replyWith = async (account: TestAccount, conversationId: string, text: string): Promise<string> => {
    upstream.script({ tokens: [text] });
    const sent = await send(account, conversationId, { content: 'Say something.' }).expect(200);
    expect(sent.body.reply).toMatchObject({ status: 'completed', content: text });
    return sent.body.reply.id;
  };

  const stream = (account: TestAccount, conversationId: string, body: Body) =>
    EventStreamReader.open(
      `${base}/api/v1/conversations/${conversationId}/messages`,
      { method: 'POST', headers: { ...account.auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ clientMessageId: randomUUID(), ...body }) },
      { timeoutMs: 30_000 },
    );

  const audioPath = (conversationId: string, replyId: string, format?: string) =>
    `/api/v1/conversations/${conversationId}/messages/${replyId}/audio${format ? `?format=${format}` : ''}`;

  const fetchAudio = async (path: string, headers: Record<string, string> = {}): Promise<Audio> => {
    const response = await fetch(new URL(path, base), { headers });
    return { status: response.status, type: response.headers.get('content-type'), cached: response.headers.get('x-speech-cached'), bytes: Buffer.from(await response.arrayBuffer()) };
  };

  /** A refusal's problem document (checked to be one). */
  const problemOf = (audio: Audio): Body => {
    expect(audio.type).toMatch(/^application\/problem\+json/);
    return JSON.parse(audio.bytes.toString('utf8')) as Body;
  };

  /** The user's voice counters, what is held, and the ledger's voice events. */
  async function voiceBooks(account: TestAccount): Promise<VoiceBooks> {
    const [row] = await dataSource.query(
      `SELECT (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'voice.stt_seconds')::int AS "sttSeconds",
              (SELECT coalesce(sum(used), 0) FROM usage_counters WHERE user_id = $1 AND metric = 'voice.tts_characters')::int AS "ttsCharacters",
              (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1)::int AS reserved,
              (SELECT count(*) FROM usage_reservations WHERE user_id = $1)::int AS reservations,
              (SELECT count(*) FROM usage_events WHERE user_id = $1 AND modality = 'voice')::int AS events,
              (SELECT coalesce(sum(quantity), 0) FROM usage_events WHERE user_id = $1 AND modality = 'voice')::int AS quantity,
              (SELECT coalesce(sum(cost_micros), 0) FROM usage_events WHERE user_id = $1 AND modality = 'voice')::int AS cost`,
      [account.id],
    );
    return row as VoiceBooks;
  }

  async function voiceEvents(account: TestAccount): Promise<VoiceEvent[]> {
    return dataSource.query(
      `SELECT provider, model, quantity::int AS quantity, cost_micros::int AS "costMicros", conversation_id AS "conversationId", message_id AS "messageId", media_id AS "mediaId"
         FROM usage_events WHERE user_id = $1 AND modality = 'voice' ORDER BY created_at, id`,
      [account.id],
    );
  }

  async function conversationState(conversationId: string, mediaId: string) {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*) FROM messages WHERE conversation_id = $1)::int AS messages,
              (SELECT count(*) FROM message_attachments WHERE media_id = $2)::int AS attachments,
              (SELECT transcript FROM media WHERE id = $2) AS transcript`,
      [conversationId, mediaId],
    );
    return row as { messages: number; attachments: number; transcript: unknown };
  }

  const transcriptions = (): SpeechRequest[] => speech.requests.filter((request) => request.path === '/v1/audio/transcriptions');

  describe('speech to text (an OpenAI-compatible server)', () => {
    it('transcribes a voice message: the server gets the file as voice.wav with the model, the message is its transcript, the ledger bills the seconds', async () => {
      const alice = await newAccount(sut);
      const conversationId = await newConversation(alice, await newPersona());
      const audio = await uploadAudio(alice, 'My Recording (3).wav');
      const seconds = Math.ceil(audio.durationMs / 1000);
      expect(seconds).toBeGreaterThanOrEqual(1);
      speech.answer({ transcript: '  What is the weather like today?\n' });

      const sent = await send(alice, conversationId, { audio: audio.id }).expect(200);
      expect(sent.body.message.content).toBe('What is the weather like today?');
      expect(sent.body.message.attachments).toEqual([expect.objectContaining({ mediaId: audio.id, source: 'user', contentType: 'audio/wav' })]);
      expect(sent.body.reply.status).toBe('completed');

      // One transcription: the audio under the name of its type (whatever it was uploaded as), and the model.
      expect(speech.requests).toHaveLength(1);
      const [request] = speech.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/v1/audio/transcriptions', fields: { model: 'whisper-1' } });
      expect(request!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(request!.file).toEqual({ filename: 'voice.wav', contentType: 'audio/wav', size: spoken.length });
      // The model was asked with the transcript as the user's words.
      const chat = upstream.requests.at(-1)!.body as { messages: Array<{ role: string; content: unknown }> };
      expect(chat.messages.at(-1)).toMatchObject({ role: 'user', content: 'What is the weather like today?' });

      expect(await voiceEvents(alice)).toEqual([
        {
          provider: 'whisper',
          model: 'whisper-1',
          quantity: seconds,
          costMicros: Math.round(((WHISPER_USD_PER_MINUTE * seconds) / 60) * 1_000_000),
          conversationId,
          messageId: null,
          mediaId: audio.id,
        },
      ]);
      expect(await voiceBooks(alice)).toMatchObject({ sttSeconds: seconds, ttsCharacters: 0, reserved: 0, reservations: 0, events: 1, quantity: seconds });
    });

    it('a failed transcription (500, 429, 401, no answer in time) stores, bills and holds nothing; the same audio sent again succeeds, billed once, and a retry of it is answered alike', async () => {
      const bob = await newAccount(sut);
      const conversationId = await newConversation(bob, await newPersona());
      const audio = await uploadAudio(bob);
      const seconds = Math.ceil(audio.durationMs / 1000);
      const before = { conversation: await conversationState(conversationId, audio.id), books: await voiceBooks(bob) };
      expect(before.conversation.transcript).toBeNull();

      const failures: Array<[string, SpeechAnswer, RegExp]> = [
        ['a server error', { status: 500 }, /answered HTTP 500/],
        ['rate limiting', { status: 429, retryAfterSeconds: 7 }, /rate limiting \(HTTP 429\), retry after 7 s/],
        ['refused credentials', { status: 401 }, /refused its credentials \(HTTP 401\): check its API key/],
        ['no answer', { hang: true }, new RegExp(`did not answer within ${STT_TIMEOUT_MS} ms`)],
      ];
      for (const [what, answer, detail] of failures) {
        speech.reset();
        speech.answer(answer);
        const refused = await send(bob, conversationId, { audio: audio.id });
        expect({ what, status: refused.status, code: refused.body.code }).toEqual({ what, status: 502, code: 'stt_failed' });
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.body).toMatchObject({ status: 502, provider: 'whisper', detail: expect.stringMatching(detail) });
        // One attempt, no retry of the SDK's; a hanging request is closed, not left open.
        expect(transcriptions()).toHaveLength(1);
        if (answer.hang) expect(await within(transcriptions()[0]!.ended, 5_000, 'the hanging transcription to be closed')).toBe('client_closed');
        expect({ what, conversation: await conversationState(conversationId, audio.id), books: await voiceBooks(bob) }).toEqual({ what, ...before });
      }
      // Nothing was ever sent to the chat model.
      expect(upstream.requests).toHaveLength(0);

      speech.reset();
      const clientMessageId = randomUUID();
      const sent = await send(bob, conversationId, { audio: audio.id, clientMessageId }).expect(200);
      expect(sent.body.message.content).toBe('the weather is nice today');
      expect(transcriptions()).toHaveLength(1);
      const billed = { sttSeconds: seconds, ttsCharacters: 0, reserved: 0, reservations: 0, events: 1, quantity: seconds };
      expect(await voiceBooks(bob)).toMatchObject(billed);
      const after = await conversationState(conversationId, audio.id);
      expect(after).toEqual({ messages: before.conversation.messages + 2, attachments: 1, transcript: expect.objectContaining({ text: 'the weather is nice today' }) });

      // The same send again (its clientMessageId): the first attempt's messages, nothing transcribed, generated or billed again.
      const retried = await send(bob, conversationId, { audio: audio.id, clientMessageId }).expect(200);
      expect(retried.body.message.id).toBe(sent.body.message.id);
      expect(retried.body.reply.id).toBe(sent.body.reply.id);
      expect(retried.body.message.content).toBe(sent.body.message.content);
      expect(transcriptions()).toHaveLength(1);
      expect(upstream.requests).toHaveLength(1);
      expect(await voiceBooks(bob)).toMatchObject(billed);
      expect(await conversationState(conversationId, audio.id)).toEqual(after);
    });
  });

  describe('text to speech', () => {
    it("speaks a reply in the persona's OpenAI voice, as mp3 first and wav on request; a replay is free; billed by characters", async () => {
      const carol = await newAccount(sut);
      const conversationId = await newConversation(carol, await newPersona({ provider: 'openai-tts', voiceId: 'nova', instructions: 'Warm.' }));
      const text = 'Nova speaks with warmth.';
      const replyId = await replyWith(carol, conversationId, text);

      const mp3 = await fetchAudio(audioPath(conversationId, replyId), carol.auth);
      expect(mp3).toMatchObject({ status: 200, type: 'audio/mpeg', cached: 'false' });
      expect(mp3.bytes.equals(fakeAudio('mp3'))).toBe(true);
      expect(speech.requests).toHaveLength(1);
      expect(speech.requests[0]!.path).toBe('/v1/audio/speech');
      expect(speech.requests[0]!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(speech.requests[0]!.json).toEqual({ model: 'gpt-4o-mini-tts', voice: 'nova', input: text, response_format: 'mp3', stream_format: 'sse', instructions: 'Warm.' });

      const wav = await fetchAudio(audioPath(conversationId, replyId, 'wav'), carol.auth);
      expect(wav).toMatchObject({ status: 200, type: 'audio/wav', cached: 'false' });
      expect(wav.bytes.equals(fakeAudio('wav'))).toBe(true);
      expect(speech.requests).toHaveLength(2);
      expect(speech.requests[1]!.json).toMatchObject({ voice: 'nova', input: text, response_format: 'wav', instructions: 'Warm.' });

      const cost = Math.round(OPENAI_TTS_USD_PER_MILLION * text.length);
      const spokenEvent = { provider: 'openai-tts', model: 'gpt-4o-mini-tts', quantity: text.length, costMicros: cost, conversationId, messageId: replyId, mediaId: null };
      expect(await voiceEvents(carol)).toEqual([spokenEvent, spokenEvent]);
      const billed = { sttSeconds: 0, ttsCharacters: 2 * text.length, reserved: 0, reservations: 0, events: 2, quantity: 2 * text.length, cost: 2 * cost };
      expect(await voiceBooks(carol)).toEqual(billed);

      // Replays: read back from the store, the provider not asked, nothing billed.
      for (const [format, first] of [[undefined, mp3], ['wav', wav]] as const) {
        const replay = await fetchAudio(audioPath(conversationId, replyId, format), carol.auth);
        expect(replay).toMatchObject({ status: 200, type: first.type, cached: 'true' });
        expect(replay.bytes.equals(first.bytes)).toBe(true);
      }
      expect(speech.requests).toHaveLength(2);
      expect(await voiceBooks(carol)).toEqual(billed);
    });

    it("speaks a reply in the persona's ElevenLabs voice: its output format asked in the query, mp3 answered, billed at its price", async () => {
      const dave = await newAccount(sut);
      const voiceId = 'XB0fDUnXU5powFXDhCwa';
      const conversationId = await newConversation(dave, await newPersona({ provider: 'elevenlabs', voiceId, stability: 0.4, speed: 1.1 }));
      const text = 'Charlotte speaks now.';
      const replyId = await replyWith(dave, conversationId, text);

      const mp3 = await fetchAudio(audioPath(conversationId, replyId), dave.auth);
      expect(mp3).toMatchObject({ status: 200, type: 'audio/mpeg', cached: 'false' });
      expect(mp3.bytes.equals(fakeAudio('mp3'))).toBe(true);
      expect(speech.requests).toHaveLength(1);
      const [request] = speech.requests;
      expect(request).toMatchObject({ protocol: 'elevenlabs', method: 'POST', path: `/v1/text-to-speech/${voiceId}` });
      expect(request!.query.get('output_format')).toBe('mp3_44100_128');
      expect(request!.headers['xi-api-key']).toBe(ELEVENLABS_KEY);
      expect(request!.json).toMatchObject({ text, model_id: 'eleven_flash_v2_5', voice_settings: { stability: 0.4, speed: 1.1 } });

      expect(await voiceEvents(dave)).toEqual([
        { provider: 'elevenlabs', model: 'eleven_flash_v2_5', quantity: text.length, costMicros: Math.round(ELEVENLABS_USD_PER_MILLION * text.length), conversationId, messageId: replyId, mediaId: null },
      ]);
      expect(await voiceBooks(dave)).toMatchObject({ ttsCharacters: text.length, reserved: 0, reservations: 0, events: 1 });
    });

    it('a failed synthesis is a 502 tts_failed that bills, holds and keeps nothing: the next request asks the provider again', async () => {
      const erin = await newAccount(sut);
      // No voice of its own: TTS_DEFAULT's default voice.
      const conversationId = await newConversation(erin, await newPersona());
      const text = 'This one fails at first.';
      const replyId = await replyWith(erin, conversationId, text);
      const before = await voiceBooks(erin);

      speech.answer({ status: 500 });
      const failed = await fetchAudio(audioPath(conversationId, replyId), erin.auth);
      expect(failed.status).toBe(502);
      expect(problemOf(failed)).toMatchObject({ status: 502, code: 'tts_failed', provider: 'openai-tts', detail: expect.stringMatching(/answered HTTP 500/) });
      expect(speech.requests).toHaveLength(1);
      expect(await voiceBooks(erin)).toEqual(before);
      expect(before).toMatchObject({ ttsCharacters: 0, reserved: 0, reservations: 0, events: 0 });

      speech.answer({});
      const spokenNow = await fetchAudio(audioPath(conversationId, replyId), erin.auth);
      expect(spokenNow).toMatchObject({ status: 200, type: 'audio/mpeg', cached: 'false' });
      expect(speech.requests).toHaveLength(2);
      expect(speech.requests[1]!.json).toMatchObject({ voice: 'alloy', input: text, response_format: 'mp3' });
      expect(await voiceBooks(erin)).toMatchObject({ ttsCharacters: text.length, reserved: 0, reservations: 0, events: 1, quantity: text.length });
    });

    it('keeps the monthly characters exact under a burst: the replies that fit are spoken, the others refused with 429, nothing left held', async () => {
      const frank = await newAccount(sut);
      const conversationId = await newConversation(frank, await newPersona());
      // Eight replies of the same length (and different texts: no clip is shared), together well over the month's characters.
      const texts = Array.from({ length: 8 }, (_, index) => `Burst reply number ${index + 1} is ready.`);
      const length = texts[0]!.length;
      expect(texts.every((text) => text.length === length)).toBe(true);
      expect(length * texts.length).toBeGreaterThan(TTS_CHARACTERS);
      const replyIds: string[] = [];
      for (const text of texts) replyIds.push(await replyWith(frank, conversationId, text));

      const answers = await Promise.all(replyIds.map((replyId) => fetchAudio(audioPath(conversationId, replyId), frank.auth)));
      const spokenAnswers = answers.filter((answer) => answer.status === 200);
      const refused = answers.filter((answer) => answer.status !== 200);
      // Every request holds the same number of characters and none is given back: exactly as many as fit are spoken.
      expect(spokenAnswers).toHaveLength(Math.floor(TTS_CHARACTERS / length));
      for (const answer of spokenAnswers) expect(answer).toMatchObject({ type: 'audio/mpeg', cached: 'false' });
      for (const answer of refused) {
        expect(answer.status).toBe(429);
        expect(problemOf(answer)).toMatchObject({ code: 'quota_exceeded', limit: 'voice.ttsCharactersPerMonth' });
      }
      // The refused were refused before the provider was asked.
      expect(speech.requests).toHaveLength(spokenAnswers.length);

      const books = await voiceBooks(frank);
      const events = await voiceEvents(frank);
      expect(events).toHaveLength(spokenAnswers.length);
      expect(books.ttsCharacters).toBe(events.reduce((sum, event) => sum + event.quantity, 0));
      expect(books.ttsCharacters).toBe(spokenAnswers.length * length);
      expect(books.ttsCharacters).toBeLessThanOrEqual(TTS_CHARACTERS);
      expect(books).toMatchObject({ reserved: 0, reservations: 0 });
    });
  });

  describe('speaking a reply while it streams', () => {
    const eventsNamed = (events: readonly SseEvent[], name: string) => events.filter((event) => event.event === name);

    it('publishes each sentence as reply.audio, whose URL downloads the mp3, billed by its characters', async () => {
      const grace = await newAccount(sut);
      const conversationId = await newConversation(grace, await newPersona({ provider: 'openai-tts', voiceId: 'coral' }));
      upstream.script({ tokens: ['Stars are out ', 'tonight. ', 'Look up ', 'now!'] });

      const events = await (await stream(grace, conversationId, { content: 'What is up there?', speak: true })).rest();
      const completedAt = events.findIndex((event) => event.event === 'reply.completed');
      expect(completedAt).toBeGreaterThan(0);
      expect(events[completedAt]!.data).toMatchObject({ status: 'completed', content: 'Stars are out tonight. Look up now!' });
      const audio = eventsNamed(events, 'reply.audio');
      expect(audio.map((event) => [event.data['index'], event.data['text'], event.data['contentType']])).toEqual([
        [0, 'Stars are out tonight.', 'audio/mpeg'],
        [1, 'Look up now!', 'audio/mpeg'],
      ]);
      expect(events.findLastIndex((event) => event.event === 'reply.audio')).toBeLessThan(completedAt);
      expect(eventsNamed(events, 'reply.audio.failed')).toEqual([]);
      for (const event of audio) {
        const clip = await fetchAudio(String(event.data['url']));
        expect(clip).toMatchObject({ status: 200, type: 'audio/mpeg' });
        expect(clip.bytes.equals(fakeAudio('mp3'))).toBe(true);
        expect(event.data['bytes']).toBe(clip.bytes.length);
      }
      expect(speech.requests.map((request) => request.json)).toEqual([
        expect.objectContaining({ voice: 'coral', input: 'Stars are out tonight.', response_format: 'mp3' }),
        expect.objectContaining({ voice: 'coral', input: 'Look up now!', response_format: 'mp3' }),
      ]);
      const characters = 'Stars are out tonight.'.length + 'Look up now!'.length;
      expect(await voiceBooks(grace)).toMatchObject({ ttsCharacters: characters, quantity: characters, events: 2, reserved: 0, reservations: 0 });
    });

    it('a provider failing every call: one reply.audio.failed (tts_failed) before reply.completed, the text whole, nothing billed', async () => {
      const heidi = await newAccount(sut);
      const conversationId = await newConversation(heidi, await newPersona({ provider: 'openai-tts', voiceId: 'coral' }));
      upstream.script({ tokens: ['Clouds came in. ', 'Nothing to see. ', 'Try again tomorrow!'] });
      speech.answer({ status: 500 });

      const events = await (await stream(heidi, conversationId, { content: 'What is up there?', speak: true })).rest();
      const completedAt = events.findIndex((event) => event.event === 'reply.completed');
      expect(completedAt).toBeGreaterThan(0);
      expect(events[completedAt]!.data).toMatchObject({ status: 'completed', content: 'Clouds came in. Nothing to see. Try again tomorrow!' });
      expect(eventsNamed(events, 'reply.audio')).toEqual([]);
      const failed = eventsNamed(events, 'reply.audio.failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data).toMatchObject({ index: 0, code: 'tts_failed' });
      expect(events.indexOf(failed[0]!)).toBeLessThan(completedAt);
      // The first sentence failed: the rest were not tried.
      expect(speech.requests).toHaveLength(1);
      expect(await voiceBooks(heidi)).toMatchObject({ ttsCharacters: 0, events: 0, reserved: 0, reservations: 0 });
    });
  });
});
