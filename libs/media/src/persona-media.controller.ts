import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, type Principal } from '#chorus/auth';
import { ApiProblems, CoreProblems, ResourceIdPipe, Roles } from '#chorus/core';
import { MediaDto, toMediaDto } from './dto/media.dto.js';
import { PersonaMediaUploadDto } from './dto/upload.dto.js';
import { MediaProblems } from './media.errors.js';
import { MediaService } from './media.service.js';

/** Persona ids in paths: anything but a UUID is a 404, like an id that names nothing. */
const personaIds = new ResourceIdPipe('persona');

/** A persona's images: its profile image and gallery, uploaded by admins, seen by its users. */
@ApiTags('media')
@Controller()
export class PersonaMediaController {
  constructor(private readonly media: MediaService) {}

  @Get('influencers/:id/media')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: "List a persona's images",
    description:
      'Its ready images, profile images first, then its gallery (newest first in each), with short-lived URLs. Premium-only items ' +
      'are listed for plans with premium personas only; admins see every item, of any persona that is not deleted.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: [MediaDto] })
  @ApiProblems(CoreProblems.unauthorized, CoreProblems.notFound)
  async listPersonaMedia(@CurrentUser() caller: Principal, @Param('id', personaIds) id: string): Promise<MediaDto[]> {
    return (await this.media.personaMedia(caller, id)).map(toMediaDto);
  }

  @Post('admin/influencers/:id/media')
  @Roles('admin')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Upload an image for a persona',
    description:
      'Admins only. Like POST /media, a `multipart/form-data` body streamed to storage, processed the same way, and not charged to any ' +
      'quota: the fields `purpose` (`profile` or `gallery`, the default), `tags`, `caption` and `premiumOnly`, then the `file` part. ' +
      'Invalid fields, and any part after the file, are refused with 400 and nothing is kept.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: PersonaMediaUploadDto })
  @ApiAcceptedResponse({ type: MediaDto, description: 'Received; being processed.' })
  @ApiProblems(
    CoreProblems.unauthorized,
    CoreProblems.forbidden,
    CoreProblems.notFound,
    CoreProblems.validationFailed,
    CoreProblems.payloadTooLarge,
    CoreProblems.unsupportedMediaType,
    MediaProblems.uploadStalled,
  )
  async uploadPersonaMedia(@Param('id', personaIds) id: string, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<MediaDto> {
    // A refused upload's remaining bytes are not read: the connection closes after the answer.
    response.setHeader('Connection', 'close');
    return toMediaDto(await this.media.upload({ kind: 'persona', influencerId: id }, request));
  }

  @Delete('admin/influencers/:id/media/:mediaId')
  @Roles('admin')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: "Delete a persona's image", description: 'Admins only. The record and its files.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'mediaId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(CoreProblems.unauthorized, CoreProblems.forbidden, CoreProblems.notFound)
  async deletePersonaMedia(@Param('id', personaIds) id: string, @Param('mediaId', new ResourceIdPipe('media')) media: string): Promise<void> {
    await this.media.removePersonaMedia(id, media);
  }
}
