export { API_PREFIX, applyApiPrefix, configureApp, type HttpSurfaceOptions } from './configure-app.js';
export { MAX_JSON_DEPTH } from './input-guards.js';
export { GracefulShutdown } from './graceful-shutdown.js';
export { IS_PUBLIC, OWN_CREDENTIALS, OwnCredentials, Public, PublicWithOptionalAuth, REQUIRED_ROLES, Roles } from './access.decorators.js';
export { ResourceIdPipe } from './resource-id.pipe.js';
export { SSE_HEARTBEAT_MS, writeServerSentEvents, type ServerSentEvent, type ServerSentEventsOptions } from './server-sent-events.js';
export { DOCS_PATH, METRICS_SECURITY_SCHEME, OPENAPI_JSON_PATH, buildOpenApiDocument, setupOpenApi, toDeterministicJson } from './openapi.js';
