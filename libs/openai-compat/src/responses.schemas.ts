import type { ApiBodyOptions } from '@nestjs/swagger';

/** An OpenAPI schema object, as @nestjs/swagger takes it. */
type Schema = NonNullable<Extract<ApiBodyOptions, { schema?: unknown }>['schema']>;

const TEXT_PART: Schema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['input_text', 'output_text', 'input_image'] },
    text: { type: 'string' },
    file_id: { type: 'string', format: 'uuid', description: 'For `input_image`: a Chorus upload of yours.' },
  },
};

export const RESPONSE_REQUEST_SCHEMA: Schema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', example: 'persona/nova', description: '`persona/<handle>`; admins may also name `<provider>/<model>` (with `store: false`).' },
    input: {
      oneOf: [
        { type: 'string', example: 'Is Mars visible tonight?' },
        {
          type: 'array',
          description: 'Messages (`user`, `assistant`, `system`, `developer`) and `item_reference`s to output items of stored responses; it ends with the new user message.',
          items: {
            type: 'object',
            properties: {
              type: { type: 'string', enum: ['message', 'item_reference'], default: 'message' },
              role: { type: 'string', enum: ['user', 'assistant', 'system', 'developer'] },
              content: { oneOf: [{ type: 'string' }, { type: 'array', items: TEXT_PART }] },
              id: { type: 'string', description: 'For `item_reference`: an output item id (`msg_…`).' },
            },
          },
        },
      ],
    },
    instructions: { type: 'string', nullable: true, description: "Added after the persona's system prompt, for this turn." },
    previous_response_id: { type: 'string', nullable: true, description: 'Continue the conversation of this stored response (the latest of its chain).' },
    store: { type: 'boolean', description: 'Default: true for personas, false for raw provider models.' },
    stream: { type: 'boolean', default: false },
    max_output_tokens: { type: 'integer', minimum: 1, nullable: true },
    temperature: { type: 'number', minimum: 0, maximum: 2, nullable: true },
    metadata: { type: 'object', additionalProperties: { type: 'string', maxLength: 512 }, maxProperties: 16, nullable: true },
  },
  additionalProperties: true,
};

const USAGE: Schema = {
  type: 'object',
  nullable: true,
  properties: {
    input_tokens: { type: 'integer' },
    input_tokens_details: { type: 'object', properties: { cached_tokens: { type: 'integer' } } },
    output_tokens: { type: 'integer' },
    output_tokens_details: { type: 'object', properties: { reasoning_tokens: { type: 'integer' } } },
    total_tokens: { type: 'integer' },
  },
};

const OUTPUT_MESSAGE: Schema = {
  type: 'object',
  required: ['id', 'type', 'status', 'role', 'content'],
  properties: {
    id: { type: 'string', example: 'msg_0123456789abcdef0123456789abcdef' },
    type: { type: 'string', enum: ['message'] },
    status: { type: 'string', enum: ['in_progress', 'completed', 'incomplete'] },
    role: { type: 'string', enum: ['assistant'] },
    content: {
      type: 'array',
      items: { type: 'object', properties: { type: { type: 'string', enum: ['output_text'] }, text: { type: 'string' }, annotations: { type: 'array', items: {} } } },
    },
  },
};

export const RESPONSE_SCHEMA: Schema = {
  type: 'object',
  required: ['id', 'object', 'created_at', 'status', 'model', 'output'],
  properties: {
    id: { type: 'string', example: 'resp_0123456789abcdef0123456789abcdef' },
    object: { type: 'string', enum: ['response'] },
    created_at: { type: 'integer', description: 'Unix seconds.' },
    status: { type: 'string', enum: ['in_progress', 'completed', 'incomplete', 'cancelled', 'failed'] },
    error: {
      type: 'object',
      nullable: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, type: { type: 'string', example: 'server_error' }, param: { type: 'string', nullable: true } },
    },
    incomplete_details: { type: 'object', nullable: true, properties: { reason: { type: 'string', enum: ['max_output_tokens', 'content_filter'] } } },
    instructions: { type: 'string', nullable: true },
    max_output_tokens: { type: 'integer', nullable: true },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    model: { type: 'string', example: 'persona/nova' },
    output: { type: 'array', items: OUTPUT_MESSAGE },
    output_text: { type: 'string', description: 'The output\'s text, joined.' },
    previous_response_id: { type: 'string', nullable: true },
    store: { type: 'boolean' },
    temperature: { type: 'number', nullable: true },
    usage: USAGE,
  },
};

export const RESPONSE_DELETED_SCHEMA: Schema = {
  type: 'object',
  required: ['id', 'object', 'deleted'],
  properties: { id: { type: 'string' }, object: { type: 'string', enum: ['response'] }, deleted: { type: 'boolean', enum: [true] } },
};

export const RESPONSE_INPUT_ITEMS_SCHEMA: Schema = {
  type: 'object',
  required: ['object', 'data', 'first_id', 'last_id', 'has_more'],
  properties: {
    object: { type: 'string', enum: ['list'] },
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          type: { type: 'string', enum: ['message'] },
          role: { type: 'string', enum: ['user'] },
          status: { type: 'string', enum: ['completed'] },
          content: { type: 'array', items: { type: 'object', properties: { type: { type: 'string', enum: ['input_text'] }, text: { type: 'string' } } } },
        },
      },
    },
    first_id: { type: 'string', nullable: true },
    last_id: { type: 'string', nullable: true },
    has_more: { type: 'boolean' },
  },
};
