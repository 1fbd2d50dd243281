import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';
/** The security scheme of GET /metrics: its own bearer token (METRICS_TOKEN), not a user's credentials. */
export const METRICS_SECURITY_SCHEME = 'metricsToken';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

interface PackageInfo {
  name: string;
  version: string;
  description: string;
}

/** Builds the OpenAPI document from the controllers' decorators. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const info = readPackageInfo();
  const config = new DocumentBuilder()
    .setTitle('Chorus API')
    .setDescription(info.description)
    .setVersion(info.version)
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'The server that serves this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /api/v1/auth/login.' }, 'bearer')
    // Not addBearerAuth, which adds `bearerFormat: JWT`: an API key is an opaque string, not a JWT.
    .addSecurity('apiKey', { type: 'http', scheme: 'bearer', description: 'An API key (`chorus_sk_...`) from POST /api/v1/me/api-keys, sent as a bearer token.' })
    .addSecurity(METRICS_SECURITY_SCHEME, { type: 'http', scheme: 'bearer', description: 'The operator\'s METRICS_TOKEN, for Prometheus scrapes.' })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // operationIds are the controller method names, so the generated SDK reads like the code.
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  assertUniqueOperationIds(document);
  applySecurity(document);
  nullableReferences(document);
  unwrapSingleAllOf(document);
  return document;
}

export const OPTIONAL_AUTH_EXTENSION = 'x-chorus-optional-auth';

/**
 * Every operation says how it is authenticated: an access token or an API key (either works
 * wherever the other does), none for public routes, and optionally one for public routes that
 * show more to a signed-in caller.
 */
function applySecurity(document: OpenAPIObject): void {
  const credentials: Array<Record<string, string[]>> = [{ bearer: [] }, { apiKey: [] }];
  document.security = credentials;
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<Record<string, unknown>>) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const security = operation['security'] as Array<Record<string, string[]>> | undefined;
      // A route with a scheme of its own (the metrics token) keeps it.
      if (security?.some((entry) => METRICS_SECURITY_SCHEME in entry)) continue;
      if (operation[OPTIONAL_AUTH_EXTENSION]) {
        operation['security'] = [{}, ...credentials];
        delete operation[OPTIONAL_AUTH_EXTENSION];
      } else {
        operation['security'] = operation['security'] ? credentials : [];
      }
    }
  }
}

/** `{ allOf: [{ $ref }] }` with nothing beside it (how Swagger wraps named enums) is just the `$ref`. */
function unwrapSingleAllOf(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(unwrapSingleAllOf);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const candidate = value as Record<string, unknown>;
      const allOf = candidate['allOf'];
      if (Array.isArray(allOf) && allOf.length === 1 && Object.keys(candidate).length === 1) record[key] = allOf[0];
    }
    unwrapSingleAllOf(record[key]);
  }
}

/**
 * `@ApiProperty({ type: SomeDto, nullable: true })` is written `{ allOf: [$ref], nullable: true }`,
 * which validators read as never null (the referenced object schema refuses null whatever the
 * outer `nullable` says). Written as "the object, or null" instead, validators and the SDK
 * generator both read it right.
 */
function nullableReferences(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach(nullableReferences);
    return;
  }
  const record = node as Record<string, unknown>;
  const allOf = record['allOf'];
  if (record['nullable'] === true && Array.isArray(allOf) && allOf.length === 1) {
    // The outer `type: object` would refuse null as well.
    delete record['allOf'];
    delete record['nullable'];
    delete record['type'];
    record['anyOf'] = [allOf[0], NULL_SCHEMA];
  }
  Object.values(record).forEach(nullableReferences);
}

/** The schema that accepts null and nothing else, in OpenAPI 3.0 terms. */
const NULL_SCHEMA = { type: 'object', nullable: true, enum: [null] };

/** Swagger UI at /docs and the JSON document at /docs/openapi.json, outside the API prefix. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    useGlobalPrefix: false,
    customSiteTitle: 'Chorus API',
    swaggerOptions: { persistAuthorization: true },
  });
}

/** The document with every object's keys sorted, so the committed file only changes when the API does. */
export function toDeterministicJson(document: OpenAPIObject): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

function assertUniqueOperationIds(document: OpenAPIObject): void {
  const seen = new Map<string, string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const id = (operation as { operationId?: string }).operationId;
      if (!id) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const earlier = seen.get(id);
      if (earlier) throw new Error(`operationId "${id}" is used by both ${earlier} and ${where}: rename a controller method.`);
      seen.set(id, where);
    }
  }
}

/** The nearest package.json above this file: the same lookup works from src/ and from dist/. */
function readPackageInfo(): PackageInfo {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('package.json not found above the application code');
    directory = parent;
  }
  return JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as PackageInfo;
}
