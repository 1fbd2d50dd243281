import { randomUUID } from 'node:crypto';
import { ProblemException } from '#chorus/core';
import { messageIdOfItem, outputItemId, parseResponseRequest } from './response-request.js';

/** The refusal a body gets: its message and the parameter it names. */
function refusal(body: Record<string, unknown>): { detail: string; param: string | undefined } {
  try {
    parseResponseRequest(body);
  } catch (error) {
    if (!(error instanceof ProblemException)) throw error;
    expect(error.problem.code).toBe('invalid_request');
    return { detail: error.detail, param: error.extras.errors?.[0]?.field };
  }
  throw new Error('The body was accepted');
}

describe('parseResponseRequest', () => {
  it('takes a string input as the user\'s new message, stored by default', () => {
    expect(parseResponseRequest({ model: 'persona/nova', input: 'Hi' })).toEqual({
      model: 'persona/nova',
      turn: 'Hi',
      uploads: [],
      history: [],
      referencedReplies: [],
      turnsAfterLastReference: 0,
      instructions: undefined,
      maxOutputTokens: undefined,
      temperature: undefined,
      metadata: {},
      store: undefined,
      previousResponseId: undefined,
      stream: false,
    });
  });

  it('splits items into instructions, history and the new message (the run of user items at the end)', () => {
    const replyId = randomUUID();
    const upload = randomUUID();
    const parsed = parseResponseRequest({
      model: 'persona/nova',
      instructions: 'Be kind.',
      input: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Hello' }] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Hi' }] },
        { type: 'item_reference', id: outputItemId(replyId) },
        { role: 'developer', content: 'No emoji.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', file_id: upload }] },
        { role: 'user', content: 'at this' },
      ],
    });
    expect(parsed.instructions).toBe('Be kind.\n\nBe brief.\n\nNo emoji.');
    expect(parsed.history).toEqual([{ role: 'user', content: 'Hello' }, { role: 'assistant', content: 'Hi' }]);
    expect(parsed.referencedReplies).toEqual([replyId]);
    expect(parsed.turnsAfterLastReference).toBe(0);
    expect(parsed.turn).toBe('Look\n\nat this');
    expect(parsed.uploads).toEqual([upload]);
  });

  it('counts the turns given after the last item reference', () => {
    const parsed = parseResponseRequest({
      model: 'persona/nova',
      input: [
        { type: 'item_reference', id: outputItemId(randomUUID()) },
        { role: 'user', content: 'injected' },
        { role: 'assistant', content: 'injected too' },
        { role: 'user', content: 'new' },
      ],
    });
    expect(parsed.turnsAfterLastReference).toBe(2);
    expect(parsed.turn).toBe('new');
  });

  it('round-trips output item ids and message ids, and names nothing else', () => {
    const id = randomUUID();
    expect(outputItemId(id)).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(messageIdOfItem(outputItemId(id))).toBe(id);
    for (const other of ['msg_', 'msg_xyz', `resp_${'0'.repeat(32)}`, `msg_${'0'.repeat(33)}`, `msg_${'A'.repeat(32)}`]) expect(messageIdOfItem(other)).toBeUndefined();
  });

  it.each([
    [{ tools: [{ type: 'web_search' }] }, 'tools'],
    [{ background: true }, 'background'],
    [{ reasoning: { effort: 'low' } }, 'reasoning'],
    [{ text: { format: { type: 'json_object' } } }, 'text'],
    [{ include: ['reasoning.encrypted_content'] }, 'include'],
    [{ top_p: 0.5 }, 'top_p'],
    [{ tool_choice: 'required' }, 'tool_choice'],
    [{ conversation: 'conv_1' }, 'conversation'],
    [{ tools: { type: 'web_search' } }, 'tools'],
    [{ background: 'yes' }, 'background'],
    [{ text: 'json' }, 'text'],
    [{ top_logprobs: '5' }, 'top_logprobs'],
  ])('refuses %j, which Chorus cannot honour', (extra, param) => {
    expect(refusal({ model: 'persona/nova', input: 'Hi', ...extra }).param).toBe(param);
  });

  it('accepts the defaults of those parameters, as SDKs send them, and asks nothing more of them', () => {
    const withDefaults = { tools: [], tool_choice: 'auto', top_p: 1, text: { format: { type: 'text' } }, reasoning: null, include: [], background: false, user: 'u1', service_tier: 'auto' };
    expect(parseResponseRequest({ model: 'persona/nova', input: 'Hi', ...withDefaults })).toEqual(parseResponseRequest({ model: 'persona/nova', input: 'Hi' }));
  });

  it.each([
    [{ input: 'Hi' }, 'model'],
    [{ model: 'persona/nova' }, 'input'],
    [{ model: 'persona/nova', input: '' }, 'input'],
    [{ model: 'persona/nova', input: [] }, 'input'],
    [{ model: 'persona/nova', input: Array.from({ length: 501 }, () => ({ role: 'user', content: 'x' })) }, 'input'],
    [{ model: 'persona/nova', input: [{ role: 'assistant', content: 'I spoke last' }] }, 'input'],
    [{ model: 'persona/nova', input: [{ role: 'system', content: 'Only instructions' }] }, 'input'],
    [{ model: 'persona/nova', input: [{ role: 'tool', content: 'x' }] }, 'input[0].role'],
    [{ model: 'persona/nova', input: [{ type: 'function_call_output', call_id: 'c', output: 'x' }] }, 'input[0].type'],
    [{ model: 'persona/nova', input: [{ type: 'item_reference', id: 'msg_nope' }, { role: 'user', content: 'x' }] }, 'input[0].id'],
    [{ model: 'persona/nova', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png' }] }] }, 'input[0].content[0]'],
    [{ model: 'persona/nova', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] }, 'input[0].content[0]'],
    [{ model: 'persona/nova', input: [{ role: 'user', content: 42 }] }, 'input[0].content'],
    [{ model: 'persona/nova', input: ['Hi'] }, 'input[0]'],
    [{ model: 'persona/nova', input: 'Hi', temperature: 3 }, 'temperature'],
    [{ model: 'persona/nova', input: 'Hi', max_output_tokens: 0 }, 'max_output_tokens'],
    [{ model: 'persona/nova', input: 'Hi', max_output_tokens: 1.5 }, 'max_output_tokens'],
    [{ model: 'persona/nova', input: 'Hi', max_output_tokens: 99_999_999_999 }, 'max_output_tokens'],
    [{ model: 'persona/nova', input: 'Hi', max_output_tokens: 1e300 }, 'max_output_tokens'],
    [{ model: 'persona/nova', input: 'Hi', metadata: { k: 'half \ud800 a pair' } }, 'metadata'],
    [{ model: 'persona/nova', input: 'Hi', instructions: '\udc00' }, 'instructions'],
    [{ model: 'persona/nova', input: '\ud800' }, 'input'],
    [{ model: 'persona/nova', input: [{ role: 'user', content: [{ type: 'input_text', text: '\ud800' }] }] }, 'input[0].content[0]'],
    [{ model: 'persona/nova', input: 'Hi', store: 'yes' }, 'store'],
    [{ model: 'persona/nova', input: 'Hi', stream: 1 }, 'stream'],
    [{ model: 'persona/nova', input: 'Hi', previous_response_id: 7 }, 'previous_response_id'],
    [{ model: 'persona/nova', input: 'Hi', instructions: ['a'] }, 'instructions'],
    [{ model: 'persona/nova', input: [{ role: 'system', content: 'x'.repeat(15_000) }, { role: 'user', content: 'Hi' }], instructions: 'y'.repeat(5_000) }, 'instructions'],
    [{ model: 'persona/nova', input: 'Hi', metadata: ['a'] }, 'metadata'],
    [{ model: 'persona/nova', input: 'Hi', metadata: { n: 1 } }, 'metadata'],
    [{ model: 'persona/nova', input: 'Hi', metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata'],
    [{ model: 'persona/nova', input: 'Hi', metadata: { k: 'v'.repeat(513) } }, 'metadata'],
    [{ model: 'persona/nova', input: 'Hi', metadata: Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v'])) }, 'metadata'],
  ].map(([body, param], index) => ({ body, param, index })))('refuses a bad $param (case $index), naming it', ({ body, param }) => {
    expect(refusal(body as Record<string, unknown>).param).toBe(param);
  });

  it('keeps metadata within OpenAI\'s rules', () => {
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`k${index}`.padEnd(64, 'k'), 'v'.repeat(512)]));
    expect(parseResponseRequest({ model: 'persona/nova', input: 'Hi', metadata }).metadata).toEqual(metadata);
  });
});
