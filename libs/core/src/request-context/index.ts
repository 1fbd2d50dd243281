export {
  REQUEST_ID_HEADER,
  currentRequestContext,
  requestContextMiddleware,
  requestIdOf,
  type RequestContext,
} from './request-context.js';
