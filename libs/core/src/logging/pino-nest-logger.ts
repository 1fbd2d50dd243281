import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/**
 * Nest's logger interface over pino, so Nest's own messages and every `new Logger(context)`
 * in the code write the same structured lines as the request logger.
 *
 * Nest calls `log(message, ...params, context)`; the context is the last string. A service may
 * pass an object first (fields for the line) and the message after it. For errors Nest also
 * passes a stack trace, which is dropped: stacks do not go to the logs.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const strings = params.filter((param): param is string => typeof param === 'string');
    const context = strings.length > 0 ? strings.at(-1) : undefined;
    if (typeof message === 'string') {
      this.logger[level]({ context }, message);
    } else if (message instanceof Error) {
      this.logger[level]({ context, error: { type: message.name, message: message.message } }, message.message);
    } else {
      // (fields, message, context): the message is the first string, when there are two.
      const text = strings.length > 1 ? strings[0] : undefined;
      this.logger[level]({ context, ...(message as object) }, text);
    }
  }
}
