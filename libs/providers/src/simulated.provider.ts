import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatChunk, ChatProvider, ChatRequest } from './chat-provider.js';
import { ProviderError } from './chat-provider.js';

export interface SimulatedTiming {
  readonly firstTokenMs: number;
  readonly tokensPerSecond: number;
}

/**
 * Replies without any network, so Chorus works (and is tested) with no AI key. The reply is
 * deterministic: it names the persona and quotes the user's last message, and says plainly
 * that it is simulated. Two models fail on purpose: `simulated-fail` before the first token,
 * `simulated-fail-midstream` after a few.
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
    const words = replyFor(request).split(/(?<= )/);
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
    yield {
      type: 'usage',
      usage: { inputTokens: approximateTokens(request.messages.map((message) => message.content).join(' ')), outputTokens: sent.length },
    };
    yield { type: 'finish', reason: signal.aborted ? 'cancelled' : sent.length < words.length ? 'length' : 'stop' };
  }
}

/** The simulated reply: who is speaking, what was said, and that no real AI was involved. */
function replyFor(request: ChatRequest): string {
  const system = request.messages.find((message) => message.role === 'system')?.content ?? '';
  const persona = /You are ([^.,\n]+)/.exec(system)?.[1]?.trim() ?? 'your persona';
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  const quoted = lastUser.length > 200 ? `${lastUser.slice(0, 200)}…` : lastUser;
  return `This is a simulated reply from ${persona} (no AI provider is configured). You said: "${quoted}". Configure OPENAI_API_KEY, GEMINI_API_KEY or PROVIDERS for real replies.`;
}

/** The simulator counts words as tokens: close enough for a demo, and exact for tests to check. */
function approximateTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
