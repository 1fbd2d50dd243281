import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { pinoHttp, type Options } from 'pino-http';
import type { AppConfig } from '../config/app-config.js';
import { requestIdOf } from '../request-context/request-context.js';
import { AppLogger } from './app-logger.js';

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

/**
 * The pino-http middleware that writes one line per request. configureApp mounts it right after
 * the request id, before the body parsers: nestjs-pino's own middleware is mounted by Nest at
 * `init()`, after them, and would never see a request they reject.
 */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

export interface LoggingOptions {
  /** Where log lines go instead of stdout (tests read them from here). */
  readonly destination?: DestinationStream;
}

/**
 * One pino logger for everything: Nest's own messages, services' logs (through nestjs-pino's
 * Logger) and the request lines. Every line written while a request is being served carries its
 * request id: the request line from pino-http, the others from the request's logger that
 * nestjs-pino keeps for the code serving it (`useExisting`: the one pino-http made).
 *
 * nestjs-pino keeps one root logger per process, made by the first app: lines written outside a
 * request by a second app in the same process go to the first one's destination.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig, options: LoggingOptions = {}): DynamicModule {
    const httpOptions = httpLogOptions(createRootLogger(config, options));
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: httpOptions, useExisting: true })],
      providers: [{ provide: HTTP_LOGGER, useValue: pinoHttp(httpOptions) }, AppLogger],
      exports: [HTTP_LOGGER, AppLogger],
    };
  }
}

function createRootLogger(config: AppConfig, { destination }: LoggingOptions): Logger {
  const pretty = config.log.format === 'pretty' && !destination;
  const options: LoggerOptions = {
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // pino's own error serializer writes the stack; what threw is found from the message and the request id.
    serializers: { err: (error: Error) => ({ type: error.name, message: error.message }) },
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
    // The loggers of a request carry only its id; `req` and the rest are on its one request line.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    // One line per request: what was asked, of which route, with what outcome. No headers, no body.
    serializers: {
      req: (request: ExpressRequest) => ({ method: request.method, path: pathOf(request) }),
      res: (response: ServerResponse) => ({ status: response.statusCode }),
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
