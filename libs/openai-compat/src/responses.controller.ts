import { Body, Controller, Delete, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, type Principal } from '#chorus/auth';
import { ReplyMetrics } from '#chorus/conversations';
import { CoreProblems } from '#chorus/core';
import { ApiOpenAIErrors } from './openai-error.format.js';
import { OpenAICompatProblems } from './openai-compat.problems.js';
import { InputItemsQueryDto } from './dto/input-items-query.dto.js';
import { callerOf, openEventStream, parseIdempotencyKey } from './openai-http.js';
import type { CompletionEvent } from './openai-compat.service.js';
import { parseResponseRequest } from './response-request.js';
import { RESPONSE_SCHEMA, RESPONSE_REQUEST_SCHEMA, RESPONSE_INPUT_ITEMS_SCHEMA, RESPONSE_DELETED_SCHEMA } from './responses.schemas.js';
import { finishOf, ResponsesService, type ResponseHead, type ResponseState } from './responses.service.js';

/**
 * OpenAI's Responses API, with personas as models: what the Vercel AI SDK's default OpenAI
 * provider and OpenAI's newest SDKs call. Stored responses are Chorus conversations.
 */
@ApiTags('openai-compatible')
@ApiBearerAuth('bearer')
@Controller('openai/v1/responses')
export class ResponsesController {
  constructor(
    private readonly responses: ResponsesService,
    private readonly metrics: ReplyMetrics,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a response (OpenAI Responses API)',
    description:
      'A turn with a persona (`persona/<handle>`; admins may name `<provider>/<model>`, not stored). Stored by default: the first response starts a ' +
      'conversation with the persona and `previous_response_id` continues it (only from its latest response). `instructions` follow the ' +
      "persona's own system prompt. With `store: false`, `input` is the whole context and nothing but the usage is kept. Streams OpenAI's " +
      'typed events with `stream: true`. Quotas, rate limits and the usage ledger apply as in the native API; a stored response is generated ' +
      "to its end even if the client leaves. Parameters a persona cannot honour (tools, `background`, `reasoning`, structured output) are refused.",
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retries with the same key get the first response, never a second reply.' })
  @ApiBody({ schema: RESPONSE_REQUEST_SCHEMA })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ description: 'The response, or its event stream.', schema: RESPONSE_SCHEMA })
  @ApiOpenAIErrors(
    CoreProblems.unauthorized,
    CoreProblems.validationFailed,
    OpenAICompatProblems.invalidRequest,
    OpenAICompatProblems.modelMismatch,
    OpenAICompatProblems.modelNotFound,
    OpenAICompatProblems.responseNotFound,
    OpenAICompatProblems.idempotencyConflict,
    OpenAICompatProblems.generationFailed,
  )
  async createResponse(@CurrentUser() caller: Principal, @Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    const parsed = parseResponseRequest(body);
    const idempotencyKey = parseIdempotencyKey(request);
    const clientGone = new AbortController();
    response.on('close', () => clientGone.abort());
    const started = await this.responses.create(callerOf(caller), parsed, idempotencyKey, clientGone.signal);
    if (parsed.stream) {
      await this.stream(started.head, started.events, response);
      return;
    }
    const { head, state } = await this.responses.collect(callerOf(caller), started);
    response.status(200).json(responseObject(head, state));
  }

  /** The Responses API's typed events, numbered from 0; refusals (the first event) are plain error responses. */
  private async stream(head: ResponseHead, events: AsyncIterable<CompletionEvent>, response: Response): Promise<void> {
    const iterator = events[Symbol.asyncIterator]();
    let next = await iterator.next();
    openEventStream(response, this.metrics);
    let sequence = 0;
    const send = (type: string, fields: Record<string, unknown>) => {
      response.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`);
    };
    const position = { item_id: head.outputItemId, output_index: 0, content_index: 0 };
    send('response.created', { response: responseObject(head, { status: 'in_progress', text: '' }) });
    send('response.in_progress', { response: responseObject(head, { status: 'in_progress', text: '' }) });
    send('response.output_item.added', { output_index: 0, item: { ...messageItem(head, 'in_progress', ''), content: [] } });
    send('response.content_part.added', { ...position, part: outputText('') });
    let text = '';
    for (; !next.done; next = await iterator.next()) {
      const event = next.value;
      if (event.type === 'delta') {
        text += event.text;
        send('response.output_text.delta', { ...position, delta: event.text, logprobs: [] });
      } else if (event.type === 'done') {
        const state: ResponseState = { ...finishOf(event.finishReason), text, usage: event.usage };
        send('response.output_text.done', { ...position, text, logprobs: [] });
        send('response.content_part.done', { ...position, part: outputText(text) });
        send('response.output_item.done', { output_index: 0, item: messageItem(head, state.status === 'completed' ? 'completed' : 'incomplete', text) });
        send(state.status === 'completed' ? 'response.completed' : 'response.incomplete', { response: responseObject(head, state) });
      } else {
        send('error', { code: event.code, message: event.message, param: null });
        send('response.failed', { response: responseObject(head, { status: 'failed', text, error: { code: event.code, message: event.message } }) });
      }
    }
    response.end();
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a stored response (OpenAI Responses API)', description: 'As it stands: `in_progress` while its reply is generated. Another user\'s is not found.' })
  @ApiParam({ name: 'id', example: 'resp_0123456789abcdef0123456789abcdef' })
  @ApiOkResponse({ description: 'The response.', schema: RESPONSE_SCHEMA })
  @ApiOpenAIErrors(CoreProblems.unauthorized, OpenAICompatProblems.responseNotFound)
  async getResponse(@CurrentUser() caller: Principal, @Param('id') id: string): Promise<Record<string, unknown>> {
    const { head, state } = await this.responses.get(callerOf(caller), id);
    return responseObject(head, state);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a stored response (OpenAI Responses API)', description: 'Forgets the response; its turn stays in the Chorus conversation, which is deleted on its own.' })
  @ApiParam({ name: 'id', example: 'resp_0123456789abcdef0123456789abcdef' })
  @ApiOkResponse({ description: 'The response is deleted.', schema: RESPONSE_DELETED_SCHEMA })
  @ApiOpenAIErrors(CoreProblems.unauthorized, OpenAICompatProblems.responseNotFound)
  async deleteResponse(@CurrentUser() caller: Principal, @Param('id') id: string): Promise<{ id: string; object: 'response'; deleted: true }> {
    await this.responses.remove(callerOf(caller), id);
    return { id, object: 'response', deleted: true };
  }

  @Get(':id/input_items')
  @ApiOperation({ summary: "List a stored response's input items (OpenAI Responses API)", description: 'The user message the response answered.' })
  @ApiParam({ name: 'id', example: 'resp_0123456789abcdef0123456789abcdef' })
  @ApiOkResponse({ description: 'A page of input items.', schema: RESPONSE_INPUT_ITEMS_SCHEMA })
  @ApiOpenAIErrors(CoreProblems.unauthorized, CoreProblems.validationFailed, OpenAICompatProblems.responseNotFound)
  async listResponseInputItems(@CurrentUser() caller: Principal, @Param('id') id: string, @Query() query: InputItemsQueryDto): Promise<Record<string, unknown>> {
    const page = await this.responses.inputItems(callerOf(caller), id, query);
    const data = page.items.map((item) => ({ id: item.id, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: item.text }] }));
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore };
  }
}

function outputText(text: string): Record<string, unknown> {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function messageItem(head: ResponseHead, status: 'in_progress' | 'completed' | 'incomplete', text: string): Record<string, unknown> {
  return { id: head.outputItemId, type: 'message', status, role: 'assistant', content: [outputText(text)] };
}

/** The Responses API's `response` object, with `output_text` (the SDKs' convenience) for plain HTTP clients too. */
function responseObject(head: ResponseHead, state: ResponseState): Record<string, unknown> {
  const output = state.status === 'in_progress' && state.text.length === 0 ? [] : [messageItem(head, state.status === 'in_progress' ? 'in_progress' : state.status === 'completed' ? 'completed' : 'incomplete', state.text)];
  const usage = state.usage && {
    input_tokens: state.usage.inputTokens,
    input_tokens_details: { cached_tokens: state.usage.cachedInputTokens ?? 0 },
    output_tokens: state.usage.outputTokens,
    output_tokens_details: { reasoning_tokens: state.usage.reasoningTokens ?? 0 },
    total_tokens: state.usage.inputTokens + state.usage.outputTokens,
  };
  return {
    id: head.id,
    object: 'response',
    created_at: Math.floor(head.createdAt.getTime() / 1000),
    status: state.status,
    background: false,
    // `type` and `param` beside OpenAI's `code` and `message`: the Vercel AI SDK reads them.
    error: state.error ? { ...state.error, type: 'server_error', param: null } : null,
    incomplete_details: state.incompleteReason ? { reason: state.incompleteReason } : null,
    instructions: head.instructions,
    max_output_tokens: head.maxOutputTokens,
    metadata: head.metadata,
    model: head.model,
    output,
    output_text: state.text,
    parallel_tool_calls: false,
    previous_response_id: head.previousResponseId,
    reasoning: { effort: null, summary: null },
    store: head.store,
    temperature: head.temperature,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    // Chorus fits the context to the model's window, dropping the oldest turns first.
    truncation: 'auto',
    usage: usage ?? null,
    user: null,
  };
}
