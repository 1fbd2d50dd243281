import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiCursorPageResponse, ApiProblems, CoreProblems, ResourceIdPipe, Roles, type CursorPage } from '#chorus/core';
import { AuthProblems } from './auth.errors.js';
import { AdminListUsersQueryDto, AdminUpdateUserDto, UserDto, toUserDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('admin')
@ApiBearerAuth('bearer')
@Roles('admin')
@ApiProblems(AuthProblems.authenticationRequired, AuthProblems.forbidden)
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users', description: 'Newest first, cursor-paginated; `email` filters by a part of the address.' })
  @ApiCursorPageResponse(UserDto)
  @ApiProblems(CoreProblems.validationFailed)
  async listUsers(@Query() query: AdminListUsersQueryDto): Promise<CursorPage<UserDto>> {
    const page = await this.users.list({ limit: query.limit, cursor: query.cursor, emailContains: query.email });
    return { items: page.items.map(toUserDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(CoreProblems.notFound)
  async getUser(@Param('id', new ResourceIdPipe('user')) id: string): Promise<UserDto> {
    return toUserDto(await this.users.get(id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: "Change a user's role, plan or status",
    description:
      'Banning ends every session and deletes every API key of the user at once. Role and plan changes apply ' +
      'from the user\'s next request, to access tokens already issued too. The last active admin cannot be demoted or banned.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(CoreProblems.validationFailed, CoreProblems.notFound, AuthProblems.unknownPlan, AuthProblems.lastAdmin)
  async updateUser(@Param('id', new ResourceIdPipe('user')) id: string, @Body() body: AdminUpdateUserDto): Promise<UserDto> {
    return toUserDto(await this.users.update(id, body));
  }
}
