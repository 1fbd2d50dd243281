export { EventLog, compareIds, isLogId, type LogBounds, type LoggedEvent, type ReadOptions } from './event-log.js';
export { Leases } from './leases.js';
export { PubSub, type ChannelListener } from './pub-sub.js';
export { SharedStateModule } from './shared-state.module.js';
