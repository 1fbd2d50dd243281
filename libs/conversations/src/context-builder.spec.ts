import type { ChatMessage } from '#chorus/providers';
import { ContextBuilder } from './context-builder.js';

describe('ContextBuilder', () => {
  const sut = new ContextBuilder();
  /** Tokens the context really costs: the o200k count of each message and its framing. */
  const total = (messages: ChatMessage[]) => messages.reduce((sum, message) => sum + sut.countText(message.content) + 4, 0);

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

  it('estimates high for prose, code, other scripts and random strings', () => {
    for (const text of [
      'The quick brown fox jumps over the lazy dog, and then it rests.',
      'function add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2));',
      '今天天气很好，我们一起去公园散步吧。Привет, как дела?',
      'aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRlc3Qgb2YgYmFzZTY0IGVuY29kaW5n',
      '\n'.repeat(60) + 'x' + ' '.repeat(60) + 'y\n\n\n\t\tz',
    ]) {
      expect(sut.estimate(text)).toBeGreaterThanOrEqual(sut.countText(text));
    }
  });

  it('counts special-token markers as text, and long runs at no more than their bytes, without blocking for long', () => {
    expect(sut.countText('<|endoftext|> and <|endofprompt|>')).toBeGreaterThan(2);
    const newlines = '\n'.repeat(20_000);
    const started = performance.now();
    expect(sut.countText(`before${newlines}after`)).toBeLessThanOrEqual(Buffer.byteLength(`before${newlines}after`));
    // Byte-pair merging such a run would take tens of seconds; counting it by bytes, milliseconds.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('cuts a single message that alone exceeds the window instead of failing', () => {
    const huge: ChatMessage = { role: 'user', content: 'word '.repeat(20_000) };
    const context = sut.build('You are Nova.', [huge], 4096, 512);
    expect(context).toHaveLength(2);
    expect(total(context) + 512).toBeLessThanOrEqual(4096);
  });
});
