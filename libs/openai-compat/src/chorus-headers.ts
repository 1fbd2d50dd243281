import type { Request } from 'express';
import { isUUID } from 'class-validator';
import { ProblemException } from '#chorus/core';
import { OpenAICompatProblems } from './openai-compat.problems.js';

/** Visible ASCII, and no longer than the message's client id it is stored as. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,64}$/;

/** The Chorus headers, checked like body fields: a malformed one is a 400, never a failed query. */
export function parseChorusHeaders(request: Request): { conversationId?: string; idempotencyKey?: string } {
  const conversationId = request.get('x-chorus-conversation-id');
  if (conversationId !== undefined && !isUUID(conversationId)) {
    throw new ProblemException(OpenAICompatProblems.invalidRequest, 'X-Chorus-Conversation-Id must be the id (a UUID) of one of your conversations.');
  }
  const idempotencyKey = request.get('idempotency-key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ProblemException(OpenAICompatProblems.invalidRequest, 'Idempotency-Key must be 1 to 64 visible ASCII characters.');
  }
  return { conversationId, idempotencyKey };
}
