import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';
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
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token.' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // operationIds are the controller method names, so the generated SDK reads like the code.
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  assertUniqueOperationIds(document);
  return document;
}

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
