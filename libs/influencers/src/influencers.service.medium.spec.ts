import { DataSource } from 'typeorm';
import { encodeCursor, loadConfig, openDatabase, ProblemException, type OpenDatabase } from '#chorus/core';
import type { ProviderRegistry } from '#chorus/providers';
import { SCHEMA } from '../../../apps/api/src/app.module.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { EXAMPLE_PERSONAS } from './example-personas.js';
import { InfluencerPromptsRepository } from './influencer-prompts.repository.js';
import { InfluencersRepository } from './influencers.repository.js';
import { InfluencersService, type InfluencerInput } from './influencers.service.js';

/**
 * Medium tier: InfluencersService with its real repositories on a real (fresh, migrated) database;
 * only the provider registry is stubbed, knowing the one `simulated/echo` model.
 */
describe('InfluencersService on a database', () => {
  let database: TestDatabase;
  let open: OpenDatabase;
  let dataSource: DataSource;
  let sut: InfluencersService;

  const providers = {
    defaultModel: { provider: 'simulated', model: 'echo' },
    model: (ref: { provider: string; model: string }) => (ref.provider === 'simulated' && ref.model === 'echo' ? {} : undefined),
  } as unknown as ProviderRegistry;

  const persona = (handle: string, extra: Partial<InfluencerInput> = {}): InfluencerInput => ({
    handle,
    displayName: handle.toUpperCase(),
    category: 'medium',
    systemPrompt: `You are ${handle}.`,
    greeting: 'Hi',
    ...extra,
  });
  /** The problem code a call failed with. */
  const failure = (call: Promise<unknown>): Promise<unknown> =>
    call.then(
      () => 'no failure',
      (error: unknown) => (error instanceof ProblemException ? error.problem.code : error),
    );
  const count = async (sql: string, parameters: unknown[] = []) => ((await dataSource.query(sql, parameters)) as Array<{ n: number }>)[0]!.n;

  beforeAll(async () => {
    database = await createTestDatabase();
    open = await openDatabase(loadConfig({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: String(database.poolSize) }), SCHEMA);
    dataSource = open.dataSource;
    sut = new InfluencersService(dataSource, new InfluencersRepository(dataSource), new InfluencerPromptsRepository(dataSource), providers, loadConfig({}));
  });

  afterAll(async () => {
    await open?.close();
    await database?.drop();
  });

  it('seeds the examples into a catalogue that never had personas, and only then', async () => {
    await expect(sut.seedIfNeverFilled(EXAMPLE_PERSONAS)).resolves.toBe(true);
    await expect(sut.seedIfNeverFilled(EXAMPLE_PERSONAS)).resolves.toBe(false);
    for (const { handle } of EXAMPLE_PERSONAS) {
      await sut.remove((await sut.get(handle, true)).id);
    }
    await expect(sut.seedIfNeverFilled(EXAMPLE_PERSONAS)).resolves.toBe(false);
    expect(await count(`SELECT count(*)::int AS n FROM influencer_prompts`)).toBe(EXAMPLE_PERSONAS.length);
  });

  it('pages by lower-cased name with the cursors clients already hold, and refuses others', async () => {
    for (const [handle, displayName] of [['pb', 'beta'], ['pa', 'Alpha'], ['pc', 'Gamma']]) {
      await sut.create(persona(handle!, { displayName, category: 'paging' }));
    }
    const first = await sut.list({ limit: 2, category: 'paging' }, false);
    expect(first.items.map((item) => item.handle)).toEqual(['pa', 'pb']);
    expect(first.nextCursor).toBe(encodeCursor({ name: 'beta', id: first.items[1]!.id }));
    const second = await sut.list({ limit: 2, category: 'paging', cursor: first.nextCursor! }, false);
    expect(second).toEqual({ items: [expect.objectContaining({ handle: 'pc' })], nextCursor: null });
    expect(await failure(sut.list({ limit: 2, cursor: 'not-a-cursor' }, false))).toBe('invalid_cursor');
  });

  it('hides inactive personas from everyone but admins, in lists and look-ups', async () => {
    const hidden = await sut.create(persona('hidden-one', { status: 'coming_soon', category: 'hidden' }));
    expect((await sut.list({ limit: 10, category: 'hidden' }, false)).items).toEqual([]);
    expect((await sut.list({ limit: 10, category: 'hidden', status: 'coming_soon' }, true)).items.map((item) => item.id)).toEqual([hidden.id]);
    expect(await failure(sut.get('hidden-one', false))).toBe('not_found');
    await expect(sut.get('HIDDEN-ONE', true)).resolves.toMatchObject({ id: hidden.id });
    expect(await sut.get(hidden.id, true)).not.toHaveProperty('deletedAt');
  });

  it('keeps every version of a system prompt, and adds none for an unchanged one', async () => {
    const created = await sut.create(persona('versioned'));
    await sut.update(created.id, { systemPrompt: 'You are versioned, v2.' });
    const updated = await sut.update(created.id, { systemPrompt: 'You are versioned, v2.', bio: 'same prompt' });
    expect(updated).toMatchObject({ promptVersion: 2, bio: 'same prompt', systemPrompt: 'You are versioned, v2.' });
    expect(await dataSource.query('SELECT version, system_prompt FROM influencer_prompts WHERE influencer_id = $1 ORDER BY version', [created.id])).toEqual([
      { version: 1, system_prompt: 'You are versioned.' },
      { version: 2, system_prompt: 'You are versioned, v2.' },
    ]);
  });

  it('keeps a moderation policy as it matters: lower-case names, once each, null for the default', async () => {
    const storedPolicy = async (id: string) => ((await dataSource.query('SELECT moderation_policy FROM influencers WHERE id = $1', [id])) as Array<{ moderation_policy: unknown }>)[0]!.moderation_policy;
    const strict = await sut.create(persona('policy-default'));
    expect(strict.moderationPolicy).toBeNull();
    expect(await storedPolicy(strict.id)).toBeNull();

    const nsfw = await sut.create(persona('policy-nsfw', { nsfw: true, moderationPolicy: { allowedCategories: ['Sexual', ' sexual '], thresholds: { Violence: 0.8 } } }));
    expect(nsfw.moderationPolicy).toEqual({ allowedCategories: ['sexual'], thresholds: { violence: 0.8 } });
    expect(await storedPolicy(nsfw.id)).toEqual({ allowedCategories: ['sexual'], thresholds: { violence: 0.8 } });

    // Left out of an update, it stays; an empty one or null is the default again.
    expect((await sut.update(nsfw.id, { bio: 'unchanged policy' })).moderationPolicy).toEqual({ allowedCategories: ['sexual'], thresholds: { violence: 0.8 } });
    expect((await sut.update(nsfw.id, { moderationPolicy: { allowedCategories: [] } })).moderationPolicy).toBeNull();
    await sut.update(nsfw.id, { moderationPolicy: { thresholds: { 'self-harm': 0.2 } } });
    expect((await sut.update(nsfw.id, { moderationPolicy: null })).moderationPolicy).toBeNull();
    expect(await storedPolicy(nsfw.id)).toBeNull();
  });

  it('refuses a taken handle, an unknown model or a missing persona, changing nothing', async () => {
    await sut.create(persona('taken'));
    const before = await count('SELECT count(*)::int AS n FROM influencers');
    expect(await failure(sut.create(persona('taken')))).toBe('handle_taken');
    expect(await failure(sut.create(persona('ghost', { modelPolicy: { primary: { provider: 'openai', model: 'gpt-9' }, fallbacks: [] } })))).toBe('unknown_model');
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(await failure(sut.update(missing, { bio: 'x' }))).toBe('not_found');
    expect(await failure(sut.remove(missing))).toBe('not_found');
    expect(await count('SELECT count(*)::int AS n FROM influencers')).toBe(before);
    expect(await count('SELECT count(*)::int AS n FROM influencer_prompts p JOIN influencers i ON i.id = p.influencer_id WHERE i.handle = $1', ['taken'])).toBe(1);
  });
});
