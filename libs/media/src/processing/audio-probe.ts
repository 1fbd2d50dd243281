import { parseBuffer } from 'music-metadata';

/** The audio types Chorus accepts (users' voice messages), by what their bytes say; stored under these names. */
export const AUDIO_TYPES = ['audio/wav', 'audio/webm', 'audio/ogg', 'audio/mpeg', 'audio/mp4'] as const;
export type AudioType = (typeof AUDIO_TYPES)[number];

/** Each type's file extension: of its storage key, and of the file name speech-to-text providers tell its format by. */
export const AUDIO_EXTENSIONS: Readonly<Record<AudioType, string>> = { 'audio/wav': 'wav', 'audio/webm': 'webm', 'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a' };

export const SUPPORTED_AUDIO = 'WAV, WebM, Ogg (Opus or Vorbis), MP3 or M4A';

/**
 * Accepted audio by file-type's extension, which tells Ogg's codecs apart (`oga` FLAC and `spx`
 * Speex are not accepted). file-type names every WebM `video/webm` (MediaRecorder's audio-only
 * recordings too) and a plain MP4 `video/mp4` (Safari's): both are audio once `audioDurationMs`
 * finds no video in them.
 */
const DETECTED: Readonly<Record<string, AudioType>> = {
  wav: 'audio/wav',
  webm: 'audio/webm',
  opus: 'audio/ogg',
  ogg: 'audio/ogg',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  mp4: 'audio/mp4',
};

/** Why audio was refused: a stable code and a sentence for the user. */
export class AudioRejected extends Error {
  /** `options.cause` keeps the parser's own error for the log; the message stays for the user. */
  constructor(
    readonly code: 'unsupported_media_type' | 'audio_unreadable',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AudioRejected';
  }
}

/** The audio type of what file-type found in an upload's first bytes, or undefined when it is no accepted audio. */
export function audioTypeOf(found: { readonly ext: string } | undefined): AudioType | undefined {
  return found && Object.hasOwn(DETECTED, found.ext) ? DETECTED[found.ext] : undefined;
}

export function isAudioType(type: string | null | undefined): type is AudioType {
  return (AUDIO_TYPES as readonly string[]).includes(type ?? '');
}

/**
 * The length of `data` (audio of `type`) in milliseconds, measured by parsing it (never the
 * client's claim). Throws AudioRejected: `unsupported_media_type` for a video, `audio_unreadable`
 * when the parser fails (a damaged header) or finds no audio track or no positive duration.
 */
export async function audioDurationMs(data: Uint8Array, type: AudioType): Promise<number> {
  const unreadable = (cause?: unknown) => new AudioRejected('audio_unreadable', 'The audio could not be read: it is damaged or incomplete.', { cause });
  let format;
  try {
    ({ format } = await parseBuffer(data, { mimeType: type, size: data.length }, { duration: true, skipCovers: true }));
  } catch (error) {
    throw unreadable(error);
  }
  if (format.hasVideo) throw new AudioRejected('unsupported_media_type', `This file is a video, not audio: send ${SUPPORTED_AUDIO} audio.`);
  // A damaged header may parse into no duration, NaN, or a negative or vanishing one.
  const durationMs = Math.round((format.duration ?? Number.NaN) * 1000);
  if (!format.hasAudio || !(durationMs > 0)) throw unreadable();
  return durationMs;
}
