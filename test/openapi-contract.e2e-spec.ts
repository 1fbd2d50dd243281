import { readFileSync } from 'node:fs';
import { toDeterministicJson } from '#chorus/core';
import { renderOpenApiDocument } from '../apps/api/src/openapi-document.js';
import { TestApp } from './support/test-app.js';

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');
const document = JSON.parse(committed) as {
  paths: Record<string, Record<string, Operation>>;
};
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
);
/** Routes anyone may call; every other one must declare bearer authentication. */
const PUBLIC = new Set([
  'GET /health/live',
  'GET /health/ready',
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'GET /api/v1/influencers',
  'GET /api/v1/influencers/trending',
  'GET /api/v1/influencers/{id}',
  'GET /api/v1/plans',
  // Their signature, in the URL, is the credential.
  'GET /api/v1/media/{id}/content',
  'GET /api/v1/speech/{key}',
]);
/** Routes with a bearer token of their own, not a user's credentials. */
const OWN_TOKEN = new Map([['GET /metrics', 'metricsToken']]);

describe('the committed OpenAPI contract', () => {
  it('is what the CLI generates (run `npm run openapi` after changing the API)', async () => {
    const sut = await TestApp.start();
    try {
      expect(await renderOpenApiDocument(sut.config)).toBe(committed);
    } finally {
      await sut.close();
    }
  });

  it('is what the running server serves at /docs/openapi.json', async () => {
    const sut = await TestApp.start();
    try {
      const served = await sut.http().get('/docs/openapi.json').expect(200);
      expect(toDeterministicJson(served.body)).toBe(committed);
    } finally {
      await sut.close();
    }
  });

  it('has operations', () => {
    expect(operations.length).toBeGreaterThan(10);
  });

  it.each(operations)('$name has an operationId, a summary, a tag and its error responses in its surface\'s format', ({ name, operation }) => {
    expect(operation.operationId).toMatch(/^[a-z][A-Za-z]+$/);
    expect(operation.summary).toEqual(expect.any(String));
    expect(operation.tags?.length).toBeGreaterThan(0);
    const errors = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400);
    expect(errors.length).toBeGreaterThan(0);
    // The OpenAI-compatible surface answers OpenAI's error objects; everything else, problem+json.
    const format = name.includes(' /openai/v1/') ? 'application/json' : 'application/problem+json';
    for (const [, response] of errors) expect(Object.keys(response.content ?? {})).toEqual([format]);
  });

  it.each(operations.filter(({ name }) => !PUBLIC.has(name) && !OWN_TOKEN.has(name)))('$name declares bearer authentication and its 401', ({ operation }) => {
    expect(operation.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(operation.responses['401']).toBeDefined();
  });

  it.each(operations.filter(({ name }) => OWN_TOKEN.has(name)))('$name declares its own token and its 401', ({ name, operation }) => {
    expect(operation.security).toEqual([{ [OWN_TOKEN.get(name)!]: [] }]);
    expect(operation.responses['401']).toBeDefined();
  });
});
