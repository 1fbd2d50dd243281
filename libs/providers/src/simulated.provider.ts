import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatChunk, ChatImage, ChatMessage, ChatProvider, ChatRequest, ChatToolCall } from './chat-provider.js';
import { ProviderError } from './chat-provider.js';

export interface SimulatedTiming {
  readonly firstTokenMs: number;
  readonly tokensPerSecond: number;
}

/** Input tokens the simulator counts for each image it is shown, so that images visibly cost something. */
export const SIMULATED_IMAGE_TOKENS = 85;

/** The tool the simulator calls when the user asks for a photo, when the request offers it. */
const SEND_MEDIA = 'send_media';

const PHOTO_REQUEST = /\b(photos?|pictures?|pics?|selfies?|image of you)\b/i;

/** Words skipped between "of"/"your" and the subject of a photo request ("of your dog"). */
const DETERMINERS = new Set(['a', 'an', 'the', 'my', 'your']);

/** Words after "of"/"your" that name no subject ("a photo of you", "your pic"). */
const NOT_A_SUBJECT = new Set([
  ...['you', 'yourself', 'me', 'us', 'it', 'this', 'that'],
  ...['photo', 'photos', 'picture', 'pictures', 'pic', 'pics', 'selfie', 'selfies', 'image', 'images'],
]);

/** What the simulator answers: its text, then possibly a tool call. */
interface SimulatedScript {
  readonly text: string;
  readonly toolCall?: ChatToolCall;
}

/**
 * Replies without any network, so Chorus works (and is tested) with no AI key. The reply is
 * deterministic: it names the persona, describes the images of the user's last message, quotes
 * that message, and says plainly that it is simulated. Offered `send_media`, it calls it when
 * the user asks for a photo, and confirms once given the tool's result. Two models fail on
 * purpose: `simulated-fail` before the first token, `simulated-fail-midstream` after a few.
 */
export class SimulatedProvider implements ChatProvider {
  readonly kind = 'simulated' as const;

  constructor(
    readonly name: string,
    private readonly models: readonly string[],
    private readonly timing: SimulatedTiming,
  ) {}

  async listModels(): Promise<string[]> {
    return [...this.models];
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatChunk> {
    const { signal } = request;
    await sleep(this.timing.firstTokenMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    if (request.model === 'simulated-fail') {
      throw new ProviderError('unavailable', 'The simulated provider was asked to fail.', true, 503);
    }
    const script = scriptFor(request);
    const words = script.text.split(/(?<= )/);
    const budget = request.maxOutputTokens ?? Number.POSITIVE_INFINITY;
    const sent: string[] = [];
    for (const word of words) {
      if (signal.aborted || sent.length >= budget) break;
      if (request.model === 'simulated-fail-midstream' && sent.length === 3) {
        throw new ProviderError('interrupted', 'The simulated provider was asked to fail mid-stream.', false);
      }
      sent.push(word);
      yield { type: 'delta', text: word };
      await sleep(1000 / this.timing.tokensPerSecond, undefined, { signal }).catch(() => undefined);
    }
    const truncated = sent.length < words.length;
    const call = truncated || signal.aborted ? undefined : script.toolCall;
    if (call) yield { type: 'tool_call', call };
    const outputTokens = sent.length + (call ? approximateTokens(`${call.name} ${call.arguments}`) : 0);
    yield { type: 'usage', usage: { inputTokens: inputTokens(request.messages), outputTokens } };
    yield { type: 'finish', reason: signal.aborted ? 'cancelled' : truncated ? 'length' : call ? 'tool_calls' : 'stop' };
  }
}

function scriptFor(request: ChatRequest): SimulatedScript {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') return { text: `Done, I sent it to you. The tool said: "${quote(last.content)}".` };
  if (last?.role === 'user' && request.tools?.some((tool) => tool.name === SEND_MEDIA) && PHOTO_REQUEST.test(last.content)) {
    const subject = photoSubject(last.content);
    return {
      text: 'Sure, sending you one now.',
      toolCall: { id: 'call_simulated_1', name: SEND_MEDIA, arguments: JSON.stringify(subject ? { tag: subject } : {}) },
    };
  }
  return { text: replyFor(request) };
}

/** The simulated reply: who is speaking, what was shown and said, and that no real AI was involved. */
function replyFor(request: ChatRequest): string {
  const system = request.messages.find((message) => message.role === 'system')?.content ?? '';
  const persona = /You are ([^.,\n]+)/.exec(system)?.[1]?.trim() ?? 'your persona';
  const lastUser = request.messages.findLast((message) => message.role === 'user');
  return (
    describeImages(lastUser?.images ?? []) +
    `This is a simulated reply from ${persona} (no AI provider is configured). You said: "${quote(lastUser?.content ?? '')}". ` +
    'Configure OPENAI_API_KEY, GEMINI_API_KEY or PROVIDERS for real replies.'
  );
}

/** E.g. `I can see your image (image/png, 640×480, 12.3 KB). `, or nothing without images. */
function describeImages(images: readonly ChatImage[]): string {
  if (images.length === 0) return '';
  const details = images.map((image) => `${image.mediaType}, ${image.width}×${image.height}, ${(image.data.length / 1024).toFixed(1)} KB`);
  return `I can see your ${images.length === 1 ? 'image' : `${images.length} images`} (${details.join('; ')}). `;
}

/** What a photo is asked of: the first word after "of" or "your" that names something ("a pic of your dog": dog). */
function photoSubject(text: string): string | undefined {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  for (const [index, word] of words.entries()) {
    if (word !== 'of' && word !== 'your') continue;
    const subject = words.slice(index + 1).find((candidate) => !DETERMINERS.has(candidate));
    if (subject && !NOT_A_SUBJECT.has(subject)) return subject;
  }
  return undefined;
}

function quote(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Words of every message, and a fixed count per image. */
function inputTokens(messages: readonly ChatMessage[]): number {
  const images = messages.reduce((count, message) => count + (message.images?.length ?? 0), 0);
  return approximateTokens(messages.map((message) => message.content).join(' ')) + images * SIMULATED_IMAGE_TOKENS;
}

/** The simulator counts words as tokens: close enough for a demo, and exact for tests to check. */
function approximateTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
