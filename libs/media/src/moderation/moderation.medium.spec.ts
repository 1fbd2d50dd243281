import sharp from 'sharp';
import { ProblemException } from '#chorus/core';
import { CLEAN_SCORE, FakeModeration, OPENAI_CATEGORIES } from '../../../../test/support/fake-moderation.js';
import { createMediumContext, failure, type MediumContext } from '../../../../test/support/medium-context.js';
import { createModerationProvider } from './create-moderation-provider.js';
import { ModerationNotSupported, ModerationUnavailable } from './moderation-provider.js';
import { ModerationService } from './moderation.service.js';
import { OpenAIModeration } from './openai-moderation.js';
import { RekognitionModeration } from './rekognition-moderation.js';

/**
 * Both providers through their real SDKs (openai, @aws-sdk/client-rekognition), against a fake
 * server speaking OpenAI's /v1/moderations and Rekognition's JSON protocol: what is sent, how
 * answers become scores, and how an outage or a slow answer becomes ModerationUnavailable.
 */
describe('moderation providers', () => {
  const TIMEOUT_MS = 400;
  const KEYS = { accessKeyId: 'AKIDMODERATIONTEST', secretAccessKey: 'moderation-test-secret' };
  let fake: FakeModeration;
  let jpeg: Buffer;
  let webp: Buffer;
  let animatedGif: Buffer;

  const openai = () => new OpenAIModeration({ openai: { apiKey: 'sk-moderation-test', baseUrl: fake.openaiBaseUrl, model: 'omni-moderation-latest' }, timeoutMs: TIMEOUT_MS });
  const rekognition = () => new RekognitionModeration({ rekognition: { region: 'eu-west-1', endpoint: fake.origin, ...KEYS }, timeoutMs: TIMEOUT_MS });

  beforeAll(async () => {
    fake = await FakeModeration.start();
    const picture = sharp({ create: { width: 64, height: 48, channels: 3, background: '#884422' } });
    jpeg = await picture.clone().jpeg().toBuffer();
    webp = await picture.clone().webp().toBuffer();
    // Four 32 × 32 frames: red, green, blue, white.
    const frames = await Promise.all(['#ff0000', '#00ff00', '#0000ff', '#ffffff'].map((background) => sharp({ create: { width: 32, height: 32, channels: 3, background } }).png().toBuffer()));
    animatedGif = await sharp(frames, { join: { animated: true } }).gif({ delay: 100 }).toBuffer();
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await fake?.close();
  });

  describe('openai', () => {
    it("sends the image inline to omni-moderation and keeps OpenAI's category scores as they are", async () => {
      fake.answer({ scores: { sexual: 0.97, violence: 0.3 } });
      const scores = await openai().moderateImage(jpeg, 'image/jpeg');
      expect(scores).toMatchObject({ sexual: 0.97, violence: 0.3, 'self-harm': CLEAN_SCORE });
      expect(Object.keys(scores).sort()).toEqual([...OPENAI_CATEGORIES].sort());

      const [request] = fake.requests;
      expect(request!.protocol).toBe('openai');
      expect(request!.headers.authorization).toBe('Bearer sk-moderation-test');
      expect(request!.body['model']).toBe('omni-moderation-latest');
      expect(request!.image).toEqual({ type: 'image/jpeg', bytes: jpeg });
    });

    it('answers clean scores for a clean image, sending a WebP as it is', async () => {
      const scores = await openai().moderateImage(webp, 'image/webp');
      expect(Math.max(...Object.values(scores))).toBe(CLEAN_SCORE);
      expect(fake.requests[0]!.image).toEqual({ type: 'image/webp', bytes: webp });
    });

    it('moderates text', async () => {
      fake.answer({ scores: { harassment: 0.81 } });
      expect(await openai().moderateText('you are awful')).toMatchObject({ harassment: 0.81 });
      expect(fake.requests[0]!.text).toBe('you are awful');
    });

    it('fails with ModerationUnavailable when the service answers 500, without retrying on its own (the job retries)', async () => {
      fake.answer({ status: 500 });
      await expect(openai().moderateImage(jpeg, 'image/jpeg')).rejects.toThrow(ModerationUnavailable);
      expect(fake.requests).toHaveLength(1);
    });

    it('gives up on a slow service after the timeout', async () => {
      fake.answer({ delayMs: TIMEOUT_MS * 4 });
      const started = Date.now();
      await expect(openai().moderateImage(jpeg, 'image/jpeg')).rejects.toThrow(ModerationUnavailable);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 3);
    });

    it('fails with ModerationUnavailable when nothing listens', async () => {
      const down = new OpenAIModeration({ openai: { apiKey: 'sk', baseUrl: 'http://127.0.0.1:9/v1', model: 'omni-moderation-latest' }, timeoutMs: TIMEOUT_MS });
      await expect(down.moderateText('hello')).rejects.toThrow(ModerationUnavailable);
    });
  });

  describe('rekognition', () => {
    it('sends DetectModerationLabels signed with the configured keys, and maps the labels to categories', async () => {
      fake.answer({
        labels: [
          { Name: 'Explicit Nudity', ParentName: '', Confidence: 96.5, TaxonomyLevel: 1 },
          { Name: 'Exposed Male Genitalia', ParentName: 'Explicit Nudity', Confidence: 96.5, TaxonomyLevel: 2 },
          { Name: 'Alcohol', ParentName: '', Confidence: 61, TaxonomyLevel: 1 },
        ],
      });
      expect(await rekognition().moderateImage(jpeg, 'image/jpeg')).toEqual({ sexual: 0.965, alcohol: 0.61 });

      const [request] = fake.requests;
      expect(request!.protocol).toBe('rekognition');
      expect(request!.headers['authorization']).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEYS.accessKeyId}/\\d{8}/eu-west-1/rekognition/aws4_request`));
      expect(request!.body['MinConfidence']).toBe(1);
      expect(request!.image!.bytes).toEqual(jpeg);
    });

    it('answers no scores for a clean image, sending a JPEG rendition of a type it cannot read', async () => {
      expect(await rekognition().moderateImage(webp, 'image/webp')).toEqual({});
      const sent = await sharp(fake.requests[0]!.image!.bytes).metadata();
      expect(sent).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
    });

    it('sends an animation as a sheet of its frames, so that its first frame does not stand for the rest', async () => {
      expect((await sharp(animatedGif).metadata()).pages).toBe(4);
      await rekognition().moderateImage(animatedGif, 'image/gif');
      const sent = sharp(fake.requests[0]!.image!.bytes);
      expect(await sent.metadata()).toMatchObject({ format: 'jpeg', width: 64, height: 64 });
      const { data } = await sent.raw().toBuffer({ resolveWithObject: true });
      const pixel = (x: number, y: number) => [...data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)].map((value) => Math.round(value / 255));
      expect([pixel(16, 16), pixel(48, 16), pixel(16, 48), pixel(48, 48)]).toEqual([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 1],
      ]);
    });

    it('fails with ModerationUnavailable when the service answers 500, without retrying on its own', async () => {
      fake.answer({ status: 500 });
      await expect(rekognition().moderateImage(jpeg, 'image/jpeg')).rejects.toThrow(ModerationUnavailable);
      expect(fake.requests).toHaveLength(1);
    });

    it('gives up on a slow service after the timeout', async () => {
      fake.answer({ delayMs: TIMEOUT_MS * 4 });
      const started = Date.now();
      await expect(rekognition().moderateImage(jpeg, 'image/jpeg')).rejects.toThrow(ModerationUnavailable);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 3);
    });

    it('reads no text: saying so, and refusing a configuration that asks it to', async () => {
      await expect(rekognition().moderateText('hello')).rejects.toThrow(ModerationNotSupported);
      const config = { provider: 'rekognition' as const, threshold: 0.5, text: true, openai: { model: 'omni-moderation-latest' }, rekognition: { region: 'us-east-1' }, timeoutMs: 1000 };
      expect(() => createModerationProvider(config)).toThrow(/MODERATION_TEXT=true requires MODERATION_PROVIDER=openai/);
    });
  });
});

/** ModerationService on a database: text moderation (MODERATION_TEXT) and verdicts, judged by the persona's policy. */
describe('ModerationService with its repository', () => {
  let fake: FakeModeration;
  let ctx: MediumContext;
  let sut: ModerationService;

  const moderatedText = (env: Record<string, string> = {}) =>
    createMediumContext({ env: { MODERATION_PROVIDER: 'openai', MODERATION_OPENAI_API_KEY: 'sk-test', MODERATION_OPENAI_BASE_URL: fake.openaiBaseUrl, MODERATION_TEXT: 'true', ...env } });

  beforeAll(async () => {
    fake = await FakeModeration.start();
    ctx = await moderatedText();
    sut = ctx.get(ModerationService);
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  it('lets a clean message through, having sent its text', async () => {
    const { id } = await ctx.newInfluencer();
    await expect(sut.checkText('What can I see in the sky tonight?', id)).resolves.toBeUndefined();
    expect(fake.requests.map((request) => request.text)).toEqual(['What can I see in the sky tonight?']);
  });

  it('refuses a flagged message with 422 content_flagged, naming its categories', async () => {
    const { id } = await ctx.newInfluencer();
    fake.answer({ scores: { harassment: 0.91, violence: 0.55 } });
    const refused = await sut.checkText('something hateful', id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProblemException);
    expect((refused as ProblemException).problem).toMatchObject({ code: 'content_flagged', status: 422 });
    expect((refused as ProblemException).detail).toMatch(/harassment, violence/);
    expect((refused as ProblemException).extras.extensions).toEqual({ categories: ['harassment', 'violence'] });
  });

  it("follows the persona's policy", async () => {
    const { id } = await ctx.newInfluencer();
    await ctx.query(`UPDATE influencers SET moderation_policy = $2 WHERE id = $1`, [id, JSON.stringify({ allowedCategories: ['sexual'], thresholds: { violence: 0.3 } })]);
    fake.answer({ scores: { sexual: 0.9 } });
    await expect(sut.checkText('flirting', id)).resolves.toBeUndefined();
    fake.answer({ scores: { violence: 0.4 } });
    expect(await failure(sut.checkText('a fight scene', id))).toBe('content_flagged');
  });

  it('refuses with 503 moderation_unavailable when the provider gives no verdict', async () => {
    const { id } = await ctx.newInfluencer();
    fake.answer({ status: 503 });
    expect(await failure(sut.checkText('hello', id))).toBe('moderation_unavailable');
  });

  it("judges a ready media's verdict by the policy of the persona it is sent to, keeping what an admin approved", async () => {
    const strict = await ctx.newInfluencer();
    const nsfw = await ctx.newInfluencer();
    await ctx.query(`UPDATE influencers SET moderation_policy = $2 WHERE id = $1`, [nsfw.id, JSON.stringify({ allowedCategories: ['sexual'] })]);
    const verdict = { provider: 'openai', flagged: false, scores: { sexual: 0.9, violence: 0.7, hate: 0.01 }, flaggedCategories: [], policyOf: nsfw.id };
    expect(await sut.flaggedFor(verdict, strict.id)).toEqual(['sexual', 'violence']);
    expect(await sut.flaggedFor(verdict, nsfw.id)).toEqual(['violence']);
    const approved = { ...verdict, flagged: true, flaggedCategories: ['violence'], review: { decision: 'approved' as const, by: 'admin', at: new Date().toISOString() } };
    expect(await sut.flaggedFor(approved, strict.id)).toEqual(['sexual']);
    expect(await sut.flaggedFor(null, strict.id)).toEqual([]);
  });

  it('checks nothing when MODERATION_TEXT is off', async () => {
    const off = await moderatedText({ MODERATION_TEXT: 'false' });
    try {
      fake.answer({ scores: { harassment: 0.99 } });
      await expect(off.get(ModerationService).checkText('anything', (await off.newInfluencer()).id)).resolves.toBeUndefined();
      expect(fake.requests).toHaveLength(0);
    } finally {
      await off.close();
    }
  });
});
