import { OpenAIProvider, ProviderError, type ChatMessage, type ChatTool } from '#chorus/providers';
import { FakeOpenAIServer, within } from './support/fake-openai.js';
import { collectChunks, providerConfig } from './support/fake-providers.js';

/**
 * The OpenAI adapter driving the real `openai` SDK against a local server that speaks the
 * Chat Completions wire protocol.
 */
describe('OpenAI adapter', () => {
  let upstream: FakeOpenAIServer;
  let sut: OpenAIProvider;
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You are Nova.' },
    { role: 'user', content: 'Hi!' },
    { role: 'assistant', content: 'Hello.' },
    { role: 'user', content: 'How are you?' },
  ];
  const request = (
    overrides: { signal?: AbortSignal; temperature?: number; maxOutputTokens?: number; messages?: ChatMessage[]; tools?: ChatTool[] } = {},
  ) => ({
    model: 'gpt-fake',
    messages,
    signal: new AbortController().signal,
    ...overrides,
  });

  beforeAll(async () => {
    upstream = await FakeOpenAIServer.start({ apiKey: 'sk-test' });
    sut = new OpenAIProvider(
      providerConfig({
        name: 'local',
        kind: 'openai',
        baseUrl: upstream.baseUrl,
        apiKey: 'sk-test',
        headers: { 'x-tenant': 'chorus' },
        models: [{ id: 'gpt-fake', contextWindow: 8192 }],
      }),
    );
  });

  afterEach(() => upstream.reset());
  afterAll(() => upstream.close());

  it('streams the deltas in order, then the usage, then the finish reason', async () => {
    upstream.script({ tokens: ['The', ' sky', ' is', ' blue.'], tokenDelayMs: 5 });

    const result = await collectChunks(sut.stream(request({ temperature: 0.7, maxOutputTokens: 256 })));

    expect(result.error).toBeUndefined();
    expect(result.chunks.map((chunk) => chunk.type)).toEqual(['delta', 'delta', 'delta', 'delta', 'usage', 'finish']);
    expect(result.text).toBe('The sky is blue.');
    expect(result.finish).toBe('stop');
    const [received] = upstream.requests;
    expect(received).toMatchObject({ method: 'POST', url: '/v1/chat/completions', outcome: 'completed' });
    expect(received!.headers).toMatchObject({ authorization: 'Bearer sk-test', 'x-tenant': 'chorus' });
    expect(received!.body).toEqual({
      model: 'gpt-fake',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.7,
      // A compatible server gets the field every server knows.
      max_tokens: 256,
    });
  });

  it('maps the final usage chunk, cached and reasoning tokens included', async () => {
    upstream.script({
      usage: {
        prompt_tokens: 1200,
        completion_tokens: 87,
        prompt_tokens_details: { cached_tokens: 1024 },
        completion_tokens_details: { reasoning_tokens: 64 },
      },
    });

    const result = await collectChunks(sut.stream(request()));

    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 87, cachedInputTokens: 1024, reasoningTokens: 64 });
  });

  it('reports no usage when the server sends none, and maps finish_reason length', async () => {
    upstream.script({ usage: null, finishReason: 'length' });

    const result = await collectChunks(sut.stream(request()));

    expect(result.usage).toBeUndefined();
    expect(result.finish).toBe('length');
  });

  it.each([
    [429, 'rate_limited', true],
    [500, 'unavailable', true],
    [503, 'unavailable', true],
    [400, 'bad_request', false],
    [403, 'authentication', false],
  ])('maps HTTP %i to ProviderError %s (retryable: %s)', async (status, code, retryable) => {
    upstream.failNext(1, status);

    const result = await collectChunks(sut.stream(request()));

    expect(result.chunks).toEqual([]);
    expect(result.error).toBeInstanceOf(ProviderError);
    expect(result.error).toMatchObject({ code, retryable, status });
    // The SDK's own retries are off: the registry decides.
    expect(upstream.requests).toHaveLength(1);
  });

  it('carries Retry-After on a rate limit', async () => {
    upstream.failNext(1, 429, { retryAfterSeconds: 3 });

    const result = await collectChunks(sut.stream(request()));

    expect(result.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 3000 });
  });

  it('maps a wrong API key (401) to a non-retryable authentication error', async () => {
    const wrongKey = new OpenAIProvider(
      providerConfig({ name: 'wrong', kind: 'openai', baseUrl: upstream.baseUrl, apiKey: 'sk-wrong', models: [{ id: 'gpt-fake', contextWindow: 8192 }] }),
    );

    const result = await collectChunks(wrongKey.stream(request()));

    expect(result.error).toMatchObject({ name: 'ProviderError', code: 'authentication', retryable: false, status: 401 });
  });

  it('maps a refused connection to a retryable unavailable error', async () => {
    const closed = await FakeOpenAIServer.start();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const unreachable = new OpenAIProvider(providerConfig({ name: 'gone', kind: 'openai', baseUrl, apiKey: 'k', models: [{ id: 'gpt-fake', contextWindow: 8192 }] }));

    const result = await collectChunks(unreachable.stream(request()));

    expect(result.error).toMatchObject({ name: 'ProviderError', code: 'unavailable', retryable: true });
  });

  it('fails with interrupted when the connection breaks mid-stream, after the tokens that arrived', async () => {
    upstream.script({ tokens: ['one', ' two', ' three', ' four'], destroyAfter: 2 });

    const result = await collectChunks(sut.stream(request()));

    expect(result.text).toBe('one two');
    expect(result.error).toMatchObject({ name: 'ProviderError', code: 'interrupted', retryable: false });
    expect(result.finish).toBeUndefined();
  });

  it('ends quietly when the signal aborts, and closes the upstream connection', async () => {
    upstream.script({ tokens: Array.from({ length: 50 }, (_, index) => ` t${index}`), tokenDelayMs: 20 });
    const controller = new AbortController();

    const result = await collectChunks(sut.stream(request({ signal: controller.signal })), (chunk) => {
      if (chunk.type === 'delta' && chunk.text === ' t1') controller.abort();
    });

    expect(result.error).toBeUndefined();
    expect(result.finish).toBeUndefined();
    expect(result.text.startsWith(' t0 t1')).toBe(true);
    const [received] = upstream.requests;
    expect(await within(received!.ended)).toBe('client_closed');
    expect(received!.tokensSent).toBeLessThan(50);
  });

  it('closes the upstream connection when the consumer stops reading', async () => {
    upstream.script({ tokens: Array.from({ length: 50 }, (_, index) => ` t${index}`), tokenDelayMs: 20 });

    for await (const chunk of sut.stream(request())) {
      if (chunk.type === 'delta') break;
    }

    expect(await within(upstream.requests[0]!.ended)).toBe('client_closed');
  });

  it('lists the models the server offers', async () => {
    expect(await sut.listModels()).toEqual(['gpt-fake', 'gpt-fake-mini']);
    expect(upstream.requests[0]).toMatchObject({ method: 'GET', url: '/v1/models' });
  });

  describe('images and tool calls', () => {
    // A PNG signature and two more bytes: their base64 is written out, not computed like the adapter does.
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00]);
    const sendMedia: ChatTool = {
      name: 'send_media',
      description: 'Sends the user a photo from the persona library.',
      parameters: { type: 'object', properties: { tag: { type: 'string' } } },
    };

    it("sends a user's images as data-URL parts after the text, and leaves other messages plain", async () => {
      const withImages: ChatMessage[] = [
        { role: 'system', content: 'You are Nova.' },
        { role: 'user', content: 'What is this?', images: [{ mediaType: 'image/png', data: png, width: 2, height: 1 }] },
        { role: 'user', content: '', images: [{ mediaType: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), width: 1, height: 1 }] },
      ];

      const result = await collectChunks(sut.stream(request({ messages: withImages })));

      expect(result.error).toBeUndefined();
      expect((upstream.requests[0]!.body as { messages: unknown }).messages).toEqual([
        { role: 'system', content: 'You are Nova.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgr/AA==' } },
          ],
        },
        // No empty text part beside an image sent alone.
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }] },
      ]);
    });

    it('offers the tools as functions, and puts calls streamed in fragments together, one chunk each, before the usage', async () => {
      upstream.script({
        tokens: ['One', ' moment.'],
        toolCalls: [
          { id: 'call_abc', name: 'send_media', argumentFragments: ['{"ta', 'g": "be', 'ach"}'] },
          { id: 'call_def', name: 'send_media', argumentFragments: ['{}'] },
        ],
        finishReason: 'tool_calls',
        usage: { prompt_tokens: 30, completion_tokens: 18 },
      });

      const result = await collectChunks(sut.stream(request({ tools: [sendMedia] })));

      expect(result.error).toBeUndefined();
      expect(result.chunks).toEqual([
        { type: 'delta', text: 'One' },
        { type: 'delta', text: ' moment.' },
        { type: 'tool_call', call: { id: 'call_abc', name: 'send_media', arguments: '{"tag": "beach"}' } },
        { type: 'tool_call', call: { id: 'call_def', name: 'send_media', arguments: '{}' } },
        { type: 'usage', usage: { inputTokens: 30, outputTokens: 18 } },
        { type: 'finish', reason: 'tool_calls' },
      ]);
      expect(upstream.requests[0]!.body).toMatchObject({
        tools: [{ type: 'function', function: { name: 'send_media', description: sendMedia.description, parameters: sendMedia.parameters } }],
      });
    });

    it('reports tool_calls when a compatible server ends a call with stop', async () => {
      upstream.script({ tokens: [], toolCalls: [{ id: 'call_1', name: 'send_media', argumentFragments: ['{}'] }], finishReason: 'stop' });

      const result = await collectChunks(sut.stream(request({ tools: [sendMedia] })));

      expect(result.finish).toBe('tool_calls');
    });

    it('sends no tools when none are offered', async () => {
      await collectChunks(sut.stream(request({ tools: [] })));

      expect(upstream.requests[0]!.body).not.toHaveProperty('tools');
    });

    it('sends the continuation of a call: the assistant turn with its calls, then the tool results by call id', async () => {
      const continuation: ChatMessage[] = [
        { role: 'user', content: 'Send me a photo of the beach' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'call_abc', name: 'send_media', arguments: '{"tag":"beach"}' }] },
        { role: 'tool', toolCallId: 'call_abc', content: 'sent media 42' },
        { role: 'assistant', content: 'Here, and one more.', toolCalls: [{ id: 'call_def', name: 'send_media', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_def', content: 'sent media 43' },
      ];

      await collectChunks(sut.stream(request({ messages: continuation, tools: [sendMedia] })));

      expect((upstream.requests[0]!.body as { messages: unknown }).messages).toEqual([
        { role: 'user', content: 'Send me a photo of the beach' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'send_media', arguments: '{"tag":"beach"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_abc', content: 'sent media 42' },
        {
          role: 'assistant',
          content: 'Here, and one more.',
          tool_calls: [{ id: 'call_def', type: 'function', function: { name: 'send_media', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_def', content: 'sent media 43' },
      ]);
    });

    it('refuses, without calling the server, a tool result that names no call', async () => {
      const result = await collectChunks(sut.stream(request({ messages: [{ role: 'user', content: 'Hi' }, { role: 'tool', content: 'sent' }] })));

      expect(result.error).toMatchObject({ name: 'ProviderError', code: 'bad_request', retryable: false });
      expect(upstream.requests).toHaveLength(0);
    });

    it('counts tool-call fragments as output: a connection broken among them is interrupted, and no call is reported', async () => {
      // No tokens: the first frame is the call's id and name, the second its first fragment.
      upstream.script({ tokens: [], toolCalls: [{ id: 'call_abc', name: 'send_media', argumentFragments: ['{"tag"', ': "x"}'] }], destroyAfter: 2 });

      const result = await collectChunks(sut.stream(request({ tools: [sendMedia] })));

      expect(result.chunks).toEqual([]);
      expect(result.error).toMatchObject({ name: 'ProviderError', code: 'interrupted', retryable: false });
    });
  });

  it('sends nothing and ends quietly when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();

    const result = await collectChunks(sut.stream(request({ signal: controller.signal })));

    expect(result).toEqual({ chunks: [], text: '' });
    expect(upstream.requests).toHaveLength(0);
  });
});
