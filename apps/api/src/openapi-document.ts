import { NestFactory } from '@nestjs/core';
import { applyApiPrefix, buildOpenApiDocument, toDeterministicJson, type AppConfig } from '#chorus/core';
import { AppModule } from './app.module.js';

/**
 * The API's OpenAPI document as committed in openapi/openapi.json. Nest's preview mode builds
 * the module graph without instantiating providers, so no database is opened.
 */
export async function renderOpenApiDocument(config: AppConfig): Promise<string> {
  const app = await NestFactory.create(AppModule.forRoot(config), { preview: true, logger: false });
  applyApiPrefix(app);
  try {
    return toDeterministicJson(buildOpenApiDocument(app));
  } finally {
    await app.close();
  }
}
