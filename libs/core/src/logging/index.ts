export { HTTP_LOGGER, LoggingModule, NEST_LOGGER, REDACTED_PATHS, type LoggingOptions } from './logging.module.js';
export { PinoNestLogger } from './pino-nest-logger.js';
