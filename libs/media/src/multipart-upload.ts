import { Readable } from 'node:stream';
import type { Type } from '@nestjs/common';
import busboy from 'busboy';
import type { Request } from 'express';
import { CoreProblems, ProblemException, createValidationPipe } from '#chorus/core';
import { MediaProblems } from './media.errors.js';

/** The file part of an upload, as it arrives: its first bytes already read (to tell its type), then the rest. */
export interface IncomingFile {
  /** The client's file name, sanitised (display only), or null. */
  readonly filename: string | null;
  /** The text fields sent before the file part, by name (a part after it fails `body`). */
  readonly fields: Readonly<Record<string, string>>;
  /** The first bytes (up to the number asked for; fewer when the file is shorter). */
  readonly head: Buffer;
  /**
   * Every byte of the file, `head` included; errors with 413 as soon as the file passes the limit.
   * It ends once the whole multipart body is read: a part after the file errors it with 400 instead.
   */
  readonly body: Readable;
  /** How many bytes of the file `body` has given so far: all of them once it has ended. */
  bytesRead(): number;
}

/** Room for the multipart framing around the file, in a declared Content-Length. */
const FRAMING_BYTES = 64 * 1024;
/** Text fields: how many, and how long each may be (a persona's caption of 500 characters fits). */
const MAX_FIELDS = 10;
const MAX_FIELD_BYTES = 2048;
/** One part more than a full upload (its fields and the file): busboy skips the parts past its limit, this one is refused. */
const MAX_PARTS = MAX_FIELDS + 2;

/**
 * The most bytes a multipart upload's file can have, told before reading it: the declared
 * Content-Length (which counts the framing and fields too) when there is one, bounded by the limit.
 */
export function declaredFileBytes(request: Request, maxBytes: number): number {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  return Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, maxBytes) : maxBytes;
}

/**
 * Reads a `multipart/form-data` upload with one file part named `file`, streaming: nothing is
 * buffered but the first `sniffBytes` and the text fields before the file. A declared length
 * over the limit is refused before any byte is read; a body that passes it while streaming fails
 * with 413 there and then. A field too long, one sent twice, too many fields, or a part after the
 * file (or a file part named otherwise) are a 400. A body from which no byte arrives for
 * `idleTimeoutMs` (while it is being read) fails with 408.
 */
export function receiveFile(
  request: Request,
  { maxBytes, sniffBytes, idleTimeoutMs }: { maxBytes: number; sniffBytes: number; idleTimeoutMs: number },
): Promise<IncomingFile> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes + FRAMING_BYTES) return Promise.reject(tooLarge(maxBytes));
  if (!request.is('multipart/form-data')) {
    return Promise.reject(new ProblemException(CoreProblems.unsupportedMediaType, 'Upload the file as multipart/form-data, in a part named `file`.'));
  }
  // The client left while the caller was busy (e.g. reserving its quota): nothing will come.
  if (request.destroyed) return Promise.reject(cutOff());
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: maxBytes, fields: MAX_FIELDS, parts: MAX_PARTS, fieldSize: MAX_FIELD_BYTES },
      });
    } catch (error) {
      reject(unreadable(error as Error));
      return;
    }
    let file: Readable | undefined;
    const fields: Record<string, string> = {};
    // Settled once busboy has read the whole body: the file's `body` ends only then, so that a part after the file still fails it.
    let parsed!: () => void;
    let refused!: (problem: Error) => void;
    const rest = new Promise<void>((resolve, reject) => {
      parsed = resolve;
      refused = reject;
    });
    // Awaited only by a body read to its end: a refusal nobody waits for is no unhandled rejection.
    rest.catch(() => undefined);
    // A failure after the file part began ends its stream and the body (the store then keeps nothing); before, the upload itself.
    const fail = (problem: Error) => {
      clearTimeout(idle);
      if (!file) return reject(problem);
      file.destroy(problem);
      refused(problem);
    };
    // A client that stops sending would hold the upload (and its quota) until Node's requestTimeout. Not while the
    // request is paused: then it waits for the store or the caller, not for the client.
    const idle = setTimeout(() => (request.isPaused() ? idle.refresh() : fail(stalled(idleTimeoutMs))), idleTimeoutMs).unref();
    parser.on('field', (name, value, info) => {
      if (file) fail(unexpectedPart(name, 'comes after the file'));
      else if (info.nameTruncated || info.valueTruncated) fail(invalidField(name, `may be at most ${MAX_FIELD_BYTES} bytes`));
      else if (Object.hasOwn(fields, name)) fail(invalidField(name, 'is sent more than once'));
      else fields[name] = value;
    });
    parser.on('fieldsLimit', () => fail(new ProblemException(CoreProblems.validationFailed, `An upload may have at most ${MAX_FIELDS} fields.`)));
    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || file) {
        // Drained, not kept: the upload fails.
        stream.resume();
        fail(unexpectedPart(field, file ? 'comes after the file' : 'is a file part not named `file`'));
        return;
      }
      file = stream;
      stream.on('limit', () => stream.destroy(tooLarge(maxBytes)));
      peek(stream, sniffBytes, rest).then(
        ({ head, body, bytesRead }) => resolve({ filename: sanitisedName(info.filename), fields: { ...fields }, head, body, bytesRead }),
        (error: Error) => reject(asProblem(error)),
      );
    });
    parser.on('error', (error: Error) => fail(unreadable(error)));
    parser.on('close', () => {
      if (file) parsed();
      else reject(new ProblemException(CoreProblems.validationFailed, 'The upload has no file: send it in a part named `file`.', { errors: [{ field: 'file', message: 'is required' }] }));
    });
    request.once('end', () => clearTimeout(idle));
    // A client that leaves mid-upload: what it sent is not kept.
    request.on('close', () => {
      clearTimeout(idle);
      if (!request.complete) fail(cutOff());
    });
    request.pipe(parser);
    // Only once piped: a 'data' listener would set the request flowing with nobody reading it.
    request.on('data', () => idle.refresh());
    request.on('resume', () => idle.refresh());
  });
}

/** The API's one validation pipe, for the text fields of uploads. */
const fieldsPipe = createValidationPipe();

/** An upload's text fields as `type` (a DTO class), validated as a JSON body would be: 400 naming the invalid or unknown ones. */
export function fieldsAs<T extends object>(type: Type<T>, fields: Readonly<Record<string, string>>): Promise<T> {
  return fieldsPipe.transform({ ...fields }, { type: 'body', metatype: type }) as Promise<T>;
}

/** What a failing body says to the client: our 413 as it is, a malformed body (busboy's errors) as a 400. */
function asProblem(error: Error): ProblemException {
  return error instanceof ProblemException ? error : unreadable(error);
}

function unreadable(error: Error): ProblemException {
  return new ProblemException(CoreProblems.validationFailed, `The multipart body cannot be read: ${error.message}`);
}

function cutOff(): ProblemException {
  return new ProblemException(CoreProblems.validationFailed, 'The upload was cut off before its end.');
}

function stalled(idleTimeoutMs: number): ProblemException {
  return new ProblemException(MediaProblems.uploadStalled, `No byte of the upload arrived for ${idleTimeoutMs} ms: send it again.`, { extensions: { idleTimeoutMs } });
}

function unexpectedPart(part: string, message: string): ProblemException {
  return new ProblemException(CoreProblems.validationFailed, `The part ${part} ${message}: send text fields before the file; one file per upload, in a part named \`file\`.`, {
    errors: [{ field: part, message }],
  });
}

function invalidField(field: string, message: string): ProblemException {
  return new ProblemException(CoreProblems.validationFailed, `The field ${field} ${message}.`, { errors: [{ field, message }] });
}

function tooLarge(maxBytes: number): ProblemException {
  return new ProblemException(CoreProblems.payloadTooLarge, `A file may be at most ${maxBytes} bytes.`, { extensions: { maxBytes } });
}

/**
 * Reads the first `count` bytes of `stream`, and gives a stream of all of them, those included, and how many it has given.
 * That stream ends when `rest` (the rest of the body) is read, or errors with what refused it.
 */
async function peek(stream: Readable, count: number, rest: Promise<void>): Promise<{ head: Buffer; body: Readable; bytesRead: () => number }> {
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
  let given = 0;
  async function* all(): AsyncGenerator<Buffer> {
    given += read.length;
    yield read;
    try {
      if (!ended) {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          given += next.value.length;
          yield next.value;
        }
      }
      await rest;
    } catch (error) {
      throw asProblem(error as Error);
    }
  }
  return { head: read.subarray(0, count), body: Readable.from(all(), { objectMode: false }), bytesRead: () => given };
}

/** A file name for display: its last path segment, printable characters only, at most 255; null when nothing is left. */
export function sanitisedName(raw: string | undefined): string | null {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const printable = base.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return printable.slice(0, 255) || null;
}
