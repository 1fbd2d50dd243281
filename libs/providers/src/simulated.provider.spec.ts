import type { ChatChunk, ChatImage, ChatMessage, ChatRequest, ChatTool } from './chat-provider.js';
import { SIMULATED_IMAGE_TOKENS, SimulatedProvider } from './simulated.provider.js';

describe('SimulatedProvider', () => {
  const sut = new SimulatedProvider('simulated', ['simulated-chat'], { firstTokenMs: 0, tokensPerSecond: 100_000 });
  const sendMedia: ChatTool = { name: 'send_media', description: 'Sends a photo.', parameters: { type: 'object' } };
  const image = (mediaType: string, bytes: number, width: number, height: number): ChatImage => ({ mediaType, data: Buffer.alloc(bytes), width, height });

  async function reply(messages: ChatMessage[], overrides: Partial<ChatRequest> = {}): Promise<{ chunks: ChatChunk[]; text: string }> {
    const chunks: ChatChunk[] = [];
    for await (const chunk of sut.stream({ model: 'simulated-chat', messages, signal: new AbortController().signal, ...overrides })) chunks.push(chunk);
    return { chunks, text: chunks.map((chunk) => (chunk.type === 'delta' ? chunk.text : '')).join('') };
  }

  it('names the persona and quotes the last user message, counting words as tokens', async () => {
    const { chunks, text } = await reply([
      { role: 'system', content: 'You are Nova, a guide.' },
      { role: 'user', content: 'Hi there' },
    ]);

    expect(text).toBe(
      'This is a simulated reply from Nova (no AI provider is configured). You said: "Hi there". Configure OPENAI_API_KEY, GEMINI_API_KEY or PROVIDERS for real replies.',
    );
    expect(chunks.slice(-2)).toEqual([
      { type: 'usage', usage: { inputTokens: 7, outputTokens: text.split(' ').length } },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it("describes the images of the user's last message first, and counts a fixed number of input tokens for each", async () => {
    const { chunks, text } = await reply([
      { role: 'user', content: 'Look', images: [image('image/png', 12_595, 640, 480)] },
      { role: 'assistant', content: 'Nice' },
      { role: 'user', content: 'And these', images: [image('image/jpeg', 2048, 100, 50), image('image/webp', 512, 30, 30)] },
    ]);

    expect(text).toMatch(/^I can see your 2 images \(image\/jpeg, 100×50, 2\.0 KB; image\/webp, 30×30, 0\.5 KB\)\. This is a simulated reply from your persona .* You said: "And these"\./);
    expect(chunks).toContainEqual({ type: 'usage', usage: { inputTokens: 4 + 3 * SIMULATED_IMAGE_TOKENS, outputTokens: expect.any(Number) } });
  });

  it('describes a single image with its type, size in pixels and kilobytes', async () => {
    const { text } = await reply([{ role: 'user', content: 'What is it?', images: [image('image/png', 12_595, 640, 480)] }]);

    expect(text.startsWith('I can see your image (image/png, 640×480, 12.3 KB). This is a simulated reply')).toBe(true);
  });

  it.each([
    ['Send me a photo of your dog', '{"tag":"dog"}'],
    ['can I see a PIC of the beach?', '{"tag":"beach"}'],
    ['Show me your outfit picture', '{"tag":"outfit"}'],
    ['Take a selfie!', '{}'],
    ['I want an image of you', '{}'],
    ['A photo of you at the lake', '{}'],
  ])('offered send_media, answers "%s" with a short text, then a call to it with %s, and finishes with tool_calls', async (ask, args) => {
    const { chunks, text } = await reply([{ role: 'user', content: ask }], { tools: [sendMedia] });

    expect(text).toBe('Sure, sending you one now.');
    expect(chunks.slice(-3)).toEqual([
      { type: 'tool_call', call: { id: 'call_simulated_1', name: 'send_media', arguments: args } },
      // Five words, and the call as two: its name and its arguments.
      { type: 'usage', usage: { inputTokens: ask.split(' ').length, outputTokens: 5 + 2 } },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('calls no tool when none is offered, or the message asks for no photo', async () => {
    const unoffered = await reply([{ role: 'user', content: 'Send me a photo' }]);
    const unasked = await reply([{ role: 'user', content: 'How are you?' }], { tools: [sendMedia] });

    for (const { chunks, text } of [unoffered, unasked]) {
      expect(text).toContain('This is a simulated reply');
      expect(chunks.map((chunk) => chunk.type)).not.toContain('tool_call');
      expect(chunks.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
    }
  });

  it('makes no call when its reply budget cuts the text short', async () => {
    const { chunks } = await reply([{ role: 'user', content: 'a selfie please' }], { tools: [sendMedia], maxOutputTokens: 2 });

    expect(chunks.map((chunk) => chunk.type)).toEqual(['delta', 'delta', 'usage', 'finish']);
    expect(chunks.at(-1)).toEqual({ type: 'finish', reason: 'length' });
  });

  it("confirms with the tool's result once it comes back", async () => {
    const { chunks, text } = await reply(
      [
        { role: 'user', content: 'Send me a selfie' },
        { role: 'assistant', content: 'Sure, sending you one now.', toolCalls: [{ id: 'call_simulated_1', name: 'send_media', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_simulated_1', content: 'Sent photo med_42 (beach)' },
      ],
      { tools: [sendMedia] },
    );

    expect(text).toBe('Done, I sent it to you. The tool said: "Sent photo med_42 (beach)".');
    expect(chunks.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });
});
