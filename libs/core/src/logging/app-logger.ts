import { Injectable } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

/**
 * Nest's start-up detail: a line per module, per controller and per route. The controller lines
 * print the global prefix even for routes excluded from it (`HealthController {/api/v1/health}`
 * serves /health/*), so they are for debugging, not for the default log.
 */
const START_UP_DETAIL = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * The application's logger (createApp installs it): nestjs-pino's, so Nest's messages and every
 * `new Logger(context)` write pino lines through the logger of the request being served, with
 * Nest's start-up detail moved down to debug.
 */
@Injectable()
export class AppLogger extends Logger {
  override log(message: unknown, ...params: unknown[]): void {
    if (START_UP_DETAIL.has(params.at(-1) as string)) super.debug(message, ...params);
    else super.log(message, ...params);
  }
}
