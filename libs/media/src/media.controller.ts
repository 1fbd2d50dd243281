import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthProblems, CurrentUser, type Principal } from '#chorus/auth';
import { ApiProblems, CoreProblems, Public, ResourceIdPipe } from '#chorus/core';
import { UsageProblems } from '#chorus/usage';
import { DirectUploads } from './direct-upload.service.js';
import { MediaContentQueryDto, MediaDto, toMediaDto } from './dto/media.dto.js';
import { CreateDirectUploadDto, DirectUploadDto, MediaUploadDto, toDirectUploadDto } from './dto/upload.dto.js';
import { MediaProblems } from './media.errors.js';
import { MediaService } from './media.service.js';
import { AUDIO_TYPES, IMAGE_TYPES } from './processing/index.js';

/** Media ids in paths: anything but a UUID is a 404, like an id that is not the caller's. */
const mediaId = new ResourceIdPipe('media');

@ApiTags('media')
@Controller('media')
export class MediaController {
  constructor(
    private readonly media: MediaService,
    private readonly directUploads: DirectUploads,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Upload an image or a voice message',
    description:
      'A `multipart/form-data` body with one part named `file`, streamed to storage, after the optional `influencerId` field; a part ' +
      `after the file is refused with 400. Its type comes from its bytes: an image (${IMAGE_TYPES.join(', ')}) or audio for a voice ` +
      `message (${AUDIO_TYPES.join(', ')}; a WebM or MP4 only when it holds audio and no video), else 415; a file over ` +
      'MEDIA_MAX_UPLOAD_BYTES is refused with 413 as soon as it passes the limit, and a body that stops arriving for ' +
      'MEDIA_UPLOAD_IDLE_TIMEOUT_MS with 408 `upload_stalled`. It counts against the plan\'s `media.uploadsPerDay` and ' +
      '`media.bytesPerMonth`: its declared length is held before it is read (429 `quota_exceeded` when it does not fit, and ' +
      'nothing is kept), and the bytes received are billed. Answers ' +
      '`processing`: the image is then oriented, re-encoded without any metadata (EXIF, GPS) and given a thumbnail; the inbox tells ' +
      '`media.status` when it is `ready` (or `rejected`, e.g. too many pixels or unreadable), and GET /media/{id} gives its URLs. ' +
      'Files larger than MEDIA_MAX_UPLOAD_BYTES go straight to the bucket instead: POST /media/uploads. Audio is checked at once ' +
      'instead, and answers `ready` with its `durationMs` and `urls.audio` (it is not moderated): 413 over VOICE_MAX_BYTES, 422 ' +
      '`audio_unreadable` when it cannot be parsed or has no length, 422 `audio_too_long` over VOICE_MAX_SECONDS; refused, it is not kept.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: MediaUploadDto })
  @ApiAcceptedResponse({ type: MediaDto, description: 'Received: an image being processed, or audio ready.' })
  @ApiProblems(
    AuthProblems.authenticationRequired,
    CoreProblems.validationFailed,
    CoreProblems.payloadTooLarge,
    CoreProblems.unsupportedMediaType,
    MediaProblems.uploadStalled,
    MediaProblems.unknownPersona,
    MediaProblems.audioUnreadable,
    MediaProblems.audioTooLong,
    UsageProblems.quotaExceeded,
  )
  async uploadMedia(@CurrentUser() caller: Principal, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<MediaDto> {
    // A refused upload's remaining bytes are not read: the connection closes after the answer.
    response.setHeader('Connection', 'close');
    return toMediaDto(await this.media.upload({ kind: 'user', caller }, request));
  }

  @Post('uploads')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Start an upload straight to the bucket',
    description:
      'For large files, when media are kept in an S3 bucket: answers the media, `pending`, and a presigned POST form whose signed ' +
      'policy allows this one file, of the type and at most the size declared (up to MEDIA_DIRECT_UPLOAD_MAX_BYTES), until ' +
      '`expiresAt`. POST the form\'s `fields` and then the file (a part named `file`) to its `url`, then call ' +
      'POST /media/{id}/complete. The declared size is held on the quota now (429 `quota_exceeded` when it does not fit); uploads ' +
      'not completed in time are deleted. On a server keeping media on its own disk: 409 `direct_upload_unavailable` (use POST /media).',
  })
  @ApiCreatedResponse({ type: DirectUploadDto })
  @ApiProblems(
    AuthProblems.authenticationRequired,
    CoreProblems.validationFailed,
    CoreProblems.payloadTooLarge,
    MediaProblems.directUploadUnavailable,
    MediaProblems.unknownPersona,
    UsageProblems.quotaExceeded,
  )
  async createDirectUpload(@CurrentUser() caller: Principal, @Body() body: CreateDirectUploadDto): Promise<DirectUploadDto> {
    return toDirectUploadDto(await this.directUploads.issue(caller, body));
  }

  @Post(':id/complete')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Complete an upload to the bucket',
    description:
      'Once the file is in the bucket: it is checked as an upload through the API is (its size, at most the one declared, else 413; ' +
      'its type by its first bytes, else 415; either way it is deleted), billed the bytes received, and processed like any upload. ' +
      'Answers `processing` (or what it has become: completing again changes nothing). 409 `upload_incomplete` while the file is ' +
      'not there yet.',
  })
  @ApiAcceptedResponse({ type: MediaDto, description: 'Received; being processed.' })
  @ApiProblems(AuthProblems.authenticationRequired, CoreProblems.notFound, MediaProblems.uploadIncomplete, CoreProblems.payloadTooLarge, CoreProblems.unsupportedMediaType)
  async completeDirectUpload(@CurrentUser() caller: Principal, @Param('id', mediaId) id: string): Promise<MediaDto> {
    return toMediaDto(await this.directUploads.complete(caller, id));
  }

  @Get(':id')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Get a media',
    description:
      "One of mine, whatever its status, or a persona's ready image (premium-only ones for plans with premium personas): its status " +
      'and, when ready, short-lived URLs of the image and its thumbnail, or of the audio.',
  })
  @ApiOkResponse({ type: MediaDto })
  @ApiProblems(AuthProblems.authenticationRequired, CoreProblems.notFound)
  async getMedia(@CurrentUser() caller: Principal, @Param('id', mediaId) id: string): Promise<MediaDto> {
    return toMediaDto(await this.media.get(caller, id));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Delete one of my media', description: 'The record and its files.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(AuthProblems.authenticationRequired, CoreProblems.notFound)
  async deleteMedia(@CurrentUser() caller: Principal, @Param('id', mediaId) id: string): Promise<void> {
    await this.media.remove(caller.userId, id);
  }

  @Get(':id/content')
  @Public()
  @ApiOperation({
    summary: 'Download a media file through a signed URL',
    description:
      'The URL GET /media/{id} gives when media is kept on the server\'s disk: its signature is the credential, until it expires. ' +
      '`variant` `image` and `thumbnail` (WebP) are an image\'s files, `audio` an audio\'s, each served with its own type.',
  })
  @ApiProduces(...IMAGE_TYPES, ...AUDIO_TYPES)
  @ApiOkResponse({ description: 'The file.', schema: { type: 'string', format: 'binary' } })
  @ApiProblems(MediaProblems.urlInvalid, CoreProblems.notFound, CoreProblems.validationFailed)
  async downloadMediaContent(@Param('id', mediaId) id: string, @Query() query: MediaContentQueryDto, @Res() response: Response): Promise<void> {
    const { type, body } = await this.media.content(id, query.variant, query.expires, query.signature);
    response.status(200).setHeader('Content-Type', type);
    // The bytes are what they claim (an image re-encoded, audio parsed by the server): no sniffing, never rendered as a page.
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', "default-src 'none'");
    body.pipe(response);
  }
}
