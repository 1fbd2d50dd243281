import { Injectable } from '@nestjs/common';

/** What a feature reports about a dependency it owns: `degraded` keeps the service ready (200). */
export interface ReadinessReport {
  readonly status: 'up' | 'degraded' | 'down';
  readonly [detail: string]: unknown;
}

/**
 * Where feature modules add their own readiness checks (the AI providers' circuit breakers,
 * say), so that core's health endpoint reports them without depending on the features.
 */
@Injectable()
export class ReadinessChecks {
  private readonly checks = new Map<string, () => ReadinessReport | Promise<ReadinessReport>>();

  register(name: string, check: () => ReadinessReport | Promise<ReadinessReport>): void {
    this.checks.set(name, check);
  }

  entries(): Array<[string, () => ReadinessReport | Promise<ReadinessReport>]> {
    return [...this.checks.entries()];
  }
}
