export { AppLogger } from './app-logger.js';
export { HTTP_LOGGER, LoggingModule, REDACTED_PATHS, type LoggingOptions } from './logging.module.js';
