import type { ChatMessage } from '#chorus/providers';
import { ContextBuilder } from './context-builder.js';

describe('ContextBuilder', () => {
  const sut = new ContextBuilder();
  const total = (messages: ChatMessage[]) => messages.reduce((sum, message) => sum + sut.count(message.content), 0);

  it('fits a 500-message conversation into the window, keeping the newest messages and the system prompt', () => {
    const history: ChatMessage[] = Array.from({ length: 500 }, (_, index) => ({
      role: index % 2 === 0 ? 'user' : 'assistant',
      content: `Message number ${index}: ${'the stars are bright tonight '.repeat(10)}`,
    }));
    const window = 8192;
    const replyBudget = 1024;
    const context = sut.build('You are Nova.', history, window, replyBudget);

    expect(context[0]).toEqual({ role: 'system', content: 'You are Nova.' });
    expect(total(context) + replyBudget).toBeLessThanOrEqual(window);
    expect(context.length).toBeGreaterThan(10);
    expect(context.length).toBeLessThan(501);
    expect(context.at(-1)).toEqual(history.at(-1));
    // Contiguous: what is kept is the most recent stretch of the conversation.
    expect(context.slice(1)).toEqual(history.slice(history.length - (context.length - 1)));
  });

  it('cuts a single message that alone exceeds the window instead of failing', () => {
    const huge: ChatMessage = { role: 'user', content: 'word '.repeat(20_000) };
    const context = sut.build('You are Nova.', [huge], 4096, 512);
    expect(context).toHaveLength(2);
    expect(total(context) + 512).toBeLessThanOrEqual(4096);
  });
});
