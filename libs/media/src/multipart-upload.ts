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
      reject(unreadable(error as Error));
      return;
    }
    let file: Readable | undefined;
    // A failure after the file part began ends its stream (the store then keeps nothing); before, the upload itself.
    const fail = (problem: Error) => (file ? file.destroy(problem) : reject(problem));
    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || file) {
        stream.resume();
        return;
      }
      file = stream;
      stream.on('limit', () => stream.destroy(tooLarge(maxBytes)));
      peek(stream, sniffBytes).then(({ head, body }) => resolve({ filename: sanitisedName(info.filename), head, body }), (error: Error) => reject(asProblem(error)));
    });
    parser.on('error', (error: Error) => fail(unreadable(error)));
    parser.on('close', () => {
      if (!file) reject(new ProblemException(CoreProblems.validationFailed, 'The upload has no file: send it in a part named `file`.', { errors: [{ field: 'file', message: 'is required' }] }));
    });
    // A client that leaves mid-upload: what it sent is not kept.
    request.on('close', () => {
      if (!request.complete) fail(new ProblemException(CoreProblems.validationFailed, 'The upload was cut off before its end.'));
    });
    request.pipe(parser);
  });
}

/** What a failing body says to the client: our 413 as it is, a malformed body (busboy's errors) as a 400. */
function asProblem(error: Error): ProblemException {
  return error instanceof ProblemException ? error : unreadable(error);
}

function unreadable(error: Error): ProblemException {
  return new ProblemException(CoreProblems.validationFailed, `The multipart body cannot be read: ${error.message}`);
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
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } catch (error) {
      throw asProblem(error as Error);
    }
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
