import type { Server } from 'node:http';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AppConfig } from '../config/app-config.js';
import { InjectConfig } from '../config/config.module.js';

/**
 * Nest stops the HTTP server before closing the database, and the server lets in-flight
 * requests finish. This bounds that wait: requests still running after SHUTDOWN_TIMEOUT_MS
 * have their connections closed so the process can exit.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private deadline?: NodeJS.Timeout;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  beforeApplicationShutdown(signal?: string): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    const timeoutMs = this.config.http.shutdownTimeoutMs;
    this.logger.log(`Shutting down${signal ? ` on ${signal}` : ''}: finishing in-flight requests (up to ${timeoutMs} ms)`);
    this.deadline = setTimeout(() => {
      this.logger.warn('In-flight requests did not finish in time; closing their connections');
      server.closeAllConnections();
    }, timeoutMs);
    this.deadline.unref();
  }

  onApplicationShutdown(signal?: string): void {
    clearTimeout(this.deadline);
    this.logger.log(`Stopped${signal ? ` on ${signal}` : ''}`);
  }
}
