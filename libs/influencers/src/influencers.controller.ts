import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentUser, OptionalUser, type Principal } from '#chorus/auth';
import { ApiCursorPageResponse, ApiProblems, CoreProblems, PublicWithOptionalAuth, ResourceIdPipe, Roles, type CursorPage } from '#chorus/core';
import { CreateInfluencerDto, InfluencerDto, ListInfluencersQueryDto, UpdateInfluencerDto, toInfluencerDto } from './dto/influencer.dto.js';
import { InfluencerProblems } from './influencers.errors.js';
import { InfluencersService } from './influencers.service.js';

const TRENDING_COUNT = 10;
const isAdmin = (principal: Principal | undefined): boolean => principal?.role === 'admin';

@ApiTags('influencers')
@Controller('influencers')
export class InfluencersController {
  constructor(private readonly influencers: InfluencersService) {}

  @PublicWithOptionalAuth()
  @Get()
  @ApiOperation({
    summary: 'List personas',
    description: 'By name, cursor-paginated; search by name or handle, filter by category. Only active personas, except for admins.',
  })
  @ApiCursorPageResponse(InfluencerDto)
  @ApiProblems(CoreProblems.validationFailed)
  async listInfluencers(@Query() query: ListInfluencersQueryDto, @OptionalUser() caller?: Principal): Promise<CursorPage<InfluencerDto>> {
    const page = await this.influencers.list(query, isAdmin(caller));
    return { items: page.items.map((item) => toInfluencerDto(item, isAdmin(caller))), nextCursor: page.nextCursor };
  }

  @PublicWithOptionalAuth()
  @Get('trending')
  @ApiOperation({ summary: 'Trending personas', description: `The ${TRENDING_COUNT} active personas with the most messages over the last 7 days.` })
  @ApiOkResponse({ type: [InfluencerDto] })
  @ApiProblems()
  async listTrendingInfluencers(@OptionalUser() caller?: Principal): Promise<InfluencerDto[]> {
    return (await this.influencers.trending(TRENDING_COUNT)).map((item) => toInfluencerDto(item, isAdmin(caller)));
  }

  @PublicWithOptionalAuth()
  @Get(':id')
  @ApiOperation({ summary: 'Get a persona', description: 'By id or handle. The system prompt, model policy and moderation policy are shown to admins only.' })
  @ApiParam({ name: 'id', description: 'The persona\'s id (uuid) or handle.', example: 'nova' })
  @ApiOkResponse({ type: InfluencerDto })
  @ApiProblems(CoreProblems.notFound)
  async getInfluencer(@Param('id') idOrHandle: string, @OptionalUser() caller?: Principal): Promise<InfluencerDto> {
    return toInfluencerDto(await this.influencers.get(idOrHandle, isAdmin(caller)), isAdmin(caller));
  }

  @Post()
  @Roles('admin')
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Create a persona', description: "Admins only. The model policy defaults to DEFAULT_MODEL, the moderation policy to the deployment's." })
  @ApiCreatedResponse({ type: InfluencerDto })
  @ApiProblems(CoreProblems.unauthorized, CoreProblems.forbidden, CoreProblems.validationFailed, InfluencerProblems.handleTaken, InfluencerProblems.unknownModel)
  async createInfluencer(@Body() body: CreateInfluencerDto, @CurrentUser() _admin: Principal): Promise<InfluencerDto> {
    return toInfluencerDto(await this.influencers.create(body), true);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Update a persona',
    description: 'Admins only. A new system prompt becomes a new version; replies record the version they were generated with.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: InfluencerDto })
  @ApiProblems(CoreProblems.unauthorized, CoreProblems.forbidden, CoreProblems.validationFailed, CoreProblems.notFound, InfluencerProblems.handleTaken, InfluencerProblems.unknownModel)
  async updateInfluencer(@Param('id', new ResourceIdPipe('persona')) id: string, @Body() body: UpdateInfluencerDto): Promise<InfluencerDto> {
    return toInfluencerDto(await this.influencers.update(id, body), true);
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Delete a persona', description: 'Admins only. A soft delete: existing conversations keep their history.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(CoreProblems.unauthorized, CoreProblems.forbidden, CoreProblems.notFound)
  async deleteInfluencer(@Param('id', new ResourceIdPipe('persona')) id: string): Promise<void> {
    await this.influencers.remove(id);
  }
}
