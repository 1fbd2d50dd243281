import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type Principal } from '#chorus/auth';
import { ApiCursorPageResponse, ApiProblems, CoreProblems, CursorPageQueryDto, ResourceIdPipe, type CursorPage } from '#chorus/core';
import { InfluencerProblems } from '#chorus/influencers';
import { UsageProblems } from '#chorus/usage';
import { AvatarSessionDto, StartAvatarSessionDto, StartedAvatarSessionDto, toAvatarSessionDto, toStartedAvatarSessionDto } from './dto/avatar.dto.js';
import { AvatarProblems } from './avatar.errors.js';
import { AvatarService } from './avatar.service.js';

const sessionId = new ResourceIdPipe('avatar session');

@ApiTags('avatar')
@ApiBearerAuth('bearer')
@ApiProblems(CoreProblems.unauthorized)
@Controller('avatar/sessions')
export class AvatarController {
  constructor(private readonly avatar: AvatarService) {}

  @Post()
  @ApiOperation({
    summary: "Start a live session with a persona's avatar",
    description:
      "The server checks that the persona has a live avatar and that my plan allows it, that I am under my plan's concurrent sessions " +
      '(409 `avatar_session_limit`), and reserves the session\'s seconds from my avatar minutes (up to AVATAR_MAX_SESSION_SECONDS, fewer ' +
      'when fewer are left; 429 `quota_exceeded` below AVATAR_MIN_SESSION_SECONDS) before it starts anything at the provider. ' +
      'Answers the session and, once, what joining its video room takes. Keep it alive (POST .../keep-alive) at least every ' +
      'AVATAR_IDLE_TIMEOUT_SECONDS, and stop it when done: the server stops it anyway when its seconds run out or keep-alives stop, ' +
      'and bills the seconds it ran.',
  })
  @ApiCreatedResponse({ type: StartedAvatarSessionDto })
  @ApiProblems(
    CoreProblems.validationFailed,
    InfluencerProblems.notFound,
    CoreProblems.notFound,
    AvatarProblems.noAvatar,
    AvatarProblems.conversationMismatch,
    AvatarProblems.sessionLimit,
    UsageProblems.planRequired,
    UsageProblems.quotaExceeded,
    AvatarProblems.providerFailed,
    AvatarProblems.providerUnavailable,
  )
  async startAvatarSession(@CurrentUser() caller: Principal, @Body() body: StartAvatarSessionDto): Promise<StartedAvatarSessionDto> {
    return toStartedAvatarSessionDto(await this.avatar.start(caller, body));
  }

  @Get()
  @ApiOperation({ summary: 'List my avatar sessions', description: "Newest first; admins see everyone's." })
  @ApiCursorPageResponse(AvatarSessionDto)
  @ApiProblems(CoreProblems.validationFailed)
  async listAvatarSessions(@CurrentUser() caller: Principal, @Query() query: CursorPageQueryDto): Promise<CursorPage<AvatarSessionDto>> {
    const page = await this.avatar.list(caller, query);
    return { items: page.items.map(toAvatarSessionDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an avatar session', description: 'Its status, times and, once ended, why and the seconds billed.' })
  @ApiOkResponse({ type: AvatarSessionDto })
  @ApiProblems(CoreProblems.notFound)
  async getAvatarSession(@CurrentUser() caller: Principal, @Param('id', sessionId) id: string): Promise<AvatarSessionDto> {
    return toAvatarSessionDto(await this.avatar.get(caller, id));
  }

  @Post(':id/keep-alive')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Keep an avatar session alive',
    description: 'Tells the provider and the server that I am still there; a session not kept alive for AVATAR_IDLE_TIMEOUT_SECONDS is stopped. 409 `avatar_session_ended` once it has ended.',
  })
  @ApiOkResponse({ type: AvatarSessionDto })
  @ApiProblems(CoreProblems.notFound, AvatarProblems.sessionEnded, AvatarProblems.providerFailed, AvatarProblems.providerUnavailable)
  async keepAvatarSessionAlive(@CurrentUser() caller: Principal, @Param('id', sessionId) id: string): Promise<AvatarSessionDto> {
    return toAvatarSessionDto(await this.avatar.keepAlive(caller, id));
  }

  @Post(':id/stop')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Stop an avatar session', description: 'Stops it at the provider and bills the seconds it ran; stopping an ended session answers it unchanged.' })
  @ApiOkResponse({ type: AvatarSessionDto })
  @ApiProblems(CoreProblems.notFound)
  async stopAvatarSession(@CurrentUser() caller: Principal, @Param('id', sessionId) id: string): Promise<AvatarSessionDto> {
    return toAvatarSessionDto(await this.avatar.stop(caller, id));
  }
}
