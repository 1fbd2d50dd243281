export { MetricsModule } from './metrics.module.js';
export { METRICS_PREFIX, MetricsService } from './metrics.service.js';
export { UNMATCHED_ROUTE } from './http-metrics.js';
