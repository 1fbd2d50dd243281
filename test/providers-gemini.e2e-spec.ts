import { GeminiProvider, ProviderError, type ChatMessage, type ChatTool } from '#chorus/providers';
import { FakeGeminiServer, within } from './support/fake-gemini.js';
import { collectChunks, providerConfig } from './support/fake-providers.js';

/**
 * The Gemini adapter driving the real `@google/genai` SDK against a local server that speaks
 * the Gemini API's streaming wire protocol.
 */
describe('Gemini adapter', () => {
  let upstream: FakeGeminiServer;
  let sut: GeminiProvider;
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You are Nova.' },
    { role: 'system', content: 'Answer briefly.' },
    { role: 'user', content: 'Hi!' },
    { role: 'assistant', content: 'Hello.' },
    { role: 'user', content: 'How are you?' },
    { role: 'user', content: 'And the weather?' },
  ];
  const request = (
    overrides: { signal?: AbortSignal; temperature?: number; maxOutputTokens?: number; messages?: ChatMessage[]; tools?: ChatTool[] } = {},
  ) => ({
    model: 'gemini-fake',
    messages,
    signal: new AbortController().signal,
    ...overrides,
  });

  beforeAll(async () => {
    upstream = await FakeGeminiServer.start({ apiKey: 'g-test' });
    sut = new GeminiProvider(
      providerConfig({
        name: 'gemini',
        kind: 'gemini',
        baseUrl: upstream.baseUrl,
        apiKey: 'g-test',
        headers: { 'x-tenant': 'chorus' },
        models: [{ id: 'gemini-fake', contextWindow: 1_000_000 }],
      }),
    );
  });

  afterEach(() => upstream.reset());
  afterAll(() => upstream.close());

  it('streams the deltas in order, then the usage, then the finish reason', async () => {
    upstream.script({ tokens: ['The', ' sky', ' is', ' blue.'], tokenDelayMs: 5 });

    const result = await collectChunks(sut.stream(request({ temperature: 0.4, maxOutputTokens: 300 })));

    expect(result.error).toBeUndefined();
    expect(result.chunks.map((chunk) => chunk.type)).toEqual(['delta', 'delta', 'delta', 'delta', 'usage', 'finish']);
    expect(result.text).toBe('The sky is blue.');
    expect(result.finish).toBe('stop');
    const [received] = upstream.requests;
    expect(received!.method).toBe('POST');
    expect(received!.url).toMatch(/^\/v1(beta)?\/models\/gemini-fake:streamGenerateContent\?alt=sse$/);
    expect(received!.outcome).toBe('completed');
    expect(received!.headers).toMatchObject({ 'x-goog-api-key': 'g-test', 'x-tenant': 'chorus' });
  });

  it('sends system messages as the system instruction and assistant turns as the model role', async () => {
    await collectChunks(sut.stream(request({ temperature: 0.4, maxOutputTokens: 300 })));

    expect(upstream.requests[0]!.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hi!' }] },
        { role: 'model', parts: [{ text: 'Hello.' }] },
        // Consecutive turns of one role are merged into one content.
        { role: 'user', parts: [{ text: 'How are you?' }, { text: 'And the weather?' }] },
      ],
      systemInstruction: expect.objectContaining({ parts: [{ text: 'You are Nova.\n\nAnswer briefly.' }] }),
      generationConfig: { temperature: 0.4, maxOutputTokens: 300 },
    });
  });

  it('maps usageMetadata from the last chunk: thinking counts as output, cached input is reported', async () => {
    upstream.script({
      usageMetadata: { promptTokenCount: 2048, candidatesTokenCount: 40, cachedContentTokenCount: 1536, thoughtsTokenCount: 120 },
    });

    const result = await collectChunks(sut.stream(request()));

    expect(result.usage).toEqual({ inputTokens: 2048, outputTokens: 160, cachedInputTokens: 1536, reasoningTokens: 120 });
  });

  it('leaves thought summaries out of the reply text', async () => {
    upstream.script({ thoughts: ['**Considering the weather**'], tokens: ['Sunny', '.'] });

    const result = await collectChunks(sut.stream(request()));

    expect(result.text).toBe('Sunny.');
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['STOP', 'stop'],
  ] as const)('maps finishReason %s to %s', async (finishReason, expected) => {
    upstream.script({ finishReason });

    const result = await collectChunks(sut.stream(request()));

    expect(result.finish).toBe(expected);
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
    expect(upstream.requests).toHaveLength(1);
  });

  it("reads the retry delay from a rate limit's RetryInfo, with Google's message", async () => {
    upstream.failNext(1, 429, {
      body: {
        error: {
          code: 429,
          message: 'You exceeded your current quota.',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }],
        },
      },
    });

    const result = await collectChunks(sut.stream(request()));

    expect(result.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 2000, message: 'You exceeded your current quota.' });
  });

  it('maps a refused connection to a retryable unavailable error', async () => {
    const closed = await FakeGeminiServer.start();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const unreachable = new GeminiProvider(providerConfig({ name: 'gone', kind: 'gemini', baseUrl, apiKey: 'k', models: [{ id: 'gemini-fake', contextWindow: 1000 }] }));

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

  it('closes the upstream connection when the consumer stops reading (the SDK alone would not)', async () => {
    upstream.script({ tokens: Array.from({ length: 50 }, (_, index) => ` t${index}`), tokenDelayMs: 20 });

    for await (const chunk of sut.stream(request())) {
      if (chunk.type === 'delta') break;
    }

    expect(await within(upstream.requests[0]!.ended)).toBe('client_closed');
  });

  describe('images and function calls', () => {
    // A PNG signature and two more bytes: their base64 is written out, not computed like the adapter does.
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00]);
    const sendMedia: ChatTool = {
      name: 'send_media',
      description: 'Sends the user a photo from the persona library.',
      parameters: { type: 'object', properties: { tag: { type: 'string' } }, additionalProperties: false },
    };
    const contentsSent = () => (upstream.requests[0]!.body as { contents: unknown }).contents;

    it("sends a user's images as inlineData parts after the text", async () => {
      const withImages: ChatMessage[] = [
        { role: 'user', content: 'What is this?', images: [{ mediaType: 'image/png', data: png, width: 2, height: 1 }] },
        { role: 'assistant', content: 'A tiny image.' },
        { role: 'user', content: '', images: [{ mediaType: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), width: 1, height: 1 }] },
      ];

      const result = await collectChunks(sut.stream(request({ messages: withImages })));

      expect(result.error).toBeUndefined();
      expect(contentsSent()).toEqual([
        { role: 'user', parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgr/AA==' } }] },
        { role: 'model', parts: [{ text: 'A tiny image.' }] },
        // No empty text part beside an image sent alone.
        { role: 'user', parts: [{ inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } }] },
      ]);
    });

    it('declares the tools with their JSON schema, and streams each functionCall part as a tool call, finishing with tool_calls', async () => {
      upstream.script({
        tokens: ['One', ' moment.'],
        functionCalls: [
          { name: 'send_media', args: { tag: 'beach' }, thoughtSignature: 'c2lnbmVk' },
          { name: 'send_media', args: {}, id: 'fc-7' },
        ],
        usageMetadata: { promptTokenCount: 30, candidatesTokenCount: 18 },
      });

      const result = await collectChunks(sut.stream(request({ tools: [sendMedia] })));

      expect(result.error).toBeUndefined();
      expect(result.chunks).toEqual([
        { type: 'delta', text: 'One' },
        { type: 'delta', text: ' moment.' },
        // Gemini's calls mostly come without an id: a generated one ties the result to its call.
        { type: 'tool_call', call: { id: 'call_1', name: 'send_media', arguments: '{"tag":"beach"}', signature: 'c2lnbmVk' } },
        { type: 'tool_call', call: { id: 'fc-7', name: 'send_media', arguments: '{}' } },
        { type: 'usage', usage: { inputTokens: 30, outputTokens: 18 } },
        { type: 'finish', reason: 'tool_calls' },
      ]);
      expect(upstream.requests[0]!.body).toMatchObject({
        tools: [{ functionDeclarations: [{ name: 'send_media', description: sendMedia.description, parametersJsonSchema: sendMedia.parameters }] }],
      });
    });

    it('sends the continuation of a call: model functionCall parts, then the results as user functionResponse parts named after their calls', async () => {
      const continuation: ChatMessage[] = [
        { role: 'user', content: 'Send me a photo of the beach' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'call_1', name: 'send_media', arguments: '{"tag":"beach"}', signature: 'c2lnbmVk' },
            { id: 'call_2', name: 'share_link', arguments: 'not json' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', content: 'sent media 42' },
        { role: 'tool', toolCallId: 'call_2', content: 'no link' },
        // A later reply whose calls were stored without a signature (or came from another provider).
        { role: 'assistant', content: 'And one more.', toolCalls: [{ id: 'call_1', name: 'send_selfie', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_1', content: 'sent media 43' },
      ];

      await collectChunks(sut.stream(request({ messages: continuation, tools: [sendMedia] })));

      expect(contentsSent()).toEqual([
        { role: 'user', parts: [{ text: 'Send me a photo of the beach' }] },
        {
          role: 'model',
          parts: [
            { functionCall: { id: 'call_1', name: 'send_media', args: { tag: 'beach' } }, thoughtSignature: 'c2lnbmVk' },
            // Arguments that are not a JSON object go as none.
            { functionCall: { id: 'call_2', name: 'share_link', args: {} } },
          ],
        },
        // Consecutive results: one user turn, as Gemini wants the answers to parallel calls.
        {
          role: 'user',
          parts: [
            { functionResponse: { id: 'call_1', name: 'send_media', response: { result: 'sent media 42' } } },
            { functionResponse: { id: 'call_2', name: 'share_link', response: { result: 'no link' } } },
          ],
        },
        {
          role: 'model',
          parts: [
            { text: 'And one more.' },
            { functionCall: { id: 'call_1', name: 'send_selfie', args: {} }, thoughtSignature: 'skip_thought_signature_validator' },
          ],
        },
        // A reused generated id names the latest call.
        { role: 'user', parts: [{ functionResponse: { id: 'call_1', name: 'send_selfie', response: { result: 'sent media 43' } } }] },
      ]);
    });

    it('refuses, without calling the server, a tool result that answers no earlier call', async () => {
      const result = await collectChunks(
        sut.stream(request({ messages: [{ role: 'user', content: 'Hi' }, { role: 'tool', toolCallId: 'call_9', content: 'sent' }] })),
      );

      expect(result.error).toMatchObject({ name: 'ProviderError', code: 'bad_request', retryable: false });
      expect(upstream.requests).toHaveLength(0);
    });

    it('counts a function call as output: a connection broken after it is interrupted, not retryable', async () => {
      upstream.script({ tokens: [], functionCalls: [{ name: 'send_media', args: {} }], destroyAfter: 1 });

      const result = await collectChunks(sut.stream(request({ tools: [sendMedia] })));

      expect(result.chunks).toEqual([{ type: 'tool_call', call: { id: 'call_1', name: 'send_media', arguments: '{}' } }]);
      expect(result.error).toMatchObject({ name: 'ProviderError', code: 'interrupted', retryable: false });
    });
  });

  it('lists the models the server offers, without the models/ prefix', async () => {
    expect(await sut.listModels()).toEqual(['gemini-fake', 'gemini-fake-lite']);
    expect(upstream.requests[0]).toMatchObject({ method: 'GET' });
    expect(upstream.requests[0]!.url).toMatch(/^\/v1(beta)?\/models(\?|$)/);
  });
});
