import { speakable } from './spoken-reply.js';

describe('speakable', () => {
  it.each([
    ['**Saturn** is _up_ tonight.', 'Saturn is up tonight.'],
    ['## Where to look\n> low in the *south*', 'Where to look low in the south'],
    ['Set `OPENAI_API_KEY` first.', 'Set OPENAI_API_KEY first.'],
    ['See [the chart](https://example.com/chart) now.', 'See the chart now.'],
    ['  spaced\n\n  out  ', 'spaced out'],
  ])('reads %j as %j', (markup, spoken) => {
    expect(speakable(markup)).toBe(spoken);
  });
});
