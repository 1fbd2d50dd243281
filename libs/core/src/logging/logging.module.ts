import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, type DynamicModule } from '@nestjs/common';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { pinoHttp, type Options } from 'pino-http';
import type { AppConfig } from '../config/app-config.js';
import { currentRequestContext, requestIdOf } from '../request-context/request-context.js';
import { PinoNestLogger } from './pino-nest-logger.js';

/**
 * Paths pino blanks in every log line. Requests are logged without headers or bodies, so these
 * are a second line of defence for objects a service logs on purpose.
 */
const SECRET_FIELDS = ['password', 'currentPassword', 'newPassword', 'token', 'accessToken', 'refreshToken', 'apiKey', 'secret', 'authorization'];

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  // Fields a service passes at the top of a line, and one level down.
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
];

type ExpressRequest = IncomingMessage & { route?: { path?: string }; originalUrl?: string };

/** The pino-http middleware that writes one line per request; configureApp mounts it first in the chain. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/** Nest's LoggerService over the same pino logger; createApp installs it as the app logger. */
export const NEST_LOGGER = Symbol('NEST_LOGGER');

export interface LoggingOptions {
  /** Where log lines go instead of stdout (tests read them from here). */
  readonly destination?: DestinationStream;
}

/**
 * One pino logger for everything: Nest's own messages, services' logs and the request lines.
 * Every line written while a request is being served carries its request id.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig, options: LoggingOptions = {}): DynamicModule {
    const logger = createRootLogger(config, options);
    return {
      module: LoggingModule,
      providers: [
        { provide: HTTP_LOGGER, useValue: pinoHttp(httpLogOptions(logger)) },
        { provide: NEST_LOGGER, useValue: new PinoNestLogger(logger) },
      ],
      exports: [HTTP_LOGGER, NEST_LOGGER],
    };
  }
}

function createRootLogger(config: AppConfig, { destination }: LoggingOptions): Logger {
  const pretty = config.log.format === 'pretty' && !destination;
  const options: LoggerOptions = {
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => {
      const context = currentRequestContext();
      return context ? { requestId: context.requestId } : {};
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

function httpLogOptions(logger: Logger): Options {
  return {
    logger,
    // The id was chosen by requestContextMiddleware, which runs before this middleware.
    genReqId: (request) => requestIdOf(request),
    customAttributeKeys: { responseTime: 'durationMs' },
    // One line per request: what was asked, of which route, with what outcome. No headers, no body.
    serializers: {
      req: (request: ExpressRequest) => ({ method: request.method, path: pathOf(request) }),
      res: (response: ServerResponse) => ({ status: response.statusCode }),
      // pino-http attaches an Error to 5xx lines; its stack stays out of the logs.
      err: (error: Error) => ({ type: error.name, message: error.message }),
    },
    wrapSerializers: false,
    // Evaluated when the response finishes: only then has Express matched the route.
    customProps: (request) => ({ route: (request as ExpressRequest).route?.path }),
    customLogLevel: (_request, response, error) => {
      if (error || response.statusCode >= 500) return 'error';
      return response.statusCode >= 400 ? 'warn' : 'info';
    },
    customSuccessMessage: (request, response, durationMs) =>
      `${request.method} ${pathOf(request as ExpressRequest)} ${response.statusCode} ${Math.round(durationMs)}ms`,
    customErrorMessage: (request, response) =>
      `${request.method} ${pathOf(request as ExpressRequest)} ${response.statusCode} failed`,
    // Probes poll every few seconds; their lines would drown the rest.
    autoLogging: { ignore: (request) => pathOf(request as ExpressRequest).startsWith('/health/') },
  };
}

/** The path without its query string: queries can carry tokens and do not belong in logs. */
function pathOf(request: ExpressRequest): string {
  return (request.originalUrl ?? request.url ?? '').split('?')[0] ?? '';
}
