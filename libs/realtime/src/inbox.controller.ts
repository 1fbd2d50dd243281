import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthProblems, CurrentUser, type Principal } from '#chorus/auth';
import { ApiProblems, CoreProblems, isLogId } from '#chorus/core';
import { ApiInboxStreamResponse, INBOX_SSE_DESCRIPTION, InboxEventsQueryDto } from './dto/inbox-events.dto.js';
import { InboxStreams } from './inbox-streams.service.js';

@ApiTags('me')
@ApiBearerAuth('bearer')
@ApiProblems(AuthProblems.authenticationRequired)
@Controller('me')
export class InboxController {
  constructor(private readonly streams: InboxStreams) {}

  @Get('events')
  @ApiOperation({ summary: 'Follow my inbox', description: `What happens in your conversations, as it happens, on every device. ${INBOX_SSE_DESCRIPTION}` })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event received: the events kept since are replayed first.' })
  @ApiInboxStreamResponse()
  @ApiProblems(CoreProblems.validationFailed)
  async streamInbox(@CurrentUser() caller: Principal, @Query() query: InboxEventsQueryDto, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.streams.serve(caller, request, response, lastEventIdOf(request, query));
  }
}

/** The client's Last-Event-ID (the header, else the query parameter), when it is one a log could have given. */
function lastEventIdOf(request: Request, query: InboxEventsQueryDto): string | undefined {
  const raw = request.get('last-event-id') ?? query.lastEventId;
  return raw !== undefined && isLogId(raw) ? raw : undefined;
}
