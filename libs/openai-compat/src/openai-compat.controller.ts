import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { ApiBodyOptions } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, type Principal } from '#chorus/auth';
import { ReplyMetrics } from '#chorus/conversations';
import { CoreProblems, ProblemException } from '#chorus/core';
import { callerOf, openEventStream, parseChorusHeaders } from './openai-http.js';
import { ApiOpenAIErrors } from './openai-error.format.js';
import { OpenAICompatProblems } from './openai-compat.problems.js';
import { OpenAICompatService, type CompletionEvent, type CompletionRequest } from './openai-compat.service.js';

const CHAT_COMPLETION_REQUEST_SCHEMA: NonNullable<Extract<ApiBodyOptions, { schema?: unknown }>['schema']> = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', example: 'persona/nova', description: '`persona/<handle>`; admins may also name `<provider>/<model>`.' },
    messages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: { role: { type: 'string', enum: ['system', 'user', 'assistant'] }, content: { type: 'string' } },
      },
    },
    stream: { type: 'boolean', default: false },
    stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
    max_tokens: { type: 'integer', minimum: 1 },
    max_completion_tokens: { type: 'integer', minimum: 1 },
  },
  additionalProperties: true,
};

/**
 * OpenAI's Chat Completions API, with personas as models, for the OpenAI SDKs, LangChain and
 * editors: point their base URL at `<chorus>/openai/v1` and use a Chorus API key.
 */
@ApiTags('openai-compatible')
@ApiBearerAuth('bearer')
@Controller('openai/v1')
export class OpenAICompatController {
  constructor(
    private readonly completions: OpenAICompatService,
    private readonly metrics: ReplyMetrics,
  ) {}

  @Get('models')
  @ApiOperation({ summary: 'List models (OpenAI-compatible)', description: 'The personas the caller may talk to, as `persona/<handle>`; admins also see raw provider models. Errors use OpenAI\'s format.' })
  @ApiOkResponse({ description: 'An OpenAI model list.', schema: { type: 'object', properties: { object: { type: 'string', example: 'list' }, data: { type: 'array', items: { type: 'object' } } } } })
  @ApiOpenAIErrors(CoreProblems.unauthorized)
  async listOpenAIModels(@CurrentUser() caller: Principal): Promise<{ object: 'list'; data: Array<{ id: string; object: 'model'; created: number; owned_by: string }> }> {
    const models = await this.completions.models(callerOf(caller));
    return { object: 'list', data: models.map((model) => ({ id: model.id, object: 'model', created: model.created, owned_by: model.ownedBy })) };
  }

  @Post('chat/completions')
  @ApiOperation({
    summary: 'Create a chat completion (OpenAI-compatible)',
    description:
      'OpenAI\'s request and response formats, streaming (`stream: true`, chunks then `[DONE]`, usage with `stream_options.include_usage`) or not. ' +
      'Quotas, rate limits and the usage ledger apply as in the native API. With `X-Chorus-Conversation-Id` the last user message is sent in ' +
      'that conversation (stored like any message; `Idempotency-Key` makes retries safe); without it nothing is stored but the usage.',
  })
  @ApiHeader({ name: 'X-Chorus-Conversation-Id', required: false, description: 'Store the exchange in this conversation of yours.' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'With a conversation: retries with the same key never generate twice.' })
  @ApiBody({ schema: CHAT_COMPLETION_REQUEST_SCHEMA })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'An OpenAI chat completion, or its chunk stream.', schema: { type: 'object' } })
  @ApiOpenAIErrors(CoreProblems.unauthorized, CoreProblems.validationFailed, OpenAICompatProblems.invalidRequest, OpenAICompatProblems.modelNotFound, OpenAICompatProblems.generationFailed)
  async createChatCompletion(@CurrentUser() caller: Principal, @Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    const completion = parseCompletionRequest(body);
    const clientGone = new AbortController();
    response.on('close', () => clientGone.abort());
    const { conversationId, idempotencyKey } = parseChorusHeaders(request);
    const events = this.completions.complete(callerOf(caller), completion, conversationId, idempotencyKey, clientGone.signal);
    const id = `chatcmpl-${crypto.randomUUID().replaceAll('-', '')}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
      id, object: 'chat.completion.chunk', created, model: completion.model, choices: [{ index: 0, delta, finish_reason: finishReason }],
    });

    if (body['stream'] === true) {
      const includeUsage = (body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
      const iterator = events[Symbol.asyncIterator]();
      // The first event is awaited before any byte is sent, so that a refused request (quota, model) is a plain error response.
      let next = await iterator.next();
      openEventStream(response, this.metrics);
      const send = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
      send(chunk({ role: 'assistant', content: '' }, null));
      for (; !next.done; next = await iterator.next()) {
        const event = next.value;
        if (event.type === 'delta') send(chunk({ content: event.text }, null));
        else if (event.type === 'done') {
          send(chunk({}, openAIFinishReason(event.finishReason)));
          if (includeUsage) send({ id, object: 'chat.completion.chunk', created, model: completion.model, choices: [], usage: toOpenAIUsage(event.usage) });
        } else send({ error: { message: event.message, type: 'server_error', code: event.code, param: null } });
      }
      response.end('data: [DONE]\n\n');
      return;
    }

    let content = '';
    let done: Extract<CompletionEvent, { type: 'done' }> | undefined;
    for await (const event of events) {
      if (event.type === 'delta') content += event.text;
      else if (event.type === 'done') done = event;
      else throw new ProblemException(OpenAICompatProblems.generationFailed, `The reply could not be generated (${event.code}).`);
    }
    response.status(200).json({
      id, object: 'chat.completion', created, model: completion.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: openAIFinishReason(done?.finishReason ?? 'stop') }],
      usage: toOpenAIUsage(done?.usage ?? { inputTokens: 0, outputTokens: 0 }),
    });
  }
}

/** Checks the fields Chorus uses; other OpenAI parameters are accepted and ignored, as OpenAI-compatible servers do. */
function parseCompletionRequest(body: Record<string, unknown>): CompletionRequest {
  const invalid = (message: string) => new ProblemException(OpenAICompatProblems.invalidRequest, message);
  if (typeof body['model'] !== 'string' || body['model'].length === 0) throw invalid('`model` is required.');
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > 500) throw invalid('`messages` must be a non-empty array.');
  const parsed = messages.map((message: unknown, index) => {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    if (!['system', 'user', 'assistant'].includes(role as string)) throw invalid(`messages[${index}].role must be system, user or assistant.`);
    const text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('') : undefined;
    if (text === undefined || text.length > 100_000) throw invalid(`messages[${index}].content must be text.`);
    return { role: role as 'system' | 'user' | 'assistant', content: text };
  });
  const temperature = body['temperature'];
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 2)) throw invalid('`temperature` must be between 0 and 2.');
  const maxTokens = body['max_completion_tokens'] ?? body['max_tokens'];
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)) throw invalid('`max_tokens` must be a positive integer.');
  return { model: body['model'], messages: parsed, temperature: temperature as number | undefined, maxTokens: maxTokens as number | undefined };
}

function openAIFinishReason(reason: string): string {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}

function toOpenAIUsage(usage: { inputTokens: number; outputTokens: number }): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
}
