import { Global, Logger, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { ConfigModule, ReadinessChecks, buildOpenApiDocument } from '#chorus/core';
import { ProvidersController, ProvidersModule } from '#chorus/providers';
import { newAccount, signIn } from './support/accounts.js';
import { FakeOpenAIServer } from './support/fake-openai.js';
import { configWithProviders } from './support/fake-providers.js';
import { TestApp } from './support/test-app.js';

/** GET /providers on the providers module alone: the payload, and the contract it documents. */
/** What the platform's HealthModule provides globally, without its database and Redis checks. */
@Global()
@Module({ providers: [ReadinessChecks], exports: [ReadinessChecks] })
class ReadinessModule {}

describe('GET /providers (module)', () => {
  let upstream: FakeOpenAIServer;
  let app: INestApplication;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    upstream = await FakeOpenAIServer.start();
    const config = configWithProviders([
      {
        name: 'openrouter',
        kind: 'openai',
        baseUrl: upstream.baseUrl,
        apiKey: 'sk-secret-key',
        models: [{ id: 'gpt-fake', contextWindow: 8192, maxOutputTokens: 512, inputUsdPerMillion: 0.15, outputUsdPerMillion: 0.6 }],
      },
    ]);
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), ReadinessModule, ProvidersModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await upstream?.close();
  });

  it('lists the providers with their models, prices and breaker state, and never their keys', async () => {
    const response = await request(app.getHttpServer()).get('/providers').expect(200);

    expect(response.body).toEqual({
      items: [
        {
          name: 'openrouter',
          kind: 'openai',
          breaker: 'closed',
          models: [{ id: 'gpt-fake', contextWindow: 8192, maxOutputTokens: 512, inputUsdPerMillion: 0.15, outputUsdPerMillion: 0.6, vision: false }],
        },
        expect.objectContaining({ name: 'simulated', kind: 'simulated', breaker: 'closed' }),
      ],
    });
    expect(JSON.stringify(response.body)).not.toContain('sk-secret-key');
    expect(JSON.stringify(response.body)).not.toContain(upstream.baseUrl);
  });

  it('is for admins only: it carries the role metadata the global auth guard reads', () => {
    expect(Reflect.getMetadata('chorus:roles', ProvidersController)).toEqual(['admin']);
  });

  it('is documented: operation, bearer auth, 401/403 problems, named enums', () => {
    const document = buildOpenApiDocument(app);
    const operation = document.paths['/providers']?.get;

    expect(operation).toMatchObject({
      operationId: 'listProviders',
      summary: 'List AI providers',
      tags: ['providers'],
      security: [{ bearer: [] }, { apiKey: [] }],
    });
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403']));
    const schemas = document.components?.schemas ?? {};
    expect(schemas['ProviderKind']).toMatchObject({ enum: ['openai', 'gemini', 'simulated'] });
    expect(schemas['CircuitBreakerState']).toMatchObject({ enum: ['closed', 'open', 'half_open'] });
    expect(schemas['ProviderListDto']).toBeDefined();
  });
});

/** The same route in the real application: behind the global auth guard, for admins only. */
describe('GET /api/v1/providers (application)', () => {
  const ADMIN = { email: 'providers-admin@example.com', password: 'admin password 123' };
  let sut: TestApp;

  beforeAll(async () => {
    sut = await TestApp.start({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('answers admins, refuses other users with 403 and anonymous callers with 401', async () => {
    const admin = await signIn(sut, ADMIN.email, ADMIN.password);
    const user = await newAccount(sut);

    const listed = await sut.http().get('/api/v1/providers').set(admin.auth).expect(200);
    expect(listed.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'simulated', kind: 'simulated', breaker: 'closed' })]));
    const forbidden = await sut.http().get('/api/v1/providers').set(user.auth).expect(403);
    expect(forbidden.body.code).toBe('forbidden');
    await sut.http().get('/api/v1/providers').expect(401);
  });
});
