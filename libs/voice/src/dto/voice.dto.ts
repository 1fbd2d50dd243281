import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { STT_KINDS, TTS_KINDS, type SttKind, type TtsKind } from '#chorus/core';
import { AUDIO_FORMATS, type AudioFormat } from '../speech.types.js';

export class TextToSpeechProviderDto {
  @ApiProperty({ example: 'espeak-ng', description: "What a persona's `voice.provider` names." }) name!: string;
  @ApiProperty({ enum: TTS_KINDS, enumName: 'TextToSpeechKind' }) kind!: TtsKind;
  @ApiProperty({ example: 'espeak-ng' }) model!: string;
  @ApiProperty({ enum: AUDIO_FORMATS, enumName: 'AudioFormat', isArray: true, description: 'What it speaks, the default first.' }) formats!: AudioFormat[];
  @ApiProperty({ example: 'en-us', description: 'The voice of personas that name none.' }) defaultVoice!: string;
  @ApiProperty({ description: 'Whether it can speak here (a local engine: installed).' }) available!: boolean;
  @ApiProperty({ description: 'Whether personas without a voice of their own speak with it (TTS_DEFAULT).' }) isDefault!: boolean;
}

export class SpeechToTextProviderDto {
  @ApiProperty({ example: 'pocketsphinx' }) name!: string;
  @ApiProperty({ enum: STT_KINDS, enumName: 'SpeechToTextKind' }) kind!: SttKind;
  @ApiProperty({ example: 'en-us' }) model!: string;
  @ApiProperty() available!: boolean;
  @ApiProperty({ description: 'Whether voice messages are transcribed by it (STT_DEFAULT).' }) isDefault!: boolean;
}

export class VoiceDto {
  @ApiProperty({ example: 'espeak-ng' }) provider!: string;
  @ApiProperty({ example: 'en-us+f3', description: "What a persona's `voice.voiceId` names." }) voiceId!: string;
  @ApiProperty({ example: 'English (America)' }) name!: string;
  @ApiPropertyOptional({ example: 'en-us' }) language?: string;
}

export class VoiceCatalogueDto {
  @ApiProperty({ type: [TextToSpeechProviderDto] }) textToSpeech!: TextToSpeechProviderDto[];
  @ApiProperty({ type: [SpeechToTextProviderDto] }) speechToText!: SpeechToTextProviderDto[];
  @ApiProperty({ type: [VoiceDto], description: 'The voices of the available text-to-speech providers (one that cannot be asked now is left out).' })
  voices!: VoiceDto[];
}

export class SpeechFormatQueryDto {
  @ApiPropertyOptional({ enum: AUDIO_FORMATS, enumName: 'AudioFormat', description: "One the persona's provider speaks (GET /voices); omitted: its first." })
  @IsOptional()
  @IsIn(AUDIO_FORMATS)
  format?: AudioFormat;
}
