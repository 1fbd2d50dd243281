import { DataSource } from 'typeorm';
import { newAccount, signIn, type TestAccount } from './support/accounts.js';
import { TestApp } from './support/test-app.js';

const ADMIN = { email: 'curator@example.com', password: 'admin password 123' };

describe('personas', () => {
  let sut: TestApp;
  let admin: TestAccount;
  let user: TestAccount;

  const persona = (handle: string, extra: Record<string, unknown> = {}) => ({
    handle,
    displayName: handle.toUpperCase(),
    category: 'test',
    systemPrompt: `You are ${handle}.`,
    greeting: 'Hi',
    ...extra,
  });

  beforeAll(async () => {
    sut = await TestApp.start({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    admin = await signIn(sut, ADMIN.email, ADMIN.password);
    user = await newAccount(sut);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('seeds example personas on a new installation, listed to anyone without their system prompt', async () => {
    const response = await sut.http().get('/api/v1/influencers').expect(200);
    expect(response.body.items.map((item: { handle: string }) => item.handle)).toEqual(expect.arrayContaining(['nova', 'chef-marco', 'sage']));
    for (const item of response.body.items) {
      expect(item.systemPrompt).toBeUndefined();
      expect(item.modelPolicy).toBeUndefined();
    }
    const nova = await sut.http().get('/api/v1/influencers/nova').set(user.auth).expect(200);
    expect(nova.body.systemPrompt).toBeUndefined();
    const forAdmin = await sut.http().get('/api/v1/influencers/nova').set(admin.auth).expect(200);
    expect(forAdmin.body).toMatchObject({ systemPrompt: expect.stringContaining('Nova'), promptVersion: 1, modelPolicy: { primary: { provider: 'simulated' } } });
  });

  it('lets admins create, version, hide and delete personas', async () => {
    const created = await sut.http().post('/api/v1/influencers').set(admin.auth).send(persona('orion')).expect(201);
    const updated = await sut.http().patch(`/api/v1/influencers/${created.body.id}`).set(admin.auth).send({ systemPrompt: 'You are Orion, v2.' }).expect(200);
    expect(updated.body.promptVersion).toBe(2);
    const versions = await sut.app.get(DataSource).query('SELECT version, system_prompt FROM influencer_prompts WHERE influencer_id = $1 ORDER BY version', [created.body.id]);
    expect(versions).toEqual([{ version: 1, system_prompt: 'You are orion.' }, { version: 2, system_prompt: 'You are Orion, v2.' }]);

    await sut.http().patch(`/api/v1/influencers/${created.body.id}`).set(admin.auth).send({ status: 'coming_soon' }).expect(200);
    await sut.http().get('/api/v1/influencers/orion').expect(404);
    const listed = await sut.http().get('/api/v1/influencers').query({ search: 'orion' }).expect(200);
    expect(listed.body.items).toEqual([]);
    const adminListed = await sut.http().get('/api/v1/influencers').query({ search: 'orion' }).set(admin.auth).expect(200);
    expect(adminListed.body.items).toHaveLength(1);

    await sut.http().delete(`/api/v1/influencers/${created.body.id}`).set(admin.auth).expect(204);
    await sut.http().get(`/api/v1/influencers/${created.body.id}`).set(admin.auth).expect(404);
  });

  it('refuses non-admins, taken handles, unknown models and bad input', async () => {
    await sut.http().post('/api/v1/influencers').set(user.auth).send(persona('nope')).expect(403);
    await sut.http().post('/api/v1/influencers').send(persona('nope')).expect(401);
    expect((await sut.http().post('/api/v1/influencers').set(admin.auth).send(persona('nova')).expect(409)).body.code).toBe('handle_taken');
    const unknownModel = await sut.http().post('/api/v1/influencers').set(admin.auth)
      .send(persona('ghost', { modelPolicy: { primary: { provider: 'openai', model: 'gpt-9' }, fallbacks: [] } })).expect(400);
    expect(unknownModel.body.code).toBe('unknown_model');
    await sut.http().post('/api/v1/influencers').set(admin.auth).send(persona('Bad Handle')).expect(400);
    await sut.http().post('/api/v1/influencers').set(admin.auth).send(persona('trending')).expect(400);
    // Settings that are objects refuse lists (validated element by element, a list would pass as a list of settings).
    for (const setting of ['modelPolicy', 'moderationPolicy', 'voice', 'avatar']) {
      const refused = await sut.http().post('/api/v1/influencers').set(admin.auth).send(persona('ghost', { [setting]: [] })).expect(400);
      expect(refused.body.code).toBe('validation_failed');
    }
    const [{ n }] = await sut.app.get(DataSource).query(`SELECT count(*)::int AS n FROM influencers WHERE handle IN ('nope', 'ghost')`);
    expect(n).toBe(0);
  });

  it('pages the catalogue by name and filters by category', async () => {
    for (const handle of ['aa-one', 'aa-two', 'aa-three']) {
      await sut.http().post('/api/v1/influencers').set(admin.auth).send(persona(handle, { category: 'paging' })).expect(201);
    }
    const first = await sut.http().get('/api/v1/influencers').query({ category: 'paging', limit: 2 }).expect(200);
    const second = await sut.http().get('/api/v1/influencers').query({ category: 'paging', limit: 2, cursor: first.body.nextCursor }).expect(200);
    expect([...first.body.items, ...second.body.items].map((item: { handle: string }) => item.handle)).toEqual(['aa-one', 'aa-three', 'aa-two']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('ranks trending personas by recent messages', async () => {
    const sage = (await sut.http().get('/api/v1/influencers/sage').expect(200)).body.id;
    const conversation = await sut.http().post('/api/v1/conversations').set(user.auth).send({ influencerId: sage }).expect(201);
    await sut.http().post(`/api/v1/conversations/${conversation.body.id}/messages`).set(user.auth).send({ content: 'hello', clientMessageId: 't-1' }).expect(200);
    const trending = await sut.http().get('/api/v1/influencers/trending').expect(200);
    expect(trending.body[0]).toMatchObject({ handle: 'sage' });
  });
});
