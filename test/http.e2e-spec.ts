import { Logger } from '@nestjs/common';
import { ProbeModule } from './support/probe.module.js';
import { TestApp } from './support/test-app.js';

const PROBLEM_JSON = /^application\/problem\+json/;

describe('HTTP surface', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await TestApp.start({ extraModules: [ProbeModule], env: { BODY_LIMIT: '2kb', CORS_ORIGINS: 'https://app.example' } });
  });

  afterAll(async () => {
    await sut.close();
  });

  describe('request ids', () => {
    it('generates a request id and echoes it on the response', async () => {
      const response = await sut.http().get('/health/live').expect(200);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("keeps the client's request id", async () => {
      const response = await sut.http().get('/api/v1/nowhere').set('X-Request-Id', 'client-req-42').expect(404);
      expect(response.headers['x-request-id']).toBe('client-req-42');
      expect(response.body.requestId).toBe('client-req-42');
    });

    it('replaces a request id that could forge log lines', async () => {
      const response = await sut.http().get('/health/live').set('X-Request-Id', 'evil id\twith spaces').expect(200);
      expect(response.headers['x-request-id']).not.toContain('evil');
    });
  });

  describe('problem+json errors', () => {
    it('answers an unknown route with a 404 problem', async () => {
      const response = await sut.http().get('/api/v1/does-not-exist').expect(404);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toEqual({
        type: 'urn:chorus:problem:not_found',
        title: 'Not found',
        status: 404,
        detail: expect.any(String),
        code: 'not_found',
        requestId: response.headers['x-request-id'],
      });
    });

    it('lists every invalid field, nested ones by their path', async () => {
      const response = await sut
        .http()
        .post('/api/v1/probe/echo')
        .send({ email: 'not-an-email', count: 11, address: { country: 'France' } })
        .expect(400);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.requestId).toBe(response.headers['x-request-id']);
      const fields = response.body.errors.map((error: { field: string }) => error.field);
      expect(new Set(fields)).toEqual(new Set(['email', 'count', 'address.country']));
      for (const error of response.body.errors) expect(error.message).toEqual(expect.any(String));
    });

    it('rejects unknown properties', async () => {
      const response = await sut.http().post('/api/v1/probe/echo').send({ email: 'a@b.co', count: 1, isAdmin: true }).expect(400);
      expect(response.body.errors).toEqual([{ field: 'isAdmin', message: 'property isAdmin should not exist' }]);
    });

    it('accepts a valid body and converts it to the DTO types', async () => {
      const response = await sut.http().post('/api/v1/probe/echo').send({ email: 'a@b.co', count: 3, tags: ['x'] }).expect(201);
      expect(response.body).toEqual({ email: 'a@b.co', count: 3, tags: ['x'] });
    });

    it('answers malformed JSON with a 400 problem', async () => {
      const response = await sut
        .http()
        .post('/api/v1/probe/echo')
        .set('Content-Type', 'application/json')
        .send('{"email": ')
        .expect(400);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body.code).toBe('malformed_request');
      expect(response.body.requestId).toBe(response.headers['x-request-id']);
    });

    it('answers a body over the size limit with a 413 problem', async () => {
      const response = await sut
        .http()
        .post('/api/v1/probe/echo')
        .send({ email: 'a@b.co', count: 1, tags: ['x'.repeat(4096)] })
        .expect(413);
      expect(response.body.code).toBe('payload_too_large');
    });

    it('turns an unexpected exception into a 500 that reveals nothing, and logs it', async () => {
      const response = await sut.http().get('/api/v1/probe/crash').expect(500);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toEqual({
        type: 'urn:chorus:problem:internal_error',
        title: 'Internal server error',
        status: 500,
        detail: expect.any(String),
        code: 'internal_error',
        requestId: response.headers['x-request-id'],
      });
      expect(response.text).not.toMatch(/hunter2|SELECT|postgres:|\bat\s+\S+\s+\(/);

      const logged = sut.logs.lines.find((line) => line['context'] === 'Errors' && line['requestId'] === response.body.requestId);
      expect(logged).toBeDefined();
      const everything = sut.logs.raw.join('\n');
      expect(everything).not.toContain('hunter2');
      expect(everything).not.toMatch(/\\n\s+at /);
    });
  });

  describe('logs', () => {
    it('writes one line per request with method, route, status, duration and request id', async () => {
      const response = await sut.http().post('/api/v1/probe/echo').send({ email: 'a@b.co', count: 2 }).expect(201);
      const requestId = response.headers['x-request-id'];
      const lines = sut.logs.lines.filter((line) => line['requestId'] === requestId && line['req']);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        req: { method: 'POST', path: '/api/v1/probe/echo' },
        route: '/api/v1/probe/echo',
        res: { status: 201 },
        durationMs: expect.any(Number),
      });
    });

    it("tags the lines a service writes while serving a request with the request's id, and no others", async () => {
      const response = await sut.http().get('/api/v1/probe/log').expect(200);
      const served = sut.logs.lines.find((line) => line['msg'] === 'serving the log probe');
      expect(served).toMatchObject({ context: 'Probe', requestId: response.headers['x-request-id'] });
      expect(served).not.toHaveProperty('req');

      new Logger('Probe').log('logging outside any request');
      const outside = sut.logs.lines.find((line) => line['msg'] === 'logging outside any request');
      expect(outside).toBeDefined();
      expect(outside).not.toHaveProperty('requestId');
      const startUp = sut.logs.lines.find((line) => line['context'] === 'NestApplication');
      expect(startUp).toBeDefined();
      expect(startUp).not.toHaveProperty('requestId');
    });

    it('writes the request id once in a line, even where the code names it too', () => {
      expect(sut.logs.raw.filter((raw) => raw.split('"requestId":').length > 2)).toEqual([]);
    });

    it('logs requests refused before any route: by the body parser, or for want of a route', async () => {
      const refused = await sut.http().post('/api/v1/probe/echo').set('Content-Type', 'application/json').send('{"email": ').expect(400);
      const unmatched = await sut.http().get('/nowhere/at/all').expect(404);
      const cases = [
        { response: refused, req: { method: 'POST', path: '/api/v1/probe/echo' } },
        { response: unmatched, req: { method: 'GET', path: '/nowhere/at/all' } },
      ];
      for (const { response, req } of cases) {
        const lines = sut.logs.lines.filter((line) => line['requestId'] === response.headers['x-request-id'] && line['req']);
        expect(lines).toEqual([expect.objectContaining({ level: 40, req, res: { status: response.status } })]);
      }
    });

    it('logs Nest\'s module and route mapping at debug, so the default start-up log is short', () => {
      const mapping = sut.logs.lines.filter((line) => ['InstanceLoader', 'RoutesResolver', 'RouterExplorer'].includes(String(line['context'])));
      expect(mapping).toEqual([]);
    });

    it('blanks secret fields a service logs, at the top level and one level down', () => {
      const logger = new Logger('Probe');
      logger.log({ password: 'pw-top-1', token: 'tk-top-2', user: { apiKey: 'key-nested-3' } }, 'logging secrets on purpose');
      const line = sut.logs.raw.find((raw) => raw.includes('logging secrets on purpose'));
      expect(line).toBeDefined();
      expect(line).not.toMatch(/pw-top-1|tk-top-2|key-nested-3/);
      expect(line).toContain('[redacted]');
    });

    it('keeps credentials and query strings out of the log', async () => {
      await sut
        .http()
        .get('/api/v1/somewhere?token=query-secret-123')
        .set('Authorization', 'Bearer header-secret-456')
        .set('Cookie', 'session=cookie-secret-789')
        .expect(404);
      const everything = sut.logs.raw.join('\n');
      expect(everything).not.toMatch(/query-secret-123|header-secret-456|cookie-secret-789/);
    });
  });

  describe('security headers and CORS', () => {
    it('sets helmet headers and hides the framework', async () => {
      const response = await sut.http().get('/health/live').expect(200);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBeDefined();
      expect(response.headers['x-powered-by']).toBeUndefined();
    });

    it('allows only the configured origins', async () => {
      const allowed = await sut.http().get('/health/live').set('Origin', 'https://app.example');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(allowed.headers['access-control-expose-headers']).toContain('X-Request-Id');
      const other = await sut.http().get('/health/live').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('OpenAPI', () => {
    it('serves Swagger UI at /docs and the document at /docs/openapi.json', async () => {
      const page = await sut.http().get('/docs').redirects(1).expect(200);
      expect(page.text).toContain('swagger-ui');
      const document = await sut.http().get('/docs/openapi.json').expect(200);
      expect(document.body.info.title).toBe('Chorus API');
      expect(document.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(document.body.paths['/health/ready'].get.operationId).toBe('getReadiness');
    });

  });
});
