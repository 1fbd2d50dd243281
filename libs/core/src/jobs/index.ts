export { Jobs, type EnqueueOptions, type JobDefinition, type JobRun } from './jobs.js';
export { JobsModule } from './jobs.module.js';
