import { loadConfig, type AppConfig, type Env, type ProviderConfig } from '#chorus/core';
import { GenerationError, type ChatChunk, type ChatUsage, type FinishReason, type GenerationEvent, type ModelRef } from '#chorus/providers';

/**
 * Configuration for tests that point providers at the fake servers: the same parsing the app
 * does (PROVIDERS as JSON), so defaults and validation are the real ones.
 */

export interface ProviderEntry {
  readonly name: string;
  readonly kind: 'openai' | 'gemini' | 'simulated';
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly maxRetries?: number;
  readonly breakerThreshold?: number;
  readonly breakerCooldownMs?: number;
  readonly models: ReadonlyArray<{
    readonly id: string;
    readonly contextWindow: number;
    readonly maxOutputTokens?: number;
    readonly inputUsdPerMillion?: number;
    readonly outputUsdPerMillion?: number;
    readonly vision?: boolean;
  }>;
}

export function configWithProviders(entries: readonly ProviderEntry[], env: Env = {}): AppConfig {
  return loadConfig({ PROVIDERS: JSON.stringify(entries), SIMULATED_FIRST_TOKEN_MS: '0', SIMULATED_TOKENS_PER_SECOND: '1000', ...env });
}

export function providerConfig(entry: ProviderEntry): ProviderConfig {
  const provider = configWithProviders([entry]).ai.providers.find((candidate) => candidate.name === entry.name);
  if (!provider) throw new Error(`provider ${entry.name} missing from the parsed configuration`);
  return provider;
}

/** What an adapter streamed: the text, the usage and finish chunks, and the error it ended with. */
export interface CollectedChunks {
  readonly chunks: ChatChunk[];
  readonly text: string;
  readonly usage?: ChatUsage;
  readonly finish?: FinishReason;
  readonly error?: unknown;
}

export async function collectChunks(stream: AsyncIterable<ChatChunk>, onChunk?: (chunk: ChatChunk) => void): Promise<CollectedChunks> {
  const chunks: ChatChunk[] = [];
  let error: unknown;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      onChunk?.(chunk);
    }
  } catch (caught) {
    error = caught;
  }
  const usage = chunks.find((chunk) => chunk.type === 'usage');
  const finish = chunks.find((chunk) => chunk.type === 'finish');
  return {
    chunks,
    text: chunks.map((chunk) => (chunk.type === 'delta' ? chunk.text : '')).join(''),
    ...(usage?.type === 'usage' ? { usage: usage.usage } : {}),
    ...(finish?.type === 'finish' ? { finish: finish.reason } : {}),
    ...(error === undefined ? {} : { error }),
  };
}

/** What a generation produced: its events, the text, how it completed, or the GenerationError it threw. */
export interface CollectedGeneration {
  readonly events: GenerationEvent[];
  readonly text: string;
  readonly servedBy?: ModelRef;
  readonly completed?: Extract<GenerationEvent, { type: 'completed' }>;
  readonly error?: GenerationError;
}

export async function collectGeneration(
  generation: AsyncIterable<GenerationEvent>,
  onEvent?: (event: GenerationEvent) => void,
): Promise<CollectedGeneration> {
  const events: GenerationEvent[] = [];
  let error: GenerationError | undefined;
  try {
    for await (const event of generation) {
      events.push(event);
      onEvent?.(event);
    }
  } catch (caught) {
    if (!(caught instanceof GenerationError)) throw caught;
    error = caught;
  }
  const started = events.find((event) => event.type === 'started');
  const completed = events.find((event) => event.type === 'completed');
  return {
    events,
    text: events.map((event) => (event.type === 'delta' ? event.text : '')).join(''),
    ...(started?.type === 'started' ? { servedBy: started.servedBy } : {}),
    ...(completed?.type === 'completed' ? { completed } : {}),
    ...(error ? { error } : {}),
  };
}
