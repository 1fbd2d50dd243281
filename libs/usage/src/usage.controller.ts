import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentUser, UsersService, type Principal } from '#chorus/auth';
import {
  ApiCursorPageResponse,
  ApiProblems,
  CoreProblems,
  CursorPageQueryDto,
  InjectConfig,
  Public,
  ResourceIdPipe,
  Roles,
  type AppConfig,
  type CursorPage,
} from '#chorus/core';
import { AdminUsageQueryDto, EffectiveLimitsDto, MyUsageDto, PlanDto, QuotaOverrideDto, UsageAggregateDto } from './dto/usage.dto.js';
import { UsageService } from './usage.service.js';

@ApiTags('usage')
@Controller()
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly users: UsersService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Public()
  @Get('plans')
  @ApiOperation({ summary: 'List plans', description: 'Every plan with its limits per modality (null: unlimited).' })
  @ApiOkResponse({ type: [PlanDto] })
  @ApiProblems()
  listPlans(): PlanDto[] {
    return this.config.usage.plans.map((plan) => ({ name: plan.name, description: plan.description, limits: plan.limits }));
  }

  @Get('me/usage')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'My usage',
    description: 'Per modality: used, reserved (replies in progress), limit, remaining and when it resets; plus the ledger, newest first.',
  })
  @ApiOkResponse({ type: MyUsageDto })
  @ApiProblems(CoreProblems.unauthorized, CoreProblems.validationFailed)
  async getMyUsage(@CurrentUser() caller: Principal, @Query() query: CursorPageQueryDto): Promise<MyUsageDto> {
    const user = await this.users.get(caller.userId);
    const subject = { userId: user.id, plan: user.plan, role: user.role };
    return {
      plan: user.role === 'admin' ? 'admin' : user.plan,
      meters: (await this.usage.meters(subject)) as unknown as MyUsageDto['meters'],
      events: await this.usage.events(user.id, query.limit, query.cursor),
    };
  }

  @Get('admin/usage')
  @Roles('admin')
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Usage totals', description: 'Admins only: totals by day (UTC), user, provider and model, newest day first.' })
  @ApiCursorPageResponse(UsageAggregateDto)
  @ApiProblems(CoreProblems.unauthorized, CoreProblems.forbidden, CoreProblems.validationFailed)
  async listUsage(@Query() query: AdminUsageQueryDto): Promise<CursorPage<UsageAggregateDto>> {
    return this.usage.aggregates(query);
  }

  @Patch('admin/users/:id/quota')
  @Roles('admin')
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: "Override a user's limits", description: "Admins only: limits laid over the user's plan; returns the effective limits." })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: EffectiveLimitsDto })
  @ApiProblems(CoreProblems.unauthorized, CoreProblems.forbidden, CoreProblems.validationFailed, CoreProblems.notFound)
  async updateUserQuota(@Param('id', new ResourceIdPipe('user')) id: string, @Body() body: QuotaOverrideDto): Promise<EffectiveLimitsDto> {
    const user = await this.users.get(id);
    const limits = await this.usage.setOverrides({ userId: user.id, plan: user.plan, role: user.role }, body.limits);
    return { limits: limits ?? null };
  }
}
