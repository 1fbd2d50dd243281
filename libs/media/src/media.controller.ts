import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthProblems, CurrentUser, type Principal } from '#chorus/auth';
import { ApiProblems, CoreProblems, Public, ResourceIdPipe } from '#chorus/core';
import { MediaContentQueryDto, MediaDto, MediaUploadDto, toMediaDto } from './dto/media.dto.js';
import { MediaProblems } from './media.errors.js';
import { MediaService } from './media.service.js';

/** Media ids in paths: anything but a UUID is a 404, like an id that is not the caller's. */
const mediaId = new ResourceIdPipe('media');

@ApiTags('media')
@Controller('media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Upload an image',
    description:
      'A `multipart/form-data` body with one part named `file`, streamed to storage. Its type comes from its bytes (JPEG, PNG, WebP, ' +
      'GIF); a file over MEDIA_MAX_UPLOAD_BYTES is refused with 413 as soon as it passes the limit. Answers `processing`: the image ' +
      'is then oriented, re-encoded without any metadata (EXIF, GPS) and given a thumbnail; the inbox tells `media.status` when it ' +
      'is `ready` (or `rejected`, e.g. too many pixels or unreadable), and GET /media/{id} gives its URLs.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: MediaUploadDto })
  @ApiAcceptedResponse({ type: MediaDto, description: 'Received; being processed.' })
  @ApiProblems(AuthProblems.authenticationRequired, CoreProblems.validationFailed, CoreProblems.payloadTooLarge, CoreProblems.unsupportedMediaType)
  async upload(@CurrentUser() caller: Principal, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<MediaDto> {
    // A refused upload's remaining bytes are not read: the connection closes after the answer.
    response.setHeader('Connection', 'close');
    return toMediaDto(await this.media.upload(caller.userId, request));
  }

  @Get(':id')
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Get one of my media', description: 'Its status and, when ready, short-lived URLs of the image and its thumbnail.' })
  @ApiOkResponse({ type: MediaDto })
  @ApiProblems(AuthProblems.authenticationRequired, CoreProblems.notFound)
  async get(@CurrentUser() caller: Principal, @Param('id', mediaId) id: string): Promise<MediaDto> {
    return toMediaDto(await this.media.get(caller.userId, id));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Delete one of my media', description: 'The record and its files.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(AuthProblems.authenticationRequired, CoreProblems.notFound)
  async remove(@CurrentUser() caller: Principal, @Param('id', mediaId) id: string): Promise<void> {
    await this.media.remove(caller.userId, id);
  }

  @Get(':id/content')
  @Public()
  @ApiOperation({
    summary: 'Download a media file through a signed URL',
    description: 'The URL GET /media/{id} gives when media is kept on the server\'s disk: its signature is the credential, until it expires.',
  })
  @ApiProduces('image/jpeg', 'image/png', 'image/webp', 'image/gif')
  @ApiOkResponse({ description: 'The file.', schema: { type: 'string', format: 'binary' } })
  @ApiProblems(MediaProblems.urlInvalid, CoreProblems.notFound, CoreProblems.validationFailed)
  async content(@Param('id', mediaId) id: string, @Query() query: MediaContentQueryDto, @Res() response: Response): Promise<void> {
    const { type, body } = await this.media.content(id, query.variant, query.expires, query.signature);
    response.status(200).setHeader('Content-Type', type);
    // The bytes are what they claim (re-encoded by the server): no sniffing, never rendered as a page.
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', "default-src 'none'");
    body.pipe(response);
  }
}
