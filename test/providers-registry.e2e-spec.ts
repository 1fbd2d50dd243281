import { Logger } from '@nestjs/common';
import { ProviderRegistry, type GenerationEvent, type ModelPolicy } from '#chorus/providers';
import { FakeGeminiServer } from './support/fake-gemini.js';
import { FakeOpenAIServer, within } from './support/fake-openai.js';
import { collectGeneration, configWithProviders, type ProviderEntry } from './support/fake-providers.js';

/**
 * The registry's resilience, end to end: the real SDKs through our adapters against the fake
 * servers, with timeouts, retries, circuit breakers, fallback and cancellation.
 */
describe('ProviderRegistry', () => {
  let primary: FakeOpenAIServer;
  let secondary: FakeOpenAIServer;
  let gemini: FakeGeminiServer;

  const messages = [
    { role: 'system', content: 'You are Nova.' },
    { role: 'user', content: 'Hi!' },
  ] as const;
  const primaryModel = { provider: 'primary', model: 'gpt-fake' };
  const secondaryModel = { provider: 'secondary', model: 'gpt-fake-mini' };
  const geminiModel = { provider: 'gemini', model: 'gemini-fake' };
  const only = (model: { provider: string; model: string }): ModelPolicy => ({ primary: model, fallbacks: [] });
  const withFallback: ModelPolicy = { primary: primaryModel, fallbacks: [secondaryModel] };

  /** A registry over the three fakes; `primary` is tuned per test. */
  function registry(tuning: Partial<ProviderEntry> = {}): ProviderRegistry {
    return new ProviderRegistry(
      configWithProviders([
        {
          name: 'primary',
          kind: 'openai',
          baseUrl: primary.baseUrl,
          apiKey: 'sk-primary',
          timeoutMs: 2000,
          maxRetries: 2,
          breakerThreshold: 5,
          breakerCooldownMs: 200,
          models: [{ id: 'gpt-fake', contextWindow: 8192, maxOutputTokens: 512, inputUsdPerMillion: 0.15, outputUsdPerMillion: 0.6 }],
          ...tuning,
        },
        {
          name: 'secondary',
          kind: 'openai',
          baseUrl: secondary.baseUrl,
          apiKey: 'sk-secondary',
          timeoutMs: 2000,
          maxRetries: 0,
          models: [{ id: 'gpt-fake-mini', contextWindow: 4096 }],
        },
        {
          name: 'gemini',
          kind: 'gemini',
          baseUrl: gemini.baseUrl,
          apiKey: 'g-key',
          timeoutMs: 2000,
          maxRetries: 0,
          breakerThreshold: 1,
          breakerCooldownMs: 60_000,
          models: [{ id: 'gemini-fake', contextWindow: 1_000_000, maxOutputTokens: 8192, inputUsdPerMillion: 0.3, outputUsdPerMillion: 2.5 }],
        },
      ]),
    );
  }

  const breakerOf = (sut: ProviderRegistry, name: string) => sut.status().find((provider) => provider.name === name)?.breaker;

  async function waitForBreaker(sut: ProviderRegistry, name: string, state: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (breakerOf(sut, name) !== state) {
      if (Date.now() > deadline) throw new Error(`breaker of ${name} is ${breakerOf(sut, name)}, not ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    [primary, secondary, gemini] = await Promise.all([FakeOpenAIServer.start(), FakeOpenAIServer.start(), FakeGeminiServer.start()]);
  });

  afterEach(() => {
    primary.reset();
    secondary.reset();
    gemini.reset();
  });

  afterAll(async () => {
    await Promise.all([primary.close(), secondary.close(), gemini.close()]);
  });

  describe('streaming', () => {
    it('yields started, the deltas in order, then completed with the usage and the model that served it', async () => {
      primary.script({ tokens: ['Hi', ' there', '!'], tokenDelayMs: 5, usage: { prompt_tokens: 20, completion_tokens: 3 } });
      const sut = registry();

      const result = await collectGeneration(sut.generate({ ...only(primaryModel), temperature: 0.5, maxReplyTokens: 4000 }, messages, new AbortController().signal));

      expect(result.events).toEqual([
        { type: 'started', servedBy: primaryModel },
        { type: 'delta', text: 'Hi' },
        { type: 'delta', text: ' there' },
        { type: 'delta', text: '!' },
        { type: 'completed', servedBy: primaryModel, usage: { inputTokens: 20, outputTokens: 3 }, finishReason: 'stop' },
      ]);
      // The reply budget is the model's limit when the policy asks for more.
      expect(primary.requests[0]!.body).toMatchObject({ model: 'gpt-fake', temperature: 0.5, max_tokens: 512 });
    });

    it('streams from Gemini through the same interface', async () => {
      gemini.script({ tokens: ['Ciao', '!'], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 2 } });

      const result = await collectGeneration(registry().generate(only(geminiModel), messages, new AbortController().signal));

      expect(result.text).toBe('Ciao!');
      expect(result.completed).toEqual({ type: 'completed', servedBy: geminiModel, usage: { inputTokens: 7, outputTokens: 2 }, finishReason: 'stop' });
    });
  });

  describe('retries before the first token', () => {
    it('retries a rate-limited request (429) on the same provider, then streams', async () => {
      primary.failNext(1, 429);

      const result = await collectGeneration(registry().generate(withFallback, messages, new AbortController().signal));

      expect(result.servedBy).toEqual(primaryModel);
      expect(result.text).toBe('Hello there, friend!');
      expect(primary.requests).toHaveLength(2);
      expect(secondary.requests).toHaveLength(0);
    });

    it('retries server errors (500) with growing pauses, up to maxRetries', async () => {
      primary.failNext(2, 500);
      const started = Date.now();

      const result = await collectGeneration(registry().generate(withFallback, messages, new AbortController().signal));

      expect(result.servedBy).toEqual(primaryModel);
      expect(primary.requests).toHaveLength(3);
      // Backoff: at least half of 200 ms, then half of 400 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('does not retry what cannot succeed (400): falls back at once', async () => {
      primary.failNext(1, 400);

      const result = await collectGeneration(registry().generate(withFallback, messages, new AbortController().signal));

      expect(primary.requests).toHaveLength(1);
      expect(result.servedBy).toEqual(secondaryModel);
    });

    it('honours a short Retry-After, and falls back at once when the provider asks for a long pause', async () => {
      primary.failNext(1, 429, { retryAfterSeconds: 1 });
      const started = Date.now();
      const patient = await collectGeneration(registry().generate(withFallback, messages, new AbortController().signal));
      expect(patient.servedBy).toEqual(primaryModel);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);

      primary.reset();
      primary.failNext(1, 429, { retryAfterSeconds: 60 });
      const hurried = await collectGeneration(registry().generate(withFallback, messages, new AbortController().signal));
      expect(primary.requests).toHaveLength(1);
      expect(hurried.servedBy).toEqual(secondaryModel);
    });

    it('times out a stalled first token, aborts that connection, retries, then fails with the reason', async () => {
      primary.script({ stallAfter: 0 });
      const sut = registry({ timeoutMs: 150, maxRetries: 1 });
      const started = Date.now();

      const result = await collectGeneration(sut.generate(only(primaryModel), messages, new AbortController().signal));

      expect(result.error).toMatchObject({ code: 'providers_unavailable', partial: false, servedBy: undefined, usage: null });
      expect(result.error!.message).toContain('No response within 150 ms');
      expect(result.events).toEqual([]);
      expect(primary.requests).toHaveLength(2);
      for (const request of primary.requests) expect(await within(request.ended)).toBe('client_closed');
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });
  });

  describe('fallback along the policy', () => {
    it('moves to the next model when the primary fails before its first token (another named OpenAI-compatible server)', async () => {
      primary.failNext(3, 503);
      secondary.script({ tokens: ['From', ' the', ' backup'] });

      const result = await collectGeneration(registry().generate(withFallback, messages, new AbortController().signal));

      expect(primary.requests).toHaveLength(3);
      expect(result.events[0]).toEqual({ type: 'started', servedBy: secondaryModel });
      expect(result.text).toBe('From the backup');
      expect(result.completed).toMatchObject({ servedBy: secondaryModel, finishReason: 'stop' });
      expect(secondary.requests[0]!.headers.authorization).toBe('Bearer sk-secondary');
    });

    it('falls back from OpenAI to Gemini after a stalled first token', async () => {
      primary.script({ stallAfter: 0 });
      gemini.script({ tokens: ['Gemini', ' here'] });

      const result = await collectGeneration(
        registry({ timeoutMs: 100, maxRetries: 0 }).generate({ primary: primaryModel, fallbacks: [geminiModel] }, messages, new AbortController().signal),
      );

      expect(result.servedBy).toEqual(geminiModel);
      expect(result.text).toBe('Gemini here');
    });

    it('fails with every model tried when none can answer', async () => {
      primary.failNext(1, 401);
      secondary.failNext(1, 500);

      const result = await collectGeneration(registry().generate(withFallback, messages, new AbortController().signal));

      expect(result.error).toMatchObject({ name: 'GenerationError', code: 'providers_unavailable', partial: false });
      expect(result.events).toEqual([]);
      expect(primary.requests).toHaveLength(1);
      expect(secondary.requests).toHaveLength(1);
    });
  });

  describe('failures mid-stream', () => {
    it('a broken connection after some tokens is a partial failure: not retried, no fallback, the text so far kept', async () => {
      primary.script({ tokens: ['One', ' two', ' three', ' four'], destroyAfter: 2 });

      const result = await collectGeneration(registry().generate(withFallback, messages, new AbortController().signal));

      expect(result.text).toBe('One two');
      expect(result.error).toMatchObject({ code: 'provider_failed_mid_stream', partial: true, servedBy: primaryModel, usage: null });
      expect(result.completed).toBeUndefined();
      expect(primary.requests).toHaveLength(1);
      expect(secondary.requests).toHaveLength(0);
    });

    it('a stream stalled between chunks times out, and its connection is closed', async () => {
      primary.script({ tokens: ['One', ' two', ' three'], stallAfter: 2 });

      const result = await collectGeneration(registry({ timeoutMs: 150 }).generate(withFallback, messages, new AbortController().signal));

      expect(result.text).toBe('One two');
      expect(result.error).toMatchObject({ code: 'provider_failed_mid_stream', partial: true, servedBy: primaryModel });
      expect(result.error!.message).toContain('stalled');
      expect(await within(primary.requests[0]!.ended)).toBe('client_closed');
      expect(secondary.requests).toHaveLength(0);
    });
  });

  describe('circuit breaker', () => {
    it('opens after consecutive failures, skips the provider while open, and closes after a successful trial', async () => {
      const sut = registry({ maxRetries: 0, breakerThreshold: 2, breakerCooldownMs: 1500 });
      primary.failNext(2, 500);

      for (let call = 0; call < 2; call += 1) {
        const result = await collectGeneration(sut.generate(withFallback, messages, new AbortController().signal));
        expect(result.servedBy).toEqual(secondaryModel);
      }
      expect(breakerOf(sut, 'primary')).toBe('open');

      // Open: the primary is not even asked.
      const skipped = await collectGeneration(sut.generate(withFallback, messages, new AbortController().signal));
      expect(skipped.servedBy).toEqual(secondaryModel);
      expect(primary.requests).toHaveLength(2);

      await waitForBreaker(sut, 'primary', 'half_open');
      const trial = await collectGeneration(sut.generate(withFallback, messages, new AbortController().signal));
      expect(trial.servedBy).toEqual(primaryModel);
      expect(primary.requests).toHaveLength(3);
      expect(breakerOf(sut, 'primary')).toBe('closed');
    });

    it('reopens when the trial fails', async () => {
      // A cooldown long enough that a loaded machine cannot let it pass before the next line looks.
      const sut = registry({ maxRetries: 0, breakerThreshold: 1, breakerCooldownMs: 1500 });
      primary.failNext(2, 500);

      await collectGeneration(sut.generate(withFallback, messages, new AbortController().signal));
      expect(breakerOf(sut, 'primary')).toBe('open');
      await waitForBreaker(sut, 'primary', 'half_open');
      const trial = await collectGeneration(sut.generate(withFallback, messages, new AbortController().signal));

      expect(trial.servedBy).toEqual(secondaryModel);
      expect(primary.requests).toHaveLength(2);
      expect(breakerOf(sut, 'primary')).toBe('open');
    });

    it('an open circuit with nothing to fall back to fails with the reason', async () => {
      const sut = registry({ maxRetries: 0, breakerThreshold: 1, breakerCooldownMs: 60_000 });
      primary.failNext(1, 500);
      await collectGeneration(sut.generate(only(primaryModel), messages, new AbortController().signal));

      const result = await collectGeneration(sut.generate(only(primaryModel), messages, new AbortController().signal));

      expect(result.error).toMatchObject({ code: 'providers_unavailable', partial: false });
      expect(result.error!.message).toContain('circuit');
      expect(primary.requests).toHaveLength(1);
    });

    it('does not count refused requests (400) as failures of the provider', async () => {
      const sut = registry({ maxRetries: 0, breakerThreshold: 1 });
      primary.failNext(1, 400);

      await collectGeneration(sut.generate(withFallback, messages, new AbortController().signal));

      expect(breakerOf(sut, 'primary')).toBe('closed');
    });
  });

  describe('cancellation', () => {
    const long = Array.from({ length: 60 }, (_, index) => ` w${index}`);

    it.each([
      ['OpenAI', () => primary, primaryModel],
      ['Gemini', () => gemini, geminiModel],
    ] as const)('cancelling mid-stream (%s) closes the upstream connection and completes as cancelled', async (_name, upstream, model) => {
      upstream().script({ tokens: long, tokenDelayMs: 20 });
      const sut = registry({ breakerThreshold: 1 });
      const controller = new AbortController();
      let deltas = 0;

      const result = await collectGeneration(sut.generate(only(model), messages, controller.signal), (event: GenerationEvent) => {
        if (event.type === 'delta' && ++deltas === 2) controller.abort();
      });

      expect(result.error).toBeUndefined();
      expect(result.text).toBe(' w0 w1');
      expect(result.completed).toEqual({ type: 'completed', servedBy: model, usage: null, finishReason: 'cancelled' });
      const [request] = upstream().requests;
      expect(await within(request!.ended)).toBe('client_closed');
      expect(request!.tokensSent).toBeLessThan(long.length);
      // A cancellation is not a failure of the provider.
      expect(breakerOf(sut, model.provider)).toBe('closed');
    });

    it('cancelling before the first token closes the connection, completes as cancelled, and spares the breaker', async () => {
      primary.script({ firstTokenDelayMs: 5000 });
      const sut = registry({ breakerThreshold: 1 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();

      const result = await collectGeneration(sut.generate(withFallback, messages, controller.signal));

      expect(Date.now() - started).toBeLessThan(2000);
      expect(result.events).toEqual([
        { type: 'started', servedBy: primaryModel },
        { type: 'completed', servedBy: primaryModel, usage: null, finishReason: 'cancelled' },
      ]);
      expect(await within(primary.requests[0]!.ended)).toBe('client_closed');
      expect(secondary.requests).toHaveLength(0);
      expect(breakerOf(sut, 'primary')).toBe('closed');
    });

    it('cancelling during the pause before a retry ends at once, without retrying or falling back', async () => {
      primary.failNext(1, 429, { retryAfterSeconds: 4 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();

      const result = await collectGeneration(registry().generate(withFallback, messages, controller.signal));

      expect(Date.now() - started).toBeLessThan(2000);
      expect(result.completed).toMatchObject({ finishReason: 'cancelled', usage: null });
      expect(primary.requests).toHaveLength(1);
      expect(secondary.requests).toHaveLength(0);
    });

    it('a consumer that stops reading closes the upstream connection too', async () => {
      primary.script({ tokens: long, tokenDelayMs: 20 });

      for await (const event of registry().generate(only(primaryModel), messages, new AbortController().signal)) {
        if (event.type === 'delta') break;
      }

      expect(await within(primary.requests[0]!.ended)).toBe('client_closed');
    });
  });

  describe('status', () => {
    it('lists every provider with its kind, models and prices, and its breaker state', async () => {
      const sut = registry({ maxRetries: 0, breakerThreshold: 1, breakerCooldownMs: 60_000 });
      primary.failNext(1, 500);
      await collectGeneration(sut.generate(withFallback, messages, new AbortController().signal));

      expect(sut.status()).toEqual([
        {
          name: 'primary',
          kind: 'openai',
          breaker: 'open',
          models: [{ id: 'gpt-fake', contextWindow: 8192, maxOutputTokens: 512, inputUsdPerMillion: 0.15, outputUsdPerMillion: 0.6, vision: false }],
        },
        {
          name: 'secondary',
          kind: 'openai',
          breaker: 'closed',
          models: [{ id: 'gpt-fake-mini', contextWindow: 4096, maxOutputTokens: 1024, inputUsdPerMillion: 0, outputUsdPerMillion: 0, vision: false }],
        },
        {
          name: 'gemini',
          kind: 'gemini',
          breaker: 'closed',
          models: [{ id: 'gemini-fake', contextWindow: 1_000_000, maxOutputTokens: 8192, inputUsdPerMillion: 0.3, outputUsdPerMillion: 2.5, vision: false }],
        },
        expect.objectContaining({ name: 'simulated', kind: 'simulated', breaker: 'closed' }),
      ]);
    });

    it('refuses, at start-up and naming the provider, a configuration its adapter cannot use', () => {
      const model = [{ id: 'm', contextWindow: 1000 }];
      expect(() => new ProviderRegistry(configWithProviders([{ name: 'gem', kind: 'gemini', baseUrl: gemini.baseUrl, models: model }]))).toThrow(
        'Provider gem (gemini) cannot be set up: a gemini provider needs an apiKey',
      );
      expect(() => new ProviderRegistry(configWithProviders([{ name: 'oai', kind: 'openai', models: model }]))).toThrow(/Provider oai \(openai\).*apiKey/);
      // A keyless OpenAI-compatible server (Ollama, vLLM) is fine.
      expect(() => new ProviderRegistry(configWithProviders([{ name: 'ollama', kind: 'openai', baseUrl: primary.baseUrl, models: model }]))).not.toThrow();
    });

    it('gives access to each adapter, e.g. to list the models a backend offers', async () => {
      expect(await registry().provider('secondary')!.listModels()).toEqual(['gpt-fake', 'gpt-fake-mini']);
      expect(registry().provider('nope')).toBeUndefined();
    });
  });
});
