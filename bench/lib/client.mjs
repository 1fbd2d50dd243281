// The load side: an SSE client on undici that records, per request, the time to first byte,
// to first token, every gap between tokens, and completion; plus small JSON helpers.
// Two dialects: `openai` (chat.completion.chunk events, `data: [DONE]`) and `chorus`
// (message, reply.started, reply.delta..., reply.completed | error).

import { performance } from 'node:perf_hooks';
import { TextDecoder } from 'node:util';
import { Agent } from 'undici';

/** One agent per target: keep-alive, enough connections for the widest phase, bounded waits. */
export function createAgent({ connections = 2048, timeoutMs = 60_000 } = {}) {
  return new Agent({
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: 10_000,
  });
}

function splitUrl(url) {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: parsed.pathname + parsed.search };
}

/**
 * Sends one streaming request and reads it to the end (or `timeoutMs`).
 * Returns a sample: { ok, status, error, ttfbMs, ttftMs, totalMs, gaps[], tokens, text, completed, usage, replyId, final }.
 * `onEvent(event, data, now)`, when given, sees every event as it arrives (`now`: performance.now()).
 */
export async function streamRequest(agent, { url, headers = {}, body, dialect, timeoutMs = 60_000, keepGaps = true, onEvent }) {
  const { origin, path } = splitUrl(url);
  const sample = { ok: false, status: 0, error: null, ttfbMs: null, ttftMs: null, totalMs: null, gaps: [], maxGapMs: 0, tokens: 0, text: '', completed: false, usage: null, replyId: null, final: null, startedAt: 0 };
  const signal = globalThis.AbortSignal.timeout(timeoutMs);
  const start = performance.now();
  sample.startedAt = start;
  let lastToken = null;
  try {
    const response = await agent.request({
      origin,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    });
    sample.status = response.statusCode;
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      sample.error = `HTTP ${response.statusCode}: ${text.slice(0, 300)}`;
      sample.totalMs = performance.now() - start;
      return sample;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      const now = performance.now();
      sample.ttfbMs ??= now - start;
      buffer += decoder.decode(chunk, { stream: true });
      let boundary;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(5).replace(/^ /, '');
        }
        if (!data) continue;
        onEvent?.(event, data, now);
        const text = tokenOf(dialect, event, data, sample);
        if (text) {
          sample.tokens += 1;
          sample.text += text;
          if (lastToken === null) sample.ttftMs = now - start;
          else {
            const gap = now - lastToken;
            if (keepGaps) sample.gaps.push(gap);
            if (gap > sample.maxGapMs) sample.maxGapMs = gap;
          }
          lastToken = now;
        }
      }
    }
    sample.totalMs = performance.now() - start;
    sample.ok = sample.completed;
    if (!sample.completed && !sample.error) sample.error = 'stream ended without its final event';
  } catch (error) {
    sample.totalMs = performance.now() - start;
    sample.error = signal.aborted ? `timed out after ${timeoutMs} ms` : String(error?.message ?? error);
  }
  return sample;
}

/** The text a token event carries, noting completion, usage and errors on the sample. */
function tokenOf(dialect, event, data, sample) {
  if (dialect === 'openai') {
    if (data === '[DONE]') {
      sample.completed = true;
      return '';
    }
    let chunk;
    try {
      chunk = JSON.parse(data);
    } catch {
      return '';
    }
    if (chunk.usage) sample.usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
    if (chunk.error) sample.error = JSON.stringify(chunk.error).slice(0, 300);
    return chunk.choices?.[0]?.delta?.content ?? '';
  }
  // chorus
  if (event === 'reply.delta') {
    try {
      return JSON.parse(data).text ?? '';
    } catch {
      return '';
    }
  }
  if (event === 'message') {
    try {
      sample.replyId = JSON.parse(data).replyId ?? null;
    } catch {
      // ignore
    }
  } else if (event === 'reply.completed') {
    try {
      const final = JSON.parse(data);
      sample.final = { status: final.status, content: final.content, usage: final.usage, finishReason: final.finishReason };
      sample.usage = final.usage ?? null;
    } catch {
      // ignore
    }
    sample.completed = true;
  } else if (event === 'error') {
    sample.error = `error event: ${data.slice(0, 300)}`;
  }
  return '';
}

/** A JSON request; resolves { status, body, ms } and never throws for HTTP errors. */
export async function jsonRequest(agent, method, url, { body, headers = {}, timeoutMs = 60_000 } = {}) {
  const { origin, path } = splitUrl(url);
  const start = performance.now();
  const response = await agent.request({
    origin,
    path,
    method,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: globalThis.AbortSignal.timeout(timeoutMs),
  });
  const text = await response.body.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: response.statusCode, body: parsed, ms: performance.now() - start };
}

/**
 * A GET whose body is read whole (audio): resolves { status, bytes, contentType, headers, ttfbMs, ms, error }
 * (`ms`: until the last byte); never throws.
 */
export async function download(agent, url, { headers = {}, timeoutMs = 60_000 } = {}) {
  const { origin, path } = splitUrl(url);
  const start = performance.now();
  const result = { status: 0, bytes: 0, contentType: null, headers: {}, ttfbMs: null, ms: null, error: null };
  try {
    const response = await agent.request({ origin, path, method: 'GET', headers, signal: globalThis.AbortSignal.timeout(timeoutMs) });
    result.status = response.statusCode;
    result.ttfbMs = performance.now() - start;
    result.headers = response.headers;
    result.contentType = response.headers['content-type'] ?? null;
    if (response.statusCode !== 200) {
      result.error = `HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`;
    } else {
      for await (const chunk of response.body) result.bytes += chunk.length;
    }
  } catch (error) {
    result.error = String(error?.message ?? error);
  }
  result.ms = performance.now() - start;
  return result;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; bounded by `deadline` (ms since epoch). */
export async function pool(count, concurrency, task, { deadline = Infinity } = {}) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const index = next;
      next += 1;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return results;
}
