import { isUUID } from 'class-validator';
import { ProblemException } from '#chorus/core';
import type { ChatMessage } from '#chorus/providers';
import { OpenAICompatProblems } from './openai-compat.problems.js';

/** A request to the Responses API, as Chorus runs it. */
export interface ResponseRequest {
  readonly model: string;
  /** The user's new message: the text of the input's last user items. */
  readonly turn: string;
  /** Chorus uploads (`input_image` with `file_id`) the new message carries. */
  readonly uploads: readonly string[];
  /** Turns before the new message given in `input` (the client keeps the history). */
  readonly history: readonly ChatMessage[];
  /** Output items of earlier stored responses that `input` refers to (`item_reference`), as reply message ids. */
  readonly referencedReplies: readonly string[];
  /** Earlier turns given after the last `item_reference` (a stored chain cannot take them). */
  readonly turnsAfterLastReference: number;
  /** `instructions`, then the input's system and developer messages: added after the persona's prompt. */
  readonly instructions?: string;
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  readonly metadata: Record<string, string>;
  /** Absent: the default (stored for personas). */
  readonly store?: boolean;
  readonly previousResponseId?: string;
  readonly stream: boolean;
}

const MAX_INPUT_ITEMS = 500;
const MAX_TEXT = 100_000;
/** As long as a persona's own system prompt may be: instructions (and system items, joined) add to it. */
const MAX_INSTRUCTIONS = 20_000;

/**
 * Parameters that would change what the response means, which Chorus cannot honour: refused
 * rather than ignored. (Those that only tune delivery, such as `user` or `service_tier`, are ignored.)
 */
const UNSUPPORTED: Record<string, (value: unknown) => boolean> = {
  background: (value) => !isUnset(value) && value !== false,
  tools: (value) => !isUnset(value) && !(Array.isArray(value) && value.length === 0),
  tool_choice: (value) => !isUnset(value) && value !== 'auto' && value !== 'none',
  reasoning: (value) => !isUnset(value),
  include: (value) => !isUnset(value) && !(Array.isArray(value) && value.length === 0),
  conversation: (value) => !isUnset(value),
  prompt: (value) => !isUnset(value),
  top_p: (value) => !isUnset(value) && value !== 1,
  top_logprobs: (value) => !isUnset(value) && value !== 0,
  text: (value) => {
    if (isUnset(value)) return false;
    if (typeof value !== 'object' || Array.isArray(value)) return true;
    const format = (value as { format?: unknown }).format;
    return !isUnset(format) && (format as { type?: unknown }).type !== 'text';
  },
};

/** The most output tokens a request may ask for (a bound to keep it a number everything stores). */
const MAX_OUTPUT_TOKENS = 1_000_000;

function isUnset(value: unknown): boolean {
  return value === undefined || value === null;
}

/** Text PostgreSQL can store as it was sent: no unpaired UTF-16 surrogate (JSON's `\ud800`). */
function isText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength && value.isWellFormed();
}

/** What an output item's id is made of: `msg_` and the reply message's id without dashes. */
export function outputItemId(messageId: string): string {
  return `msg_${messageId.replaceAll('-', '')}`;
}

/** The message id an item id (`msg_` and 32 hex digits) names, or undefined. */
export function messageIdOfItem(itemId: string): string | undefined {
  const hex = /^msg_([0-9a-f]{32})$/.exec(itemId)?.[1];
  if (!hex) return undefined;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return isUUID(id) ? id : undefined;
}

/** 400 `invalid_request` naming the rejected parameter. */
export function invalid(message: string, param: string | null = null): ProblemException {
  return new ProblemException(OpenAICompatProblems.invalidRequest, message, param ? { errors: [{ field: param, message }] } : undefined);
}

/** Checks a `POST /responses` body; anything Chorus would have to ignore while it changes the answer is a 400. */
export function parseResponseRequest(body: Record<string, unknown>): ResponseRequest {
  for (const [name, unsupported] of Object.entries(UNSUPPORTED)) {
    if (unsupported(body[name])) throw invalid(`\`${name}\` is not supported by Chorus personas.`, name);
  }
  const model = body['model'];
  if (typeof model !== 'string' || model.length === 0 || model.length > 200) throw invalid('`model` is required.', 'model');
  const items = inputItems(body['input']);

  const instructionParts: string[] = [];
  const instructions = body['instructions'];
  if (instructions !== undefined && instructions !== null) {
    if (!isText(instructions, MAX_TEXT)) throw invalid('`instructions` must be text.', 'instructions');
    if (instructions.length > 0) instructionParts.push(instructions);
  }
  const conversation: Array<ChatMessage | { reference: string }> = [];
  const uploadsOf = new Map<ChatMessage, string[]>();
  for (const [index, item] of items.entries()) {
    const type = item['type'] ?? 'message';
    if (type === 'item_reference') {
      const reply = typeof item['id'] === 'string' ? messageIdOfItem(item['id']) : undefined;
      if (!reply) throw invalid(`input[${index}] refers to no item of a stored response.`, `input[${index}].id`);
      conversation.push({ reference: reply });
      continue;
    }
    if (type !== 'message') throw invalid(`input[${index}]: items of type ${String(type)} are not supported.`, `input[${index}].type`);
    const role = item['role'];
    const { text, uploads } = contentOf(item['content'], index);
    if (role === 'system' || role === 'developer') {
      if (uploads.length > 0) throw invalid(`input[${index}]: ${role} messages are text.`, `input[${index}].content`);
      instructionParts.push(text);
    } else if (role === 'user' || role === 'assistant') {
      const message: ChatMessage = { role, content: text };
      if (uploads.length > 0) {
        if (role === 'assistant') throw invalid(`input[${index}]: assistant messages are text.`, `input[${index}].content`);
        uploadsOf.set(message, uploads);
      }
      conversation.push(message);
    } else throw invalid(`input[${index}].role must be user, assistant, system or developer.`, `input[${index}].role`);
  }

  // The new message is the run of user items at the end; what comes before it is history.
  let start = conversation.length;
  while (start > 0 && 'role' in conversation[start - 1]! && (conversation[start - 1] as ChatMessage).role === 'user') start -= 1;
  const turnItems = conversation.slice(start) as ChatMessage[];
  if (turnItems.length === 0) throw invalid('`input` must end with a user message.', 'input');
  const earlier = conversation.slice(0, start);
  const lastReference = earlier.findLastIndex((item) => 'reference' in item);

  const joinedInstructions = instructionParts.length > 0 ? instructionParts.join('\n\n') : undefined;
  if (joinedInstructions !== undefined && joinedInstructions.length > MAX_INSTRUCTIONS) {
    throw invalid(`\`instructions\` and the system and developer messages of \`input\` are at most ${MAX_INSTRUCTIONS} characters together.`, 'instructions');
  }
  const temperature = body['temperature'];
  if (temperature !== undefined && temperature !== null && (typeof temperature !== 'number' || temperature < 0 || temperature > 2)) {
    throw invalid('`temperature` must be between 0 and 2.', 'temperature');
  }
  const maxOutputTokens = body['max_output_tokens'];
  if (!isUnset(maxOutputTokens) && (!Number.isInteger(maxOutputTokens) || (maxOutputTokens as number) < 1 || (maxOutputTokens as number) > MAX_OUTPUT_TOKENS)) {
    throw invalid(`\`max_output_tokens\` must be an integer from 1 to ${MAX_OUTPUT_TOKENS}.`, 'max_output_tokens');
  }
  const store = body['store'];
  if (store !== undefined && store !== null && typeof store !== 'boolean') throw invalid('`store` must be a boolean.', 'store');
  const previous = body['previous_response_id'];
  if (previous !== undefined && previous !== null && (typeof previous !== 'string' || previous.length > 64)) {
    throw invalid('`previous_response_id` must be the id of a response.', 'previous_response_id');
  }
  const stream = body['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw invalid('`stream` must be a boolean.', 'stream');

  return {
    model,
    turn: turnItems.map((message) => message.content).filter((text) => text.length > 0).join('\n\n'),
    uploads: turnItems.flatMap((message) => uploadsOf.get(message) ?? []),
    history: earlier.filter((item): item is ChatMessage => 'role' in item),
    referencedReplies: earlier.flatMap((item) => ('reference' in item ? [item.reference] : [])),
    turnsAfterLastReference: lastReference < 0 ? 0 : earlier.length - lastReference - 1,
    instructions: joinedInstructions,
    maxOutputTokens: (maxOutputTokens ?? undefined) as number | undefined,
    temperature: (temperature ?? undefined) as number | undefined,
    metadata: metadataOf(body['metadata']),
    store: (store ?? undefined) as boolean | undefined,
    previousResponseId: (previous ?? undefined) as string | undefined,
    stream: stream === true,
  };
}

/** `input` as a list of items: a string is one user message. */
function inputItems(input: unknown): Array<Record<string, unknown>> {
  if (typeof input === 'string') {
    if (input.length === 0 || !isText(input, MAX_TEXT)) throw invalid('`input` must be 1 to 100000 characters of text.', 'input');
    return [{ type: 'message', role: 'user', content: input }];
  }
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_INPUT_ITEMS) throw invalid('`input` must be text or a non-empty list of items.', 'input');
  return input.map((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(`input[${index}] must be an object.`, `input[${index}]`);
    return item as Record<string, unknown>;
  });
}

/** A message's text (its text parts joined) and the Chorus uploads it carries as images. */
function contentOf(content: unknown, index: number): { text: string; uploads: string[] } {
  if (typeof content === 'string') {
    if (!isText(content, MAX_TEXT)) throw invalid(`input[${index}].content must be text up to ${MAX_TEXT} characters.`, `input[${index}].content`);
    return { text: content, uploads: [] };
  }
  if (!Array.isArray(content)) throw invalid(`input[${index}].content must be text or a list of parts.`, `input[${index}].content`);
  const texts: string[] = [];
  const uploads: string[] = [];
  for (const [partIndex, part] of content.entries()) {
    const { type, text, file_id: fileId } = (part ?? {}) as { type?: unknown; text?: unknown; file_id?: unknown };
    const where = `input[${index}].content[${partIndex}]`;
    if (type === 'input_text' || type === 'output_text') {
      if (!isText(text, MAX_TEXT)) throw invalid(`${where}: \`text\` must be text up to ${MAX_TEXT} characters.`, where);
      texts.push(text);
    } else if (type === 'input_image') {
      if (typeof fileId !== 'string' || !isUUID(fileId)) throw invalid(`${where}: an image is a Chorus upload, given by its id as \`file_id\`.`, where);
      uploads.push(fileId);
    } else throw invalid(`${where}: parts of type ${String(type)} are not supported.`, where);
  }
  const text = texts.join('');
  if (text.length > MAX_TEXT) throw invalid(`input[${index}].content is too long.`, `input[${index}].content`);
  return { text, uploads };
}

/** OpenAI's rules: at most 16 pairs, keys up to 64 characters, string values up to 512. */
function metadataOf(metadata: unknown): Record<string, string> {
  if (metadata === undefined || metadata === null) return {};
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalid('`metadata` must be an object of strings.', 'metadata');
  const entries = Object.entries(metadata);
  if (entries.length > 16) throw invalid('`metadata` has at most 16 keys.', 'metadata');
  for (const [key, value] of entries) {
    if (!isText(key, 64) || !isText(value, 512)) {
      throw invalid('`metadata` keys are up to 64 characters and its values strings up to 512.', 'metadata');
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
