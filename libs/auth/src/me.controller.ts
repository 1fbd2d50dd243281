import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CoreProblems, ResourceIdPipe } from '#chorus/core';
import { AuthProblems } from './auth.errors.js';
import { SessionDto, toSessionDto } from './dto/session.dto.js';
import { ChangePasswordDto, DeleteAccountDto, UpdateProfileDto, UserDto, toUserDto } from './dto/user.dto.js';
import { CurrentUser } from './guards/auth.decorators.js';
import type { Principal } from './principal.js';
import { SessionsService } from './sessions.service.js';
import { UsersService } from './users.service.js';

@ApiTags('me')
@ApiBearerAuth('bearer')
@ApiProblems(AuthProblems.authenticationRequired)
@Controller('me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Get my account' })
  @ApiOkResponse({ type: UserDto })
  async getMe(@CurrentUser() principal: Principal): Promise<UserDto> {
    return toUserDto(await this.users.getOwn(principal.userId));
  }

  @Patch()
  @ApiOperation({ summary: 'Update my profile', description: 'Display name and client preferences (replaced as a whole).' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(CoreProblems.validationFailed)
  async updateMe(@CurrentUser() principal: Principal, @Body() body: UpdateProfileDto): Promise<UserDto> {
    return toUserDto(await this.users.updateProfile(principal.userId, body));
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete my account',
    description: 'Needs the current password. Deletes the account and everything it owns; every token and API key stops working.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(CoreProblems.validationFailed, AuthProblems.wrongPassword, AuthProblems.lastAdmin)
  async deleteMe(@CurrentUser() principal: Principal, @Body() body: DeleteAccountDto): Promise<void> {
    await this.users.delete(principal.userId, body.password);
  }

  @Post('password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Change my password',
    description:
      'Needs the current password. Every other session is ended; this one stays signed in. API keys keep working ' +
      'unless `revokeApiKeys` is true.',
  })
  @ApiNoContentResponse({ description: 'Password changed.' })
  @ApiProblems(CoreProblems.validationFailed, AuthProblems.wrongPassword)
  async changePassword(@CurrentUser() principal: Principal, @Body() body: ChangePasswordDto): Promise<void> {
    await this.users.changePassword(principal.userId, body, principal.sessionId);
  }

  @Get('sessions')
  @ApiOperation({ summary: 'List my sessions', description: 'The signed-in devices, most recently used first.' })
  @ApiOkResponse({ type: [SessionDto] })
  async listSessions(@CurrentUser() principal: Principal): Promise<SessionDto[]> {
    const sessions = await this.sessions.listActive(principal.userId);
    return sessions.map((session) => toSessionDto(session, principal.sessionId));
  }

  @Delete('sessions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End one of my sessions', description: "Its tokens stop working at once. Another user's session is not found." })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Session ended.' })
  @ApiProblems(CoreProblems.notFound)
  async revokeSession(@CurrentUser() principal: Principal, @Param('id', new ResourceIdPipe('session')) id: string): Promise<void> {
    await this.sessions.revokeOwn(principal.userId, id, 'revoked_by_user');
  }
}
