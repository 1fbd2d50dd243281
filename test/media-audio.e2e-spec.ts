import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { CoreProblems } from '#chorus/core';
import { MediaAttachments, MediaAudio, MediaProblems } from '#chorus/media';
import { AudioSamples, type AudioEncoding } from './support/audio-samples.js';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { TestApp } from './support/test-app.js';

/** Voice messages are at most this long here, and this large: the long clip is over the one, under the other. */
const MAX_SECONDS = 2;
const MAX_BYTES = 256 * 1024;
const ADMIN = { email: 'audio-admin@example.com', password: 'admin password 123' };

/** Every entry (files and directories) under `dir`, recursively: what the local store holds. */
async function entriesUnder(dir: string): Promise<string[]> {
  return readdir(dir, { recursive: true }).catch(() => []);
}

/**
 * Audio uploads (voice messages) with the machine's espeak-ng and ffmpeg: told by their bytes,
 * measured and `ready` in the upload itself, or refused keeping nothing (no record, no object, no
 * quota hold).
 */
describe('audio uploads', () => {
  let sut: TestApp;
  let mediaDir: string;
  let base: string;
  let samples: AudioSamples;
  let alice: TestAccount;
  /** About 1 s of speech, and its length by its WAV header (16-bit mono PCM at 22,050 Hz after 44 bytes). */
  let clip: Buffer;
  let clipMs: number;

  beforeAll(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'chorus-media-'));
    sut = await TestApp.start({ env: { MEDIA_DIR: mediaDir, VOICE_MAX_SECONDS: String(MAX_SECONDS), VOICE_MAX_BYTES: String(MAX_BYTES), ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    base = await sut.listen();
    alice = await newAccount(sut);
    samples = await AudioSamples.create();
    clip = await samples.speak('Hello there');
    clipMs = ((clip.length - 44) / 2 / 22_050) * 1000;
  });

  afterAll(async () => {
    await sut?.close();
    await samples?.close();
    await rm(mediaDir, { recursive: true, force: true });
  });

  const upload = (account: TestAccount, bytes: Buffer, filename: string) =>
    sut.http().post('/api/v1/media').set(account.auth).attach('file', bytes, { filename, contentType: 'application/octet-stream' });
  /** GETs a media URL as a browser would (the API's signed one, relative to the server). */
  const download = async (url: string) => {
    const response = await fetch(new URL(url, base));
    return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
  };
  /** What a refused upload must not leave: the user's quota holds and media records. */
  const held = async (userId: string) => {
    const [row] = await sut.app.get(DataSource).query(
      `SELECT (SELECT coalesce(sum(reserved), 0) FROM usage_counters WHERE user_id = $1)::int AS reserved,
              (SELECT count(*) FROM usage_reservations WHERE user_id = $1)::int AS reservations,
              (SELECT count(*) FROM media WHERE owner_user_id = $1)::int AS media`,
      [userId],
    );
    return row as { reserved: number; reservations: number; media: number };
  };
  /** Sends `bytes` as a new user, expecting the refusal `status` with a problem, and that nothing of it is kept; answers the problem. */
  const refused = async (bytes: Buffer, filename: string, status: number) => {
    const carol = await newAccount(sut);
    const before = await entriesUnder(mediaDir);
    const response = await upload(carol, bytes, filename).expect(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await held(carol.id)).toEqual({ reserved: 0, reservations: 0, media: 0 });
    // Neither the object nor the directories made for it.
    expect(await entriesUnder(mediaDir)).toEqual(before);
    return response.body as Record<string, unknown>;
  };

  it.each<[AudioEncoding | 'wav', string, string]>([
    ['wav', 'audio/wav', 'wav'],
    ['webm', 'audio/webm', 'webm'],
    ['opus-ogg', 'audio/ogg', 'ogg'],
    ['vorbis-ogg', 'audio/ogg', 'ogg'],
    ['mp3', 'audio/mpeg', 'mp3'],
    ['m4a', 'audio/mp4', 'm4a'],
    ['mp4', 'audio/mp4', 'm4a'],
  ])('takes %s audio, ready at once as %s with its length, served by its URL', async (encoding, contentType, extension) => {
    const bytes = encoding === 'wav' ? clip : await samples.encode(clip, encoding);
    // An ffmpeg built without the encoder (libmp3lame is optional) cannot make this case: nothing to test.
    if (!bytes) return;
    const accepted = await upload(alice, bytes, `recording.${encoding}`).expect(202);
    const media = accepted.body;
    expect(media).toMatchObject({
      status: 'ready',
      purpose: 'upload',
      contentType,
      filename: `recording.${encoding}`,
      bytes: bytes.length,
      width: null,
      height: null,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      urls: { audio: expect.stringMatching(/variant=audio/), expiresAt: expect.any(String) },
    });
    expect(Object.keys(media.urls).sort()).toEqual(['audio', 'expiresAt']);
    // Encoders pad a little (priming samples, whole frames).
    expect(Math.abs(media.durationMs - clipMs)).toBeLessThan(150);
    expect((await sut.http().get(`/api/v1/media/${media.id}`).set(alice.auth).expect(200)).body).toMatchObject({ status: 'ready', durationMs: media.durationMs });

    expect(await download(media.urls.audio)).toEqual({ status: 200, type: contentType, body: bytes });
    const forged = new URL(media.urls.audio, base);
    forged.searchParams.set('variant', 'image');
    expect((await download(forged.toString())).status).toBe(403);
    // Kept as received, under a name that says what it is; billed, nothing left on hold.
    expect((await entriesUnder(join(mediaDir, 'users', alice.id, media.id))).sort()).toEqual([`audio.${extension}`]);
    expect(await held(alice.id)).toMatchObject({ reserved: 0, reservations: 0 });

    const audio = sut.app.get(MediaAudio);
    expect(await audio.voiceMessage(alice.id, media.id)).toEqual({
      mediaId: media.id,
      contentType,
      filename: `voice.${extension}`,
      durationMs: media.durationMs,
      bytes: bytes.length,
      transcript: null,
    });
    expect((await audio.bytesOf(media.id)).equals(bytes)).toBe(true);
  });

  it('refuses a file that is neither image nor audio, and an empty one, with 415 naming both kinds', async () => {
    const text = await refused(Buffer.from('Not a recording, just some words in a text file.\n'.repeat(20)), 'voice.wav', 415);
    expect(text).toMatchObject({ code: 'unsupported_media_type' });
    expect(text['detail']).toMatch(/JPEG.*WAV, WebM, Ogg \(Opus or Vorbis\), MP3 or M4A/);
    expect(await refused(Buffer.alloc(0), 'voice.wav', 415)).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('refuses a WebM with video, told only once stored and parsed, with 415, keeping nothing', async () => {
    const video = await samples.encode(clip, 'video-webm');
    if (!video) return;
    expect(await refused(video, 'clip.webm', 415)).toMatchObject({ code: 'unsupported_media_type', detail: expect.stringMatching(/video/) });
  });

  it('refuses a WAV whose header is garbage after RIFF/WAVE with 422 audio_unreadable, keeping nothing', async () => {
    // Its first 12 bytes say WAV (so it is taken as audio and parsed); what the parser reads after them is noise.
    const corrupt = Buffer.from(clip);
    for (let index = 12; index < corrupt.length; index++) corrupt[index] = (index * 131 + 7) & 0xff;
    const problem = await refused(corrupt, 'voice.wav', 422);
    expect(problem).toMatchObject({ code: 'audio_unreadable', detail: expect.stringMatching(/could not be read/) });
  });

  it('refuses audio longer than VOICE_MAX_SECONDS with 422 audio_too_long, keeping nothing', async () => {
    const long = await samples.speak('This sentence is spoken slowly enough to last for about four seconds in all.');
    const problem = await refused(long, 'long.wav', 422);
    expect(problem).toMatchObject({ code: 'audio_too_long', maxSeconds: MAX_SECONDS });
    expect(problem['seconds']).toBeGreaterThan(3.5);
  });

  it('refuses audio larger than VOICE_MAX_BYTES (though within the upload limit) with 413, keeping nothing', async () => {
    const large = Buffer.concat([clip, Buffer.alloc(MAX_BYTES)]);
    expect(await refused(large, 'large.wav', 413)).toMatchObject({ code: 'payload_too_large', maxBytes: MAX_BYTES });
  });

  it("refuses audio as a persona's media: a persona's upload is an image", async () => {
    const admin = await signIn(sut, ADMIN.email, ADMIN.password);
    const nova = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id as string;
    const before = await entriesUnder(mediaDir);
    const response = await sut.http().post(`/api/v1/admin/influencers/${nova}/media`).set(admin.auth).attach('file', clip, 'voice.wav').expect(415);
    expect(response.body).toMatchObject({ code: 'unsupported_media_type', detail: expect.stringMatching(/audio\/wav, not a supported image/) });
    expect(await entriesUnder(mediaDir)).toEqual(before);
  });

  it("gives the voice lib only the user's own audio, ready and not on a message, and keeps its transcript", async () => {
    const bob = await newAccount(sut);
    const audio = sut.app.get(MediaAudio);
    const clipId = (await upload(alice, clip, 'voice.wav').expect(202)).body.id as string;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer();
    const imageId = (await upload(alice, png, 'photo.png').expect(202)).body.id as string;

    await expect(audio.voiceMessage(bob.id, clipId)).rejects.toMatchObject({ problem: CoreProblems.notFound });
    await expect(audio.voiceMessage(alice.id, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ problem: CoreProblems.notFound });
    await expect(audio.voiceMessage(alice.id, imageId)).rejects.toMatchObject({ problem: MediaProblems.notAudio });

    const transcript = { text: 'hello there', provider: 'pocketsphinx', model: 'en-us' };
    await audio.saveTranscript(clipId, transcript);
    expect(await audio.voiceMessage(alice.id, clipId)).toMatchObject({ filename: 'voice.wav', transcript });

    // An audio attaches like an image, with no size of its own and no moderation verdict to flag it.
    const nova = (await sut.http().get('/api/v1/influencers/nova').expect(200)).body.id as string;
    expect(await sut.app.get(MediaAttachments).attachable(alice.id, nova, [clipId])).toEqual([
      { mediaId: clipId, contentType: 'audio/wav', bytes: clip.length, width: null, height: null },
    ]);
  });
});
