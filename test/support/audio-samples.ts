import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How ffmpeg makes each sample from a WAV: the encoder it needs, and its arguments (a video too, for `video-webm`). */
const ENCODINGS = {
  webm: { encoder: 'libopus', args: ['-c:a', 'libopus', '-f', 'webm'] },
  'opus-ogg': { encoder: 'libopus', args: ['-c:a', 'libopus', '-f', 'ogg'] },
  'vorbis-ogg': { encoder: 'libvorbis', args: ['-c:a', 'libvorbis', '-f', 'ogg'] },
  mp3: { encoder: 'libmp3lame', args: ['-c:a', 'libmp3lame', '-f', 'mp3'] },
  // The `ipod` muxer writes the M4A brand, as a .m4a file has; `mp4` the generic one, as Safari's recordings have.
  m4a: { encoder: 'aac', args: ['-c:a', 'aac', '-f', 'ipod'] },
  mp4: { encoder: 'aac', args: ['-c:a', 'aac', '-f', 'mp4'] },
  'video-webm': { encoder: 'libvpx', args: ['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10', '-shortest', '-c:v', 'libvpx', '-c:a', 'libopus', '-f', 'webm'] },
} as const;
export type AudioEncoding = keyof typeof ENCODINGS;

/**
 * Speech made by the machine's espeak-ng, and converted by its ffmpeg, in a directory of its own.
 * `encode` answers undefined when this ffmpeg lacks the encoder (a test then skips that case).
 */
export class AudioSamples {
  private constructor(
    private readonly dir: string,
    private readonly encoders: string,
  ) {}

  static async create(): Promise<AudioSamples> {
    const { stdout } = await run('ffmpeg', ['-hide_banner', '-encoders']);
    return new AudioSamples(await mkdtemp(join(tmpdir(), 'chorus-audio-')), stdout);
  }

  /** `text` spoken by espeak-ng, as WAV (about 1 s per 14 characters). */
  async speak(text: string): Promise<Buffer> {
    const file = join(this.dir, `${randomUUID()}.wav`);
    await run('espeak-ng', ['-w', file, text]);
    return readFile(file);
  }

  /** `wav` converted by ffmpeg, or undefined when this ffmpeg has no encoder for it. */
  async encode(wav: Buffer, encoding: AudioEncoding): Promise<Buffer | undefined> {
    const { encoder, args } = ENCODINGS[encoding];
    if (!new RegExp(`^\\s*\\S+\\s+${encoder}\\s`, 'm').test(this.encoders)) return undefined;
    const input = join(this.dir, `${randomUUID()}.wav`);
    const output = join(this.dir, `${randomUUID()}.${encoding}`);
    await writeFile(input, wav);
    // Written to a file: the MP4 muxers need to seek back.
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, ...args, output]);
    return readFile(output);
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
