import type { Request, Response } from 'express';
import { isUUID } from 'class-validator';
import type { Principal } from '#chorus/auth';
import type { ReplyMetrics } from '#chorus/conversations';
import { ProblemException } from '#chorus/core';
import type { Caller } from '#chorus/usage';
import { OpenAICompatProblems } from './openai-compat.problems.js';

// What the OpenAI-compatible routes share: the caller, the Chorus headers, and opening an event stream.

/** The principal carries the plan and role in force now (the guard corrects those of older tokens). */
export function callerOf(principal: Principal): Caller {
  return { userId: principal.userId, plan: principal.plan, role: principal.role };
}

/** Answers 200 as an event stream, counted among the open streams; the events follow. */
export function openEventStream(response: Response, metrics: ReplyMetrics): void {
  metrics.streamOpened(response);
  response.status(200).setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache, no-transform');
  response.flushHeaders();
}

/** Visible ASCII, and no longer than the message's client id it is stored as. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,64}$/;

/** The Chorus headers, checked like body fields: a malformed one is a 400, never a failed query. */
export function parseChorusHeaders(request: Request): { conversationId?: string; idempotencyKey?: string } {
  const conversationId = request.get('x-chorus-conversation-id');
  if (conversationId !== undefined && !isUUID(conversationId)) {
    throw new ProblemException(OpenAICompatProblems.invalidRequest, 'X-Chorus-Conversation-Id must be the id (a UUID) of one of your conversations.');
  }
  return { conversationId, idempotencyKey: parseIdempotencyKey(request) };
}

/** The request's Idempotency-Key, if any; a malformed one is a 400. */
export function parseIdempotencyKey(request: Request): string | undefined {
  const idempotencyKey = request.get('idempotency-key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ProblemException(OpenAICompatProblems.invalidRequest, 'Idempotency-Key must be 1 to 64 visible ASCII characters.');
  }
  return idempotencyKey;
}
