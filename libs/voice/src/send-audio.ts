import type { Readable } from 'node:stream';
import type { Response } from 'express';

/** Streams speech to the client with its type and length; it never changes for its URL, so a client may keep it. */
export function sendAudio(response: Response, audio: { contentType: string; bytes: number; body: Readable }): void {
  response.status(200).setHeader('Content-Type', audio.contentType);
  response.setHeader('Content-Length', String(audio.bytes));
  response.setHeader('Cache-Control', 'private, max-age=300');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  audio.body.on('error', () => response.destroy());
  audio.body.pipe(response);
}
