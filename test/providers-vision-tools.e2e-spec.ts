import { Logger } from '@nestjs/common';
import { ProviderRegistry, type ChatMessage, type ChatTool, type ModelPolicy } from '#chorus/providers';
import { FakeGeminiServer } from './support/fake-gemini.js';
import { FakeOpenAIServer } from './support/fake-openai.js';
import { collectGeneration, configWithProviders } from './support/fake-providers.js';

/**
 * The registry with images and tools, end to end through the real SDKs against the fake servers:
 * a tool call is output like a token (nothing is retried or falls back after it), and a model
 * that cannot read images is skipped when the messages carry some.
 */
describe('ProviderRegistry with images and tools', () => {
  let primary: FakeOpenAIServer;
  let blind: FakeOpenAIServer;
  let gemini: FakeGeminiServer;

  const primaryModel = { provider: 'primary', model: 'gpt-fake' };
  const blindModel = { provider: 'blind', model: 'gpt-fake-mini' };
  const geminiModel = { provider: 'gemini', model: 'gemini-fake' };
  const sendMedia: ChatTool = {
    name: 'send_media',
    description: 'Sends the user a photo from the persona library.',
    parameters: { type: 'object', properties: { tag: { type: 'string' } } },
  };
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00]);
  const text: ChatMessage[] = [
    { role: 'system', content: 'You are Nova.' },
    { role: 'user', content: 'What is this?' },
  ];
  const withImage: ChatMessage[] = [
    { role: 'system', content: 'You are Nova.' },
    { role: 'user', content: 'What is this?', images: [{ mediaType: 'image/png', data: png, width: 2, height: 1 }] },
  ];

  function registry(): ProviderRegistry {
    // PROVIDERS reads `vision` as false when absent: only these two read images.
    const seeing = (id: string) => ({ id, contextWindow: 8192, vision: true });
    return new ProviderRegistry(
      configWithProviders([
        { name: 'primary', kind: 'openai', baseUrl: primary.baseUrl, apiKey: 'sk-primary', maxRetries: 0, timeoutMs: 2000, models: [seeing('gpt-fake')] },
        { name: 'blind', kind: 'openai', baseUrl: blind.baseUrl, apiKey: 'sk-blind', maxRetries: 0, timeoutMs: 2000, models: [{ id: 'gpt-fake-mini', contextWindow: 4096 }] },
        { name: 'gemini', kind: 'gemini', baseUrl: gemini.baseUrl, apiKey: 'g-key', maxRetries: 2, timeoutMs: 2000, models: [seeing('gemini-fake')] },
      ]),
    );
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    [primary, blind, gemini] = await Promise.all([FakeOpenAIServer.start(), FakeOpenAIServer.start(), FakeGeminiServer.start()]);
  });

  afterEach(() => {
    primary.reset();
    blind.reset();
    gemini.reset();
  });

  afterAll(async () => {
    await Promise.all([primary.close(), blind.close(), gemini.close()]);
  });

  describe('tool calls', () => {
    it.each([
      [
        'OpenAI',
        primaryModel,
        () => primary.script({ toolCalls: [{ id: 'call_abc', name: 'send_media', argumentFragments: ['{"tag":', '"beach"}'] }], finishReason: 'tool_calls' }),
        () => (primary.requests[0]!.body as { tools: Array<{ function: { name: string } }> }).tools.map((tool) => tool.function.name),
        'call_abc',
      ],
      [
        'Gemini',
        geminiModel,
        () => gemini.script({ functionCalls: [{ name: 'send_media', args: { tag: 'beach' } }] }),
        () => (gemini.requests[0]!.body as { tools: Array<{ functionDeclarations: Array<{ name: string }> }> }).tools[0]!.functionDeclarations.map((tool) => tool.name),
        'call_1',
      ],
    ] as const)('%s: offers the tools, streams the call as a tool_call event after the text, and completes with tool_calls', async (_name, model, script, offered, id) => {
      script();

      const result = await collectGeneration(registry().generate({ primary: model, fallbacks: [] }, text, new AbortController().signal, { tools: [sendMedia] }));

      expect(result.error).toBeUndefined();
      expect(result.events.map((event) => event.type)).toEqual(['started', 'delta', 'delta', 'delta', 'delta', 'tool_call', 'completed']);
      expect(result.events).toContainEqual({ type: 'tool_call', call: expect.objectContaining({ id, name: 'send_media', arguments: expect.stringMatching(/^\{"tag": ?"beach"\}$/) }) });
      expect(result.completed).toMatchObject({ servedBy: model, finishReason: 'tool_calls' });
      expect(offered()).toEqual(['send_media']);
    });

    it('a tool call is output: when the stream breaks after it, the generation fails mid-stream, without retry or fallback', async () => {
      gemini.script({ tokens: [], functionCalls: [{ name: 'send_media', args: {} }], destroyAfter: 1 });

      const result = await collectGeneration(
        registry().generate({ primary: geminiModel, fallbacks: [primaryModel] }, text, new AbortController().signal, { tools: [sendMedia] }),
      );

      expect(result.events).toEqual([
        { type: 'started', servedBy: geminiModel },
        { type: 'tool_call', call: { id: 'call_1', name: 'send_media', arguments: '{}' } },
      ]);
      expect(result.error).toMatchObject({ code: 'provider_failed_mid_stream', partial: true, servedBy: geminiModel });
      expect(gemini.requests).toHaveLength(1);
      expect(primary.requests).toHaveLength(0);
    });
  });

  describe('images', () => {
    const policy: ModelPolicy = { primary: primaryModel, fallbacks: [blindModel, geminiModel] };

    it('skips a fallback model without vision when the messages carry images, and shows the next one the image', async () => {
      primary.failNext(1, 503);

      const result = await collectGeneration(registry().generate(policy, withImage, new AbortController().signal));

      expect(result.servedBy).toEqual(geminiModel);
      expect(blind.requests).toHaveLength(0);
      expect((gemini.requests[0]!.body as { contents: unknown }).contents).toEqual([
        { role: 'user', parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgr/AA==' } }] },
      ]);
    });

    it('falls back to a model without vision when there is no image', async () => {
      primary.failNext(1, 503);

      const result = await collectGeneration(registry().generate(policy, text, new AbortController().signal));

      expect(result.servedBy).toEqual(blindModel);
      expect(gemini.requests).toHaveLength(0);
    });

    it('fails, saying why, when no model left can read the images', async () => {
      primary.failNext(1, 503);

      const result = await collectGeneration(registry().generate({ primary: primaryModel, fallbacks: [blindModel] }, withImage, new AbortController().signal));

      expect(result.error).toMatchObject({ code: 'providers_unavailable', partial: false });
      expect(result.error!.message).toContain('gpt-fake-mini cannot read images');
      expect(blind.requests).toHaveLength(0);
    });
  });
});
