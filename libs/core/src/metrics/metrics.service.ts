import { Injectable } from '@nestjs/common';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/** Every Chorus metric, the process's default ones included, starts with this. */
export const METRICS_PREFIX = 'chorus_';

/**
 * The app's Prometheus registry, and the way features declare their metrics on it. Each app
 * owns its registry (never prom-client's global one): tests run several apps in one process,
 * and each must count only its own. A feature declares its metrics once, in a provider's
 * constructor, and on the hot path only observes or increments them (no I/O, no awaits);
 * values that live elsewhere (pool sizes, circuit states) are read at scrape time by a
 * gauge's `collect`.
 */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();

  constructor() {
    // Process CPU, memory, handles, GC and event-loop lag (chorus_nodejs_eventloop_lag_seconds).
    collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });
  }

  counter<T extends string>(configuration: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    return new Counter({ ...configuration, registers: [this.registry] });
  }

  gauge<T extends string>(configuration: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
    return new Gauge({ ...configuration, registers: [this.registry] });
  }

  histogram<T extends string>(configuration: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
    return new Histogram({ ...configuration, registers: [this.registry] });
  }

  /** The Prometheus text exposition format's media type (`text/plain; version=0.0.4`). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the text exposition format, gauges' `collect` run first. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
