// A mock OpenAI chat-completions server for the benchmark: streaming (SSE) and not, with knobs
// for time to first token, tokens per second, number of tokens, tokens per chunk and a failure
// percentage; or, with `sentences`, a reply of whole sentences whose words are all new to each
// reply (the spoken-reply phase: a text-to-speech cache must never have heard it). It reports usage the way OpenAI does and counts what it served, per target tag
// (the `x-bench-target` request header), so a run can check stored usage against it and show
// that the mock is not the bottleneck (its own requests/s, tokens/s and CPU).
//
// Control surface (same port, outside /v1):
//   GET  /_knobs            the current knobs
//   POST /_knobs            merge knobs: {ttftMs, tokensPerSecond (0 = all at once), tokens, chunkTokens, failPercent, seed,
//                           sentences (0 = off; else the reply is that many sentences and `tokens` is ignored),
//                           sentenceWords (words per sentence)}
//   GET  /_stats            counters since the last reset (total and by tag), lifetime counters by tag,
//                           CPU time, event-loop delay
//   POST /_reset            zero the counters (not the lifetime ones)
//
// Run alone: node bench/lib/mock-upstream.mjs [--port N]  (prints {"port":N} on stdout when ready)

import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout, clearTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

export const DEFAULT_KNOBS = Object.freeze({ ttftMs: 10, tokensPerSecond: 1000, tokens: 20, chunkTokens: 1, failPercent: 0, seed: 1, sentences: 0, sentenceWords: 12 });

const WORDS = ['Look', ' up', ' tonight', ':', ' Saturn', ' rides', ' low', ' in', ' the', ' south', ',', ' and', ' the', ' rings', ' are', ' tilted', ' wide', ' open', '.', ' Clear'];

/** The text of token i of a reply: deterministic, so a client can check what it received. */
export function tokenText(index) {
  return WORDS[index % WORDS.length];
}

/** The whole reply text the mock sends for `tokens` tokens. */
export function replyText(tokens) {
  let text = '';
  for (let i = 0; i < tokens; i += 1) text += tokenText(i);
  return text;
}

const SENTENCE_WORDS = [
  'tonight', 'the', 'ringed', 'planet', 'rides', 'low', 'in', 'the', 'southern', 'sky', 'after', 'dusk',
  'so', 'look', 'for', 'a', 'steady', 'golden', 'light', 'above', 'the', 'trees', 'near', 'the',
  'horizon', 'while', 'the', 'bright', 'stars', 'of', 'summer', 'slowly', 'climb', 'toward', 'the', 'east',
];
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'da', 'fe', 'go', 'hu', 'ji', 'pe', 'ba', 'zo'];

/** A made-up word, different for every n below 16^4 (four syllables: the same length each time, so each clip is as long). */
export function uniqueWord(n) {
  let word = '';
  for (let i = 0, rest = n; i < 4; i += 1, rest = Math.floor(rest / 16)) word += SYLLABLES[rest % 16];
  return word;
}

/**
 * The tokens of the n-th sentence reply: `sentences` sentences of `words` words, a word then a
 * comma then the end punctuation as tokens of their own, as a model's tokenizer splits them. Every
 * sentence carries the reply's own made-up word, so no sentence was ever spoken before.
 */
export function sentenceTokens(n, sentences, words) {
  const name = uniqueWord(n);
  const ends = ['.', '!', '.', '?', '.'];
  const tokens = [];
  for (let s = 0; s < sentences; s += 1) {
    for (let w = 0; w < words; w += 1) {
      let word = w === 2 ? name : SENTENCE_WORDS[(s * 7 + w) % SENTENCE_WORDS.length];
      if (w === 0) word = word[0].toUpperCase() + word.slice(1);
      tokens.push(s === 0 && w === 0 ? word : ` ${word}`);
      if (w === Math.floor(words / 2) - 1) tokens.push(',');
    }
    tokens.push(ends[s % ends.length]);
  }
  return tokens;
}

/** Prompt tokens the mock reports: about four characters a token over every message's content, plus 3 per message. */
export function promptTokensOf(messages) {
  let tokens = 0;
  for (const message of Array.isArray(messages) ? messages : []) {
    const content = typeof message?.content === 'string' ? message.content : JSON.stringify(message?.content ?? '');
    tokens += 3 + Math.ceil(content.length / 4);
  }
  return tokens;
}

function emptyCounters() {
  return { requests: 0, streamed: 0, nonStreamed: 0, completed: 0, failed: 0, aborted: 0, promptTokens: 0, completionTokens: 0, bytes: 0 };
}

/** mulberry32: a small seeded generator, so failure injection is reproducible. */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createMockUpstream(initialKnobs = {}) {
  let knobs = { ...DEFAULT_KNOBS, ...initialKnobs };
  let random = seeded(knobs.seed);
  let total = emptyCounters();
  let byTag = new Map();
  // Never reset: what each target was served over the whole run (for the usage check).
  const lifetime = new Map();
  let since = performance.now();
  let cpuSince = process.cpuUsage();
  let ids = 0;
  // Sentence replies made so far: each one's made-up word comes from this count.
  let sentenceReplies = 0;
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const open = new Set();

  const countersFor = (map, tag) => {
    let counters = map.get(tag);
    if (!counters) {
      counters = emptyCounters();
      map.set(tag, counters);
    }
    return counters;
  };
  const count = (tag, field, amount = 1) => {
    total[field] += amount;
    countersFor(byTag, tag)[field] += amount;
    countersFor(lifetime, tag)[field] += amount;
  };

  const json = (res, status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const readBody = (req) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > 4 * 1024 * 1024) {
          reject(new Error('body too large'));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const control = async (req, res, path) => {
    if (path === '/_knobs' && req.method === 'GET') return json(res, 200, knobs);
    if (path === '/_knobs' && req.method === 'POST') {
      const update = JSON.parse((await readBody(req)) || '{}');
      for (const [key, value] of Object.entries(update)) {
        if (!(key in DEFAULT_KNOBS) || typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          return json(res, 400, { error: `bad knob ${key}` });
        }
      }
      knobs = { ...knobs, ...update };
      if ('seed' in update) random = seeded(knobs.seed);
      return json(res, 200, knobs);
    }
    if (path === '/_stats' && req.method === 'GET') {
      const seconds = (performance.now() - since) / 1000;
      const cpu = process.cpuUsage(cpuSince);
      return json(res, 200, {
        seconds,
        total,
        byTag: Object.fromEntries(byTag),
        lifetimeByTag: Object.fromEntries(lifetime),
        open: open.size,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        cpuShare: seconds > 0 ? (cpu.user + cpu.system) / 1e6 / seconds : 0,
        requestsPerSecond: seconds > 0 ? total.requests / seconds : 0,
        tokensPerSecond: seconds > 0 ? total.completionTokens / seconds : 0,
        // The histogram holds whole 10 ms timer intervals: the delay is what is beyond them.
        eventLoopDelayP99Ms: eld.count > 0 ? Math.max(0, eld.percentile(99) / 1e6 - 10) : 0,
        eventLoopDelayMaxMs: eld.count > 0 ? Math.max(0, eld.max / 1e6 - 10) : 0,
        rssBytes: process.memoryUsage.rss(),
      });
    }
    if (path === '/_reset' && req.method === 'POST') {
      total = emptyCounters();
      byTag = new Map();
      since = performance.now();
      cpuSince = process.cpuUsage();
      eld.reset();
      return json(res, 200, { ok: true });
    }
    return json(res, 404, { error: 'not found' });
  };

  const chatCompletion = async (req, res) => {
    const tag = String(req.headers['x-bench-target'] ?? 'untagged');
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return json(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error' } });
    }
    const k = knobs;
    count(tag, 'requests');
    if (k.failPercent > 0 && random() * 100 < k.failPercent) {
      count(tag, 'failed');
      return json(res, 503, { error: { message: 'mock upstream: injected failure', type: 'server_error', code: 'mock_failure' } });
    }
    const id = `chatcmpl-mock-${(ids += 1)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body.model === 'string' ? body.model : 'mock-model';
    const limit = Number(body.max_tokens ?? body.max_completion_tokens ?? Infinity);
    // Sentence mode: the reply's own tokens; otherwise token i is tokenText(i).
    const pieces = k.sentences > 0 ? sentenceTokens(sentenceReplies++, Math.floor(k.sentences), Math.max(1, Math.floor(k.sentenceWords))) : null;
    const wanted = pieces ? pieces.length : k.tokens;
    const tokens = Math.max(1, Math.min(wanted, Number.isFinite(limit) && limit > 0 ? limit : wanted));
    const textOf = (index) => (pieces ? pieces[index] : tokenText(index));
    const usage = { prompt_tokens: promptTokensOf(body.messages), completion_tokens: tokens, total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const interval = k.tokensPerSecond > 0 ? 1000 / k.tokensPerSecond : 0;
    const chunkTokens = Math.max(1, Math.floor(k.chunkTokens));

    if (!body.stream) {
      count(tag, 'nonStreamed');
      const delay = k.ttftMs + interval * (tokens - 1);
      const finish = () => {
        let content = '';
        for (let i = 0; i < tokens; i += 1) content += textOf(i);
        const payload = {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage,
        };
        count(tag, 'completed');
        count(tag, 'promptTokens', usage.prompt_tokens);
        count(tag, 'completionTokens', usage.completion_tokens);
        const text = JSON.stringify(payload);
        count(tag, 'bytes', Buffer.byteLength(text));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (delay <= 0) return finish();
      const timer = setTimeout(finish, delay);
      res.on('close', () => clearTimeout(timer));
      return undefined;
    }

    count(tag, 'streamed');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const chunk = (delta, finishReason = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
    const includeUsage = Boolean(body.stream_options?.include_usage);
    const tail = () =>
      chunk({}, 'stop') +
      (includeUsage ? `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n` : '') +
      'data: [DONE]\n\n';

    let sent = 0;
    let timer;
    let closed = false;
    const state = { res };
    open.add(state);
    const write = (text) => {
      count(tag, 'bytes', Buffer.byteLength(text));
      res.write(text);
    };
    res.on('close', () => {
      closed = true;
      open.delete(state);
      if (timer) clearTimeout(timer);
      if (sent < tokens || !res.writableEnded) count(tag, 'aborted');
    });
    const pieceFrom = (start, end) => {
      let text = '';
      for (let i = start; i < end; i += 1) text += textOf(i);
      return text;
    };
    const finishStream = () => {
      count(tag, 'completed');
      count(tag, 'promptTokens', usage.prompt_tokens);
      count(tag, 'completionTokens', usage.completion_tokens);
      write(tail());
      res.end();
    };
    const started = performance.now();
    const step = () => {
      timer = undefined;
      if (closed) return;
      if (interval === 0) {
        // Everything at once, in one write.
        let text = chunk({ role: 'assistant', content: '' });
        for (let i = 0; i < tokens; i += chunkTokens) text += chunk({ content: pieceFrom(i, Math.min(tokens, i + chunkTokens)) });
        sent = tokens;
        write(text);
        finishStream();
        return;
      }
      const end = Math.min(tokens, sent + chunkTokens);
      const delta = sent === 0 ? { role: 'assistant', content: pieceFrom(sent, end) } : { content: pieceFrom(sent, end) };
      write(chunk(delta));
      sent = end;
      if (sent >= tokens) {
        finishStream();
        return;
      }
      // Scheduled against the start, so timer jitter does not accumulate over a long reply.
      const due = started + k.ttftMs + interval * sent;
      timer = setTimeout(step, Math.max(0, due - performance.now()));
    };
    if (k.ttftMs <= 0) step();
    else timer = setTimeout(step, k.ttftMs);
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const done = (error) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(error?.message ?? error) } });
      else res.destroy();
    };
    try {
      if (path.startsWith('/_')) return void control(req, res, path).catch(done);
      if (req.method === 'POST' && path.endsWith('/chat/completions')) return void chatCompletion(req, res).catch(done);
      if (req.method === 'GET' && path.endsWith('/models')) {
        return json(res, 200, { object: 'list', data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'bench' }] });
      }
      return json(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
    } catch (error) {
      return done(error);
    }
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 0;
  server.maxConnections = 20_000;

  return {
    server,
    /** Listens on 127.0.0.1 and resolves the port. */
    listen(port = 0) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve(server.address().port));
      });
    },
    close() {
      for (const { res } of open) res.destroy();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const portArg = process.argv.indexOf('--port');
  const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
  const mock = createMockUpstream();
  const actual = await mock.listen(port);
  process.stdout.write(`${JSON.stringify({ port: actual })}\n`);
  const stop = () => mock.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
