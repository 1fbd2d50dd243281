import { randomUUID } from 'node:crypto';
import type { AvatarProvider, OpenedAvatarSession, StartedAvatarSession } from './avatar-provider.js';

/**
 * The embedded default: a session's whole lifecycle (open, start, keep-alive, stop) with no video
 * and no key, so that a new installation can try sessions, quotas and the sweeper. Its join info
 * says plainly that there is nothing to join.
 */
export class SimulatedAvatarProvider implements AvatarProvider {
  async open(): Promise<OpenedAvatarSession> {
    return { providerSessionId: `simulated-${randomUUID()}`, startCredential: '' };
  }

  async start(): Promise<StartedAvatarSession> {
    return { join: { transport: 'none', url: null, token: null }, maxSeconds: null };
  }

  async keepAlive(): Promise<void> {}

  async stop(): Promise<void> {}
}
