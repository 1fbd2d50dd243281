export { API_PREFIX, configureApp } from './configure-app.js';
export { GracefulShutdown } from './graceful-shutdown.js';
export { DOCS_PATH, OPENAPI_JSON_PATH, buildOpenApiDocument, setupOpenApi, toDeterministicJson } from './openapi.js';
