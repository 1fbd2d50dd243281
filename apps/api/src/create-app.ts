import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppLogger, configureApp, loadConfig, readEnvironment, type AppConfig, type Env } from '#chorus/core';
import { OPENAI_ERROR_FORMAT } from '#chorus/openai-compat';
import { AppModule, type AppModuleOptions } from './app.module.js';

export interface CreateAppOptions extends AppModuleOptions {
  /** The configuration to run with; by default it is read from the environment and `.env`. */
  readonly config?: AppConfig;
  /** Variables laid over the environment before it is validated. */
  readonly env?: Env;
}

/**
 * Builds and initialises the application (database open and migrated, routes mounted) without
 * listening. main listens on it; tests drive it directly. Throws ConfigValidationError for bad
 * configuration before anything is started.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const config = options.config ?? loadConfig(readEnvironment(options.env));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(AppLogger));
  app.flushLogs();
  const errors = configureApp(app, config, { errorFormats: [OPENAI_ERROR_FORMAT] });
  await app.init();
  // After init, so that it comes after every route.
  app.use(errors.unmatchedRoute);
  return app;
}
