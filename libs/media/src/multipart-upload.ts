import { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { CoreProblems, ProblemException } from '#chorus/core';

/** The file part of an upload, as it arrives: its first bytes already read (to tell its type), then the rest. */
export interface IncomingFile {
  /** The client's file name, sanitised (display only), or null. */
  readonly filename: string | null;
  /** The first bytes (up to the number asked for; fewer when the file is shorter). */
  readonly head: Buffer;
  /** Every byte of the file, `head` included; errors with 413 as soon as the file passes the limit. */
  readonly body: Readable;
}

/** Room for the multipart framing around the file, in a declared Content-Length. */
const FRAMING_BYTES = 64 * 1024;

/**
 * Reads a `multipart/form-data` upload with one file part named `file`, streaming: nothing is
 * buffered but the first `sniffBytes`. A declared length over the limit is refused before any
 * byte is read; a body that passes it while streaming fails with 413 there and then.
 */
export function receiveFile(request: Request, { maxBytes, sniffBytes }: { maxBytes: number; sniffBytes: number }): Promise<IncomingFile> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes + FRAMING_BYTES) return Promise.reject(tooLarge(maxBytes));
  if (!request.is('multipart/form-data')) {
    return Promise.reject(new ProblemException(CoreProblems.unsupportedMediaType, 'Upload the file as multipart/form-data, in a part named `file`.'));
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: request.headers, defParamCharset: 'utf8', limits: { files: 1, fileSize: maxBytes, fields: 10, parts: 11, fieldSize: 1024 } });
    } catch (error) {
      reject(new ProblemException(CoreProblems.validationFailed, `The multipart body cannot be read: ${(error as Error).message}`));
      return;
    }
    let found = false;
    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || found) {
        stream.resume();
        return;
      }
      found = true;
      stream.on('limit', () => stream.destroy(tooLarge(maxBytes)));
      peek(stream, sniffBytes).then(({ head, body }) => resolve({ filename: sanitisedName(info.filename), head, body }), reject);
    });
    parser.on('error', (error: Error) => reject(new ProblemException(CoreProblems.validationFailed, `The multipart body cannot be read: ${error.message}`)));
    parser.on('close', () => {
      if (!found) reject(new ProblemException(CoreProblems.validationFailed, 'The upload has no file: send it in a part named `file`.', { errors: [{ field: 'file', message: 'is required' }] }));
    });
    request.pipe(parser);
  });
}

function tooLarge(maxBytes: number): ProblemException {
  return new ProblemException(CoreProblems.payloadTooLarge, `A file may be at most ${maxBytes} bytes.`, { extensions: { maxBytes } });
}

/** Reads the first `count` bytes of `stream`, and gives a stream of all of them, those included. */
async function peek(stream: Readable, count: number): Promise<{ head: Buffer; body: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < count) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const read = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    yield read;
    if (ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head: read.subarray(0, count), body: Readable.from(all(), { objectMode: false }) };
}

/** A file name for display: its last path segment, printable characters only, at most 255; null when nothing is left. */
export function sanitisedName(raw: string | undefined): string | null {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const printable = base.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return printable.slice(0, 255) || null;
}
