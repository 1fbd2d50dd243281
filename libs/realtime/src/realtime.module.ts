import { Module } from '@nestjs/common';
import { InboxController } from './inbox.controller.js';
import { InboxStreams } from './inbox-streams.service.js';
import { Inbox } from './inbox.service.js';

/** Live events for users' clients: each user's inbox, which features publish to, and GET /me/events that follows it. */
@Module({
  controllers: [InboxController],
  providers: [Inbox, InboxStreams],
  exports: [Inbox],
})
export class RealtimeModule {}
