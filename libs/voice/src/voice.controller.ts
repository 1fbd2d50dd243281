import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuthProblems } from '#chorus/auth';
import { ApiProblems, CoreProblems, Public } from '#chorus/core';
import { MediaProblems, SignedUrlQueryDto } from '#chorus/media';
import { VoiceCatalogueDto } from './dto/voice.dto.js';
import { sendAudio } from './send-audio.js';
import { AUDIO_FORMAT_TYPES } from './speech.types.js';
import { VoiceService } from './voice.service.js';

@ApiTags('voice')
@Controller()
export class VoiceController {
  constructor(private readonly voice: VoiceService) {}

  @Get('voices')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'List the voices personas can speak with',
    description:
      "The configured text-to-speech providers (what a persona's `voice.provider` names), their formats and voices, and the " +
      'speech-to-text providers voice messages are transcribed by. Local engines are listed as unavailable when not installed.',
  })
  @ApiOkResponse({ type: VoiceCatalogueDto })
  @ApiProblems(AuthProblems.authenticationRequired)
  async listVoices(): Promise<VoiceCatalogueDto> {
    return this.voice.catalogue();
  }

  @Get('speech/:key')
  @Public()
  @ApiOperation({
    summary: 'Download speech through a signed URL',
    description: "The URL a `reply.audio` event gives when speech is kept on the server's disk: its signature is the credential, until it expires.",
  })
  @ApiProduces(...new Set(Object.values(AUDIO_FORMAT_TYPES)))
  @ApiOkResponse({ description: 'The audio.', schema: { type: 'string', format: 'binary' } })
  @ApiProblems(MediaProblems.urlInvalid, CoreProblems.notFound, CoreProblems.validationFailed)
  async downloadSpeech(@Param('key') key: string, @Query() query: SignedUrlQueryDto, @Res() response: Response): Promise<void> {
    sendAudio(response, await this.voice.signedClip(key, query.expires, query.signature));
  }
}
