import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { CoreProblems, ProblemException } from '../errors/problem.js';

/**
 * JSON nested deeper than this is refused before it is parsed: no request of ours needs more,
 * and whatever walks a deeper document (validation, serialisation) could overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** What a rejected body is marked with, like body-parser marks its own errors (`entity.parse.failed`...). */
export const REJECTED_BODY_TYPES = {
  tooDeep: 'entity.too.deep',
  nulCharacter: 'entity.nul.character',
} as const;

export const NUL_CHARACTER_DETAIL = 'Text must not contain the NUL character (U+0000).';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const NUL_ESCAPE = Buffer.from('u0000');

/**
 * body-parser's `verify` hook for JSON: one pass over the raw bytes, before `JSON.parse`, that
 * refuses nesting deeper than MAX_JSON_DEPTH and the NUL character. NUL can only appear in JSON
 * as the escape `\u0000`; PostgreSQL cannot store it in text, so one rule here keeps it out of
 * every field instead of each DTO checking its own.
 */
export function verifyJsonBody(_request: IncomingMessage, _response: ServerResponse, body: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (inString) {
      if (byte === BACKSLASH) {
        if (body[index + 1] === NUL_ESCAPE[0] && body.subarray(index + 1, index + 6).equals(NUL_ESCAPE)) {
          throw rejectedBody(REJECTED_BODY_TYPES.nulCharacter, NUL_CHARACTER_DETAIL);
        }
        index++; // the escaped character cannot end the string
      } else if (byte === QUOTE) {
        inString = false;
      }
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) {
        throw rejectedBody(REJECTED_BODY_TYPES.tooDeep, `JSON may be nested at most ${MAX_JSON_DEPTH} levels deep.`);
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
}

function rejectedBody(type: string, message: string): Error {
  // body-parser keeps `status` and `type` when it passes a verify error on.
  return Object.assign(new Error(message), { status: 400, type });
}

/**
 * The same NUL rule for the URL: `%00` in a path or query parameter is never meaningful, and
 * would reach a query as a string PostgreSQL refuses.
 */
export function rejectNulInUrl(request: Request, _response: Response, next: NextFunction): void {
  if (/%00/i.test(request.originalUrl)) {
    next(new ProblemException(CoreProblems.validationFailed, NUL_CHARACTER_DETAIL));
    return;
  }
  next();
}

/** The routes whose body is a file upload (`multipart/form-data`), read by their handler as a stream: a user's, and a persona's (admins). */
const UPLOAD_ROUTES = [/^\/api\/v1\/media$/, /^\/api\/v1\/admin\/influencers\/[^/]+\/media$/];

/**
 * Request bodies are JSON, but for file uploads. Anything else (a form post, text, XML) is
 * refused with 415 before a parser sees it, instead of being read as an empty or differently
 * shaped body.
 */
export function requireJsonBodies(request: Request, _response: Response, next: NextFunction): void {
  if (request.method === 'POST' && UPLOAD_ROUTES.some((route) => route.test(request.path))) return next();
  if (hasBody(request) && !request.is(['application/json', 'application/*+json'])) {
    next(new ProblemException(CoreProblems.unsupportedMediaType, 'Send the request body as JSON, with `Content-Type: application/json`.'));
    return;
  }
  next();
}

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
