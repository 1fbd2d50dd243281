import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthProblems, CurrentUser, type Principal } from '#chorus/auth';
import { ApiCursorPageResponse, ApiProblems, CoreProblems, ResourceIdPipe, Roles, type CursorPage } from '#chorus/core';
import { AdminMediaDto, AdminMediaQueryDto, MediaReviewDto, toAdminMediaDto } from './dto/admin-media.dto.js';
import { MediaProblems } from './media.errors.js';
import { MediaReviewService } from './media-review.service.js';

@ApiTags('admin')
@ApiBearerAuth('bearer')
@Roles('admin')
@ApiProblems(AuthProblems.authenticationRequired, AuthProblems.forbidden)
@Controller('admin/media')
export class AdminMediaController {
  constructor(private readonly reviews: MediaReviewService) {}

  @Get()
  @ApiOperation({
    summary: 'List media for review',
    description:
      'Rejected media by default, most recently rejected first, cursor-paginated: whose it is, why it was rejected, the moderation ' +
      'verdict (scores and flagged categories), and short-lived URLs of the cleaned image and thumbnail when they are kept ' +
      '(`moderation_flagged` files are kept for review; other rejections have no file). `reviewed=false` lists what awaits a review.',
  })
  @ApiCursorPageResponse(AdminMediaDto)
  @ApiProblems(CoreProblems.validationFailed)
  async listMedia(@Query() query: AdminMediaQueryDto): Promise<CursorPage<AdminMediaDto>> {
    const page = await this.reviews.list(query);
    return { items: page.items.map(toAdminMediaDto), nextCursor: page.nextCursor };
  }

  @Post(':id/review')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Review a file flagged by moderation',
    description:
      '`approve` makes it `ready` for its owner (who is told through the inbox); `reject` confirms the rejection, and the files ' +
      'stay, never shown, until the owner deletes the media. Either is recorded in `moderation.review`. Only `moderation_flagged` ' +
      'rejections can be reviewed (409 otherwise); a confirmed rejection may still be approved later.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AdminMediaDto })
  @ApiProblems(CoreProblems.validationFailed, CoreProblems.notFound, MediaProblems.notReviewable)
  async reviewMedia(@CurrentUser() admin: Principal, @Param('id', new ResourceIdPipe('media')) id: string, @Body() body: MediaReviewDto): Promise<AdminMediaDto> {
    return toAdminMediaDto(await this.reviews.review(admin.userId, id, body.decision));
  }
}
