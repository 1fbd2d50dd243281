import { avatarSpeechOf, type AvatarSpeakCommand } from './avatar-session.js';
import type { ReplyEvent } from './reply-stream.js';

/** A reply's events: its deltas as given, then `reply.completed` with `content` (default: the deltas joined). */
async function* reply(deltas: string[], content = deltas.join('')): AsyncIterable<ReplyEvent> {
  yield { id: 1, type: 'reply.started', data: { messageId: 'r1' } } as ReplyEvent;
  for (const [index, text] of deltas.entries()) yield { id: index + 2, type: 'reply.delta', data: { messageId: 'r1', text } } as ReplyEvent;
  yield { id: deltas.length + 2, type: 'reply.completed', data: { messageId: 'r1', status: 'completed', content } } as unknown as ReplyEvent;
}

async function spoken(events: AsyncIterable<ReplyEvent>): Promise<string[]> {
  const commands: AvatarSpeakCommand[] = [];
  for await (const command of avatarSpeechOf(events)) commands.push(command);
  expect(commands.every((command) => command.event_type === 'avatar.speak_text')).toBe(true);
  expect(new Set(commands.map((command) => command.event_id)).size).toBe(commands.length);
  return commands.map((command) => command.text);
}

describe('avatarSpeechOf', () => {
  it('gives each sentence as soon as it is complete, across deltas, and the rest at the end', async () => {
    expect(await spoken(reply(['Saturn is up', ' tonight. Look south', '-east! Is it clear', ' where you are? Then', ' enjoy']))).toEqual([
      'Saturn is up tonight.',
      'Look south-east!',
      'Is it clear where you are?',
      'Then enjoy',
    ]);
  });

  it("keeps a list's numbers and initials with their sentence, and breaks at line breaks", async () => {
    expect(await spoken(reply(['Steps:\n1. Find Vega. 2. Look left.\nJ. R. R. Tolkien wrote it.']))).toEqual([
      'Steps:',
      '1. Find Vega.',
      '2. Look left.',
      'J. R. R. Tolkien wrote it.',
    ]);
  });

  it('speaks the end of the stored reply that the deltas did not carry, and nothing for an empty reply', async () => {
    expect(await spoken(reply(['Hello there. How'], 'Hello there. How are you?'))).toEqual(['Hello there.', 'How are you?']);
    expect(await spoken(reply([]))).toEqual([]);
  });
});
