// The measurements: time to first token and gaps at concurrency 1, non-streaming requests/s
// at a p99 latency bound, concurrent streams held, event-loop delay and RSS, the correctness
// gates, database round trips per message, a CPU profile of the SUT, and the time to first audio of
// a spoken reply (sentence by sentence while it streams, against the whole reply after it ends).

import { performance } from 'node:perf_hooks';
import { setInterval, clearInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { download, jsonRequest, streamRequest } from './client.mjs';
import { percentile, mean, round } from './stats.mjs';
import { rssOf } from './proc.mjs';

export const PROMPT = 'What can I see in the sky tonight?';

// ---------------------------------------------------------------- mock and probe control

export async function setKnobs(ctx, knobs) {
  const response = await jsonRequest(ctx.controlAgent, 'POST', `${ctx.mockUrl}/_knobs`, { body: knobs });
  if (response.status !== 200) throw new Error(`mock knobs: HTTP ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function mockStats(ctx, { reset = false } = {}) {
  const stats = (await jsonRequest(ctx.controlAgent, 'GET', `${ctx.mockUrl}/_stats`)).body;
  if (reset) await jsonRequest(ctx.controlAgent, 'POST', `${ctx.mockUrl}/_reset`);
  return stats;
}

async function probeCall(ctx, target, method, path, body) {
  if (!target.probePort) return null;
  try {
    const response = await jsonRequest(ctx.controlAgent, method, `http://127.0.0.1:${target.probePort}${path}`, {
      body,
      timeoutMs: 30_000,
    });
    return response.status === 200 ? response.body : null;
  } catch {
    return null;
  }
}

export const resetEld = (ctx, target) => probeCall(ctx, target, 'POST', '/eld/reset');
export const readEld = (ctx, target) => probeCall(ctx, target, 'GET', '/eld');

/** Records the mock's own load during a phase, so a report can show it was not the bottleneck. */
function mockLoad(stats) {
  if (!stats) return null;
  return {
    seconds: round(stats.seconds, 2),
    requestsPerSecond: round(stats.requestsPerSecond, 1),
    tokensPerSecond: round(stats.tokensPerSecond, 0),
    cpuShare: round(stats.cpuShare, 3),
    eventLoopDelayP99Ms: round(stats.eventLoopDelayP99Ms, 2),
  };
}

// ---------------------------------------------------------------- streaming at concurrency 1

/** Sequential streams: time to first byte/token, gaps between tokens. */
export async function ttftPhase(ctx, target, { requests, deadline }) {
  await resetEld(ctx, target);
  await mockStats(ctx, { reset: true });
  const samples = [];
  for (let i = 0; i < requests && Date.now() < deadline; i += 1) {
    const request = target.streamRequest(PROMPT);
    const sample = await streamRequest(target.agent, { ...request, dialect: target.dialect, timeoutMs: 30_000 });
    target.account?.stream(sample);
    samples.push(sample);
  }
  const eld = await readEld(ctx, target);
  const mock = mockLoad(await mockStats(ctx));
  return summarizeStreams(samples, { eld, mock, tokensExpected: ctx.knobs.tokens });
}

function summarizeStreams(samples, { eld, mock, tokensExpected }) {
  const ok = samples.filter((sample) => sample.ok);
  const ttft = ok.map((sample) => sample.ttftMs);
  const ttfb = ok.map((sample) => sample.ttfbMs);
  const gaps = ok.flatMap((sample) => sample.gaps);
  const errors = samples.filter((sample) => !sample.ok).map((sample) => sample.error);
  const wrongText = tokensExpected ? ok.filter((sample) => sample.tokens !== tokensExpected).length : 0;
  return {
    requests: samples.length,
    ok: ok.length,
    errors: errors.length,
    firstErrors: [...new Set(errors)].slice(0, 3),
    wrongTokenCount: wrongText,
    ttftP50: percentile(ttft, 50),
    ttftP99: percentile(ttft, 99),
    ttftMean: mean(ttft),
    ttfbP50: percentile(ttfb, 50),
    ttfbP99: percentile(ttfb, 99),
    gapP50: percentile(gaps, 50),
    gapP99: percentile(gaps, 99),
    gapMax: gaps.length ? Math.max(...gaps) : null,
    eld,
    mock,
    raw: { ttft, gaps },
  };
}

// ---------------------------------------------------------------- non-streaming requests/s

/**
 * autocannon at each concurrency level; the best requests/s whose p99 stays within the bound
 * (`rpsAtBound`), and within each of `bounds` (`atBound[ms]`: requests/s and its level).
 */
export async function throughputPhase(ctx, target, { levels, seconds, boundMs, bounds = [boundMs], deadline }) {
  await resetEld(ctx, target);
  await mockStats(ctx, { reset: true });
  const results = [];
  for (const connections of levels) {
    if (Date.now() + seconds * 1000 > deadline) break;
    const sample = target.jsonRequest(PROMPT);
    const url = new URL(sample.url);
    let calls = 0;
    const began = performance.now();
    const result = await autocannon({
      url: url.origin,
      connections,
      duration: seconds,
      timeout: 10,
      pipelining: 1,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            calls += 1;
            const next = target.jsonRequest(PROMPT);
            const path = new URL(next.url);
            return {
              ...request,
              method: 'POST',
              path: path.pathname,
              headers: { 'content-type': 'application/json', accept: 'application/json', ...next.headers },
              body: JSON.stringify(next.body),
            };
          },
        },
      ],
    });
    const elapsed = (performance.now() - began) / 1000;
    const ok = result['2xx'];
    target.account?.json(calls, ok);
    results.push({
      connections,
      seconds: elapsed,
      rps: ok / elapsed,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
    });
  }
  const eld = await readEld(ctx, target);
  const mock = mockLoad(await mockStats(ctx));
  const bestWithin = (bound) =>
    results
      .filter((result) => result.p99Ms <= bound && result.non2xx === 0 && result.errors === 0)
      .reduce((top, result) => (top === null || result.rps > top.rps ? result : top), null);
  const best = bestWithin(boundMs);
  const atBound = Object.fromEntries(
    [...new Set([boundMs, ...bounds])].map((bound) => {
      const top = bestWithin(bound);
      return [String(bound), { rps: top ? top.rps : 0, level: top?.connections ?? null }];
    }),
  );
  const fastest = results.reduce((top, result) => Math.max(top, result.rps), 0);
  return { levels: results, boundMs, rpsAtBound: best ? best.rps : 0, bestLevel: best?.connections ?? null, atBound, rpsMax: fastest, eld, mock };
}

// ---------------------------------------------------------------- concurrent streams held

/**
 * Opens `streams` streams over `rampMs` against a mock at `tokensPerSecond`, and holds them to
 * the end. A stall is a gap between two tokens longer than `stallMs`, or a stream that fails.
 */
export async function streamsPhase(ctx, target, { streams, rampMs, stallMs, timeoutMs, deadline }) {
  await resetEld(ctx, target);
  await mockStats(ctx, { reset: true });
  const rssBefore = target.pid ? rssOf(target.pid) : null;
  let rssPeak = rssBefore ?? 0;
  let active = 0;
  let peakActive = 0;
  const sampler = setInterval(() => {
    const rss = target.pid ? rssOf(target.pid) : null;
    if (rss !== null && rss > rssPeak) rssPeak = rss;
  }, 100);
  const started = Date.now();
  const samples = [];
  try {
    await Promise.all(
      Array.from({ length: streams }, async (_, index) => {
        await sleep(Math.floor((index * rampMs) / streams));
        if (Date.now() > deadline) return;
        const request = target.streamRequest(PROMPT);
        active += 1;
        if (active > peakActive) peakActive = active;
        const sample = await streamRequest(target.agent, { ...request, dialect: target.dialect, timeoutMs, keepGaps: false });
        active -= 1;
        target.account?.stream(sample);
        samples.push(sample);
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  const eld = await readEld(ctx, target);
  const mock = mockLoad(await mockStats(ctx));
  const ok = samples.filter((sample) => sample.ok);
  const stalled = samples.filter((sample) => !sample.ok || sample.maxGapMs > stallMs);
  const ttft = ok.map((sample) => sample.ttftMs);
  const maxGaps = ok.map((sample) => sample.maxGapMs);
  const peakStreaming = peakOverlap(ok.map((sample) => [sample.startedAt + sample.ttftMs, sample.startedAt + sample.totalMs]));
  const growth = rssBefore !== null ? rssPeak - rssBefore : null;
  return {
    streams,
    started: samples.length,
    completed: ok.length,
    stalled: stalled.length,
    failed: samples.length - ok.length,
    firstErrors: [...new Set(samples.filter((sample) => !sample.ok).map((sample) => sample.error))].slice(0, 3),
    // Open requests at the busiest moment, and streams receiving tokens at the same moment
    // (between their first token and their end): the second is what "held" means.
    peakConcurrent: peakActive,
    peakStreaming,
    stallMs,
    ttftP50: percentile(ttft, 50),
    ttftP99: percentile(ttft, 99),
    maxGapP50: percentile(maxGaps, 50),
    maxGapP99: percentile(maxGaps, 99),
    maxGap: maxGaps.length ? Math.max(...maxGaps) : null,
    seconds: (Date.now() - started) / 1000,
    rssBeforeBytes: rssBefore,
    rssPeakBytes: rssBefore !== null ? rssPeak : null,
    rssPerStreamKiB: growth !== null && peakActive > 0 ? growth / peakActive / 1024 : null,
    eld,
    mock,
  };
}

/** The largest number of [start, end] intervals that overlap at one moment. */
function peakOverlap(intervals) {
  const events = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of events) {
    open += delta;
    if (open > peak) peak = open;
  }
  return peak;
}

// ---------------------------------------------------------------- correctness: no buffering

/** With a slow mock, the first token must reach the client before the mock sends its last one. */
export async function bufferingGate(ctx, target, { requests = 3, deadline }) {
  // A buffering path delivers its first token only after the mock's last one (520 ms in).
  const knobs = { ttftMs: 20, tokensPerSecond: 10, tokens: 6, chunkTokens: 1, failPercent: 0 };
  await setKnobs(ctx, knobs);
  const lastTokenAtMs = knobs.ttftMs + ((knobs.tokens - 1) * 1000) / knobs.tokensPerSecond;
  const samples = [];
  for (let i = 0; i < requests && Date.now() < deadline; i += 1) {
    const sample = await streamRequest(target.agent, { ...target.streamRequest(PROMPT), dialect: target.dialect, timeoutMs: 30_000 });
    target.account?.stream(sample);
    samples.push(sample);
  }
  const worst = Math.max(...samples.map((sample) => (sample.ok ? sample.ttftMs : Infinity)));
  return {
    pass: samples.length > 0 && samples.every((sample) => sample.ok && sample.ttftMs < lastTokenAtMs),
    worstTtftMs: Number.isFinite(worst) ? worst : null,
    mockLastTokenAtMs: lastTokenAtMs,
    errors: samples.filter((sample) => !sample.ok).map((sample) => sample.error).slice(0, 3),
  };
}

// ---------------------------------------------------------------- correctness: injected failures

/** Upstream failures (before the first token): every send is answered and its reply stored as failed. */
export async function failureGate(ctx, target, { sends = 20, failPercent = 30, deadline }) {
  await setKnobs(ctx, { ttftMs: 0, tokensPerSecond: 0, tokens: 5, failPercent, seed: 7 });
  const outcomes = { completed: 0, failed: 0, other: 0 };
  try {
    for (let i = 0; i < sends && Date.now() < deadline; i += 1) {
      const request = target.jsonRequest(PROMPT);
      const response = await jsonRequest(target.agent, 'POST', request.url, { body: request.body, headers: request.headers, timeoutMs: 30_000 });
      const status = response.status === 200 ? response.body?.reply?.status : undefined;
      if (status === 'completed' || status === 'failed') outcomes[status] += 1;
      else outcomes.other += 1;
      target.account?.jsonOutcome(response.status === 200, status);
    }
  } finally {
    await setKnobs(ctx, { failPercent: 0 });
  }
  return { sends, failPercent, ...outcomes, pass: outcomes.other === 0 && outcomes.failed > 0 };
}

// ---------------------------------------------------------------- time to first audio

/** What the spoken-reply sends ask (the mock's sentence mode answers whatever is asked). */
export const SPEECH_PROMPT = 'What should I look for in the sky tonight? Tell me in a few sentences.';

/**
 * Time to first audio of a spoken reply, two ways, one send of each per pair, alternating which
 * goes first, one at a time (the mock must be in sentence mode: `knobs`):
 * - `streamed`: sent with `speak: true`; from the send to the first `reply.audio` event, and to the
 *   end of the download of that event's clip (its URL): the time to first audio.
 * - `after`: sent without speak; from the send to `reply.completed`, and to the end of
 *   GET .../messages/{replyId}/audio (the whole reply synthesised, then downloaded): the time to
 *   first audio when the reply is spoken once it has ended.
 * Every send is read to its end, so no synthesis of one spills into the next.
 */
export async function audioPhase(ctx, target, { pairs, knobs, deadline, timeoutMs = 60_000 }) {
  await setKnobs(ctx, knobs);
  const streamed = [];
  const after = [];
  const began = performance.now();
  try {
    for (let i = 0; i < pairs && Date.now() < deadline; i += 1) {
      const order = i % 2 === 0 ? ['streamed', 'after'] : ['after', 'streamed'];
      for (const kind of order) {
        if (kind === 'streamed') streamed.push(await speakStreamed(target, timeoutMs));
        else after.push(await speakAfter(target, timeoutMs));
      }
    }
  } finally {
    await setKnobs(ctx, { sentences: 0 });
  }
  return summarizeAudio(streamed, after, (performance.now() - began) / 1000);
}

/** A send with `speak: true`: the first `reply.audio` event, and its clip downloaded while the reply goes on. */
async function speakStreamed(target, timeoutMs) {
  const request = target.streamRequest(SPEECH_PROMPT, { speak: true });
  const result = { ok: false, firstEventMs: null, firstAudioMs: null, replyMs: null, clips: 0, clipBytes: null, clipText: null, error: null };
  let firstEventAt = null;
  let clip = null;
  let failed = null;
  const sample = await streamRequest(target.agent, {
    ...request,
    dialect: 'chorus',
    timeoutMs,
    onEvent: (event, data, now) => {
      if (event === 'reply.audio') {
        result.clips += 1;
        if (clip) return;
        let audio;
        try {
          audio = JSON.parse(data);
        } catch {
          failed = `reply.audio: not JSON: ${data.slice(0, 100)}`;
          return;
        }
        firstEventAt = now;
        result.clipText = audio.text;
        // Relative to the server for the local store (signed, no auth); absolute for a bucket.
        const url = new URL(audio.url, target.sut.baseUrl).href;
        clip = download(target.agent, url, { timeoutMs }).then((got) => ({ ...got, doneAt: performance.now(), expected: audio.bytes }));
      } else if (event === 'reply.audio.failed') failed = `reply.audio.failed: ${data.slice(0, 300)}`;
    },
  });
  target.account?.stream(sample);
  if (firstEventAt !== null) result.firstEventMs = firstEventAt - sample.startedAt;
  result.replyMs = sample.totalMs;
  const got = clip ? await clip : null;
  if (got) {
    result.clipBytes = got.bytes;
    if (got.error) failed ??= `first clip: ${got.error}`;
    else if (got.bytes !== got.expected) failed ??= `first clip: ${got.bytes} bytes downloaded, the event said ${got.expected}`;
    else result.firstAudioMs = got.doneAt - sample.startedAt;
  }
  result.error = !sample.ok ? sample.error : (failed ?? (clip ? null : 'no reply.audio event'));
  result.ok = result.error === null && result.firstAudioMs !== null;
  return result;
}

/** A send without speak: `reply.completed`, then GET .../audio, read to its last byte. */
async function speakAfter(target, timeoutMs) {
  const request = target.streamRequest(SPEECH_PROMPT);
  const result = { ok: false, completedMs: null, audioGetMs: null, firstAudioMs: null, bytes: null, error: null };
  let audio = null;
  let replyId = null;
  const sample = await streamRequest(target.agent, {
    ...request,
    dialect: 'chorus',
    timeoutMs,
    onEvent: (event, data, now) => {
      if (event === 'message') {
        try {
          replyId = JSON.parse(data).replyId ?? null;
        } catch {
          // the sample says why
        }
      } else if (event === 'reply.completed' && replyId && !audio) {
        // What a client does once the reply has ended: ask for it spoken.
        const completedAt = now;
        audio = download(target.agent, `${request.url}/${replyId}/audio`, { headers: request.headers, timeoutMs }).then((got) => ({ ...got, completedAt, doneAt: performance.now() }));
      }
    },
  });
  target.account?.stream(sample);
  const got = audio ? await audio : null;
  if (got) {
    result.completedMs = got.completedAt - sample.startedAt;
    result.audioGetMs = got.doneAt - got.completedAt;
    result.bytes = got.bytes;
    if (!got.error) result.firstAudioMs = got.doneAt - sample.startedAt;
  }
  // A replay from the cache would cost nothing: the mock's text is new to every reply, so it must not be one.
  const cached = got?.headers?.['x-speech-cached'] === 'true';
  result.error = !sample.ok ? sample.error : sample.final?.status !== 'completed' ? `reply ${sample.final?.status}` : !got ? 'no reply.completed' : got.error ? `GET audio: ${got.error}` : cached ? 'GET audio came from the speech cache' : null;
  result.ok = result.error === null && result.firstAudioMs !== null;
  return result;
}

function summarizeAudio(streamed, after, seconds) {
  const pick = (list, key) => list.filter((sample) => sample.ok).map((sample) => sample[key]);
  const p = (values) => ({ p50: percentile(values, 50), p90: percentile(values, 90) });
  const firstAudioStreamed = pick(streamed, 'firstAudioMs');
  const firstAudioAfter = pick(after, 'firstAudioMs');
  const streamedP = p(firstAudioStreamed);
  const afterP = p(firstAudioAfter);
  const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);
  const errors = [...streamed, ...after].filter((sample) => !sample.ok).map((sample) => sample.error);
  const ms = (values) => values.map((value) => round(value, 1));
  return {
    seconds: round(seconds, 1),
    sends: streamed.length + after.length,
    ok: streamed.filter((sample) => sample.ok).length + after.filter((sample) => sample.ok).length,
    errors: errors.length,
    firstErrors: [...new Set(errors)].slice(0, 3),
    streamed: {
      sends: streamed.length,
      ok: streamed.filter((sample) => sample.ok).length,
      firstEvent: p(pick(streamed, 'firstEventMs')),
      firstAudio: streamedP,
      reply: p(pick(streamed, 'replyMs')),
      clipsPerReply: percentile(pick(streamed, 'clips'), 50),
      firstClipBytes: percentile(pick(streamed, 'clipBytes'), 50),
      firstClipText: streamed.find((sample) => sample.ok)?.clipText ?? null,
    },
    after: {
      sends: after.length,
      ok: after.filter((sample) => sample.ok).length,
      completed: p(pick(after, 'completedMs')),
      audioGet: p(pick(after, 'audioGetMs')),
      firstAudio: afterP,
      bytes: percentile(pick(after, 'bytes'), 50),
    },
    // After the reply over sentence-streamed: how many times longer the listener waits.
    ratioP50: ratio(afterP.p50, streamedP.p50),
    ratioP90: ratio(afterP.p90, streamedP.p90),
    raw: {
      streamedFirstEvent: ms(pick(streamed, 'firstEventMs')),
      streamedFirstAudio: ms(firstAudioStreamed),
      afterCompleted: ms(pick(after, 'completedMs')),
      afterFirstAudio: ms(firstAudioAfter),
    },
  };
}

// ---------------------------------------------------------------- CPU profile summary

/** Self time by function and by area (a Chorus lib, a package, Node, V8) from a .cpuprofile. */
export function summarizeProfile(profile, { top = 12 } = {}) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  // Native frames (no script) are charged to the nearest JavaScript caller, so "where" stays readable.
  const callerOf = (node) => {
    let current = node;
    for (let depth = 0; current && !current.callFrame.url && depth < 200; depth += 1) current = parent.get(current.id);
    return current && current.callFrame.url ? current : null;
  };
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i];
    const delta = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  const functions = new Map();
  const areas = new Map();
  let busy = 0;
  let excluded = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    const frame = functionName === '(garbage collector)' ? node : node.callFrame.url ? node : (callerOf(node) ?? node);
    // The profiler's own work (the probe's inspector session) is not the target's.
    if (frame.callFrame.url === 'node:inspector' || frame.callFrame.url.includes('/bench/lib/probe.mjs')) {
      excluded += micros;
      continue;
    }
    busy += micros;
    const { url, lineNumber } = frame.callFrame;
    const name = frame === node ? functionName : `${functionName || '(native)'} ← ${frame.callFrame.functionName || '(anonymous)'}`;
    const area = areaOf(url, frame.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + micros);
    const key = `${name || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + micros);
  }
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: round(micros / 1000, 1), share: round(busy > 0 ? micros / busy : 0, 3) }));
  return { busyMs: round(busy / 1000, 1), profilerMs: round(excluded / 1000, 1), areas: rank(areas), functions: rank(functions) };
}

function areaOf(url, functionName) {
  if (!url) return functionName === '(garbage collector)' ? 'V8 garbage collector' : 'V8/native';
  if (url.startsWith('node:')) return 'Node.js core';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const lib = url.match(/\/dist\/libs\/([^/]+)\//);
  if (lib) return `chorus:${lib[1]}`;
  if (url.includes('/dist/apps/')) return 'chorus:api';
  if (url.includes('/bench/')) return 'bench probe';
  return 'other';
}

function shortUrl(url) {
  if (!url) return '';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}
