import type { LoggerService } from '@nestjs/common';

type Level = 'log' | 'warn' | 'error';

/**
 * Nest's Logger, overridden for a test file (`Logger.overrideLogger(captured)`): what the code
 * logged is kept out of the test output, and can be asserted on.
 */
export class CapturedLogger implements LoggerService {
  readonly lines: Array<{ level: Level; message: string; context: unknown }> = [];

  log(message: unknown, ...params: unknown[]): void {
    this.capture('log', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.capture('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.capture('error', message, params);
  }

  /** The messages logged at `level` (any, when unset), by `context` (any, when unset), that mention `text`. */
  messages({ level, context, text = '' }: { level?: Level; context?: string; text?: string } = {}): string[] {
    return this.lines
      .filter((line) => (level === undefined || line.level === level) && (context === undefined || line.context === context) && line.message.includes(text))
      .map((line) => line.message);
  }

  private capture(level: Level, message: unknown, params: unknown[]): void {
    this.lines.push({ level, message: String(message), context: params.at(-1) });
  }
}
