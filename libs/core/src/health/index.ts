export { HealthModule } from './health.module.js';
export { ReadinessChecks, type ReadinessReport } from './readiness.js';
