// The issue's targets, judged from a run's results, and the Markdown summary.

const MIB = 1024 * 1024;

function fmt(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(digits);
}

/** "median [q1–q3]" of a per-round summary. */
function cell(stat, digits = 2, unit = '') {
  if (!stat || stat.median === null || stat.median === undefined) return '–';
  const spread = stat.n > 1 ? ` [${fmt(stat.q1, digits)}–${fmt(stat.q3, digits)}]` : '';
  return `${fmt(stat.median, digits)}${unit}${spread}`;
}

function mib(bytes) {
  return bytes === null || bytes === undefined ? '–' : `${(bytes / MIB).toFixed(0)}`;
}

function check(id, what, scope, measured, goal, direction, unit) {
  if (measured === null || measured === undefined || !Number.isFinite(measured)) {
    return { id, what, scope, measured: null, goal, unit, pass: null, miss: 'not measured' };
  }
  const pass = direction === 'max' ? measured <= goal : measured >= goal;
  let miss = '';
  if (!pass) {
    const digits = unit === '×' ? 3 : 2;
    if (direction === 'max') miss = `over by ${fmt(measured - goal, digits)}${unit}${goal > 0 ? ` (${fmt(measured / goal, 1)}× the goal)` : ''}`;
    else miss = `short by ${fmt(goal - measured, digits)}${unit}${goal > 0 ? ` (${fmt((measured / goal) * 100, 1)}% of the goal)` : ''}`;
  }
  return { id, what, scope, measured, goal, unit, pass, miss };
}

/** Each target of the issue, for SUT-pg (judged) and SUT-embedded (shown for information). */
export function evaluateTargets(results) {
  const checks = [];
  for (const [name, scope] of [
    ['SUT-pg', 'target'],
    ['SUT-embedded', 'info'],
  ]) {
    if (!results.targets[name]?.available) continue;
    const comparison = results.comparisons[name] ?? {};
    checks.push(check('ttft-p50', `${name}: added time to first token vs B1, p50 (c=1)`, scope, comparison.addedTtftP50?.median, 2, 'max', ' ms'));
    checks.push(check('ttft-p99', `${name}: added time to first token vs B1, p99 (c=1)`, scope, comparison.addedTtftP99?.median, 5, 'max', ' ms'));
    checks.push(check('gap-p99', `${name}: added inter-token gap vs B1, p99`, scope, comparison.addedGapP99?.median, 0.5, 'max', ' ms'));
    checks.push(check('rps-b1', `${name}: non-streaming msgs/s, many users, at p99 ≤ ${results.settings.p99BoundMs} ms, ratio to B1`, scope, comparison.rpsRatioToB1?.median, 0.15, 'min', '×'));
    checks.push(check('rps-p', `${name}: non-streaming msgs/s, many users, ratio to P (goal: beat P)`, scope, comparison.rpsRatioToP?.median, 1, 'min', '×'));
    const held = (results.streams[name] ?? []).filter((result) => result.streams >= 1000);
    const streams = held.length ? held[0] : null;
    const heldOk = streams ? streams.completed === streams.streams && streams.stalled === 0 && streams.peakStreaming >= 1000 : null;
    checks.push({
      id: 'streams',
      what: `${name}: ≥ 1,000 concurrent streams at 20 tokens/s without stalls`,
      scope,
      measured: streams ? Math.min(streams.peakStreaming, streams.streams - streams.stalled) : null,
      goal: 1000,
      unit: ' streams',
      pass: heldOk,
      miss: streams === null ? 'not measured' : heldOk ? '' : `at most ${streams.peakStreaming} streamed at once (${streams.peakConcurrent} requests open; first tokens took up to ${fmt(streams.ttftP99 / 1000, 1)} s); ${streams.stalled} of ${streams.streams} stalled or failed; worst gap ${fmt(streams.maxGap, 0)} ms`,
    });
    const rss = results.targets[name]?.idleRss?.warm;
    checks.push(check('idle-rss', `${name}: idle RSS (after warm-up)`, scope, rss ? rss / MIB : null, 150, 'max', ' MiB'));
  }
  if (results.db) {
    checks.push(check('db-round-trips', 'SUT-pg: database round trips per streamed message', 'target', results.db.stream?.roundTripsPerMessage, 4, 'max', ''));
  }
  return checks;
}

/** Non-streaming messages/s of the full path, many users against one user, at each p99 bound, with ratios to B1 and P of the same round. */
function manyUsersSection(results) {
  const bounds = results.settings.p99BoundsMs ?? [results.settings.p99BoundMs];
  const aggregate = results.aggregate;
  const suts = Object.keys(aggregate).filter((name) => name.startsWith('SUT'));
  if (suts.length === 0) return [];
  const settings = results.settings;
  const lines = [
    '## Non-streaming messages/s: many users and one user',
    '',
    `Full path, instant mock. **Many users**: ${settings.users} accounts with ${Math.max(settings.conversations, Math.max(0, ...settings.streams) + 50)} conversations dealt round-robin, sends rotating over them, so concurrent sends do not share a user (concurrency levels ${settings.rpsLevels.join(', ')}). ` +
      `**One user**: one account with ${settings.oneUserConversations} conversations (levels ${settings.oneUserLevels.join(', ')}), whose concurrent sends serialise on his quota counters; it must stay correct, not fast. ` +
      'Ratios are taken within each round against B1 and P at the same bound, then the median over rounds.',
    '',
    `| line | ${bounds.map((bound) => `msgs/s at p99 ≤ ${bound} ms | ÷ B1 | ÷ P`).join(' | ')} | best at any latency | failed requests |`,
    `|---|${bounds.map(() => '---|---|---|').join('')}---|---|`,
  ];
  for (const name of ['B1', 'P']) {
    const a = aggregate[name];
    if (!a) continue;
    lines.push(`| ${name} | ${bounds.map((bound) => `${cell(a.rpsAtBounds?.[bound], 0)} | – | –`).join(' | ')} | ${cell(a.rpsMax, 0)} | ${a.errors} |`);
  }
  for (const name of suts) {
    const a = aggregate[name];
    const c = results.comparisons[name] ?? {};
    lines.push(
      `| ${name}, many users | ${bounds.map((bound) => `${cell(a.rpsAtBounds?.[bound], 0)} | ${cell(c.rpsRatios?.[bound]?.toB1, 3)} | ${cell(c.rpsRatios?.[bound]?.toP, 3)}`).join(' | ')} | ${cell(a.rpsMax, 0)} | ${a.errors} |`,
    );
  }
  for (const name of suts) {
    const one = aggregate[name].oneUser;
    if (!one) continue;
    const c = results.comparisons[name] ?? {};
    lines.push(
      `| ${name}, one user | ${bounds.map((bound) => `${cell(one.rpsAtBounds?.[bound], 0)} | ${cell(c.oneUserRpsRatios?.[bound]?.toB1, 3)} | ${cell(c.oneUserRpsRatios?.[bound]?.toP, 3)}`).join(' | ')} | ${cell(one.rpsMax, 0)} | ${one.errors} |`,
    );
  }
  lines.push('');
  return lines;
}

/** Time to first audio of a spoken reply: sentence-streamed against spoken after the reply, per SUT. */
function audioSection(results) {
  const audio = results.audio;
  if (!audio) return [];
  const knobs = audio.knobs;
  const title = '## Time to first audio (spoken replies)';
  if (audio.skipped) return [title, '', `Time to first audio was ${audio.skipped}.`, ''];
  const names = Object.keys(audio.byTarget ?? {});
  if (names.length === 0) return [title, '', 'Time to first audio was not measured (no round ran it).', ''];
  const speech = audio.speech?.[names[0]];
  const lines = [
    title,
    '',
    `From sending a message to having the first audio of its reply, two ways, side by side in each round (${audio.pairsPerRound} send(s) of each a round, alternating, one at a time). ` +
      `Mock: ${knobs.sentences} sentences of ${knobs.sentenceWords} words at ${knobs.tokensPerSecond} tokens/s (first token after ${knobs.ttftMs} ms), each sentence carrying a word new to its reply, so no speech is ever served from the cache; ` +
      `speech by ${speech?.provider ?? 'the default provider'}${speech?.kind && speech.kind !== speech.provider ? ` (${speech.kind})` : ''} on the SUT's core. ` +
      '**Sentence-streamed**: sent with `speak: true`; the first `reply.audio` event, then its clip downloaded from its URL (that is the time to first audio). ' +
      '**After the reply**: sent without speak; `reply.completed`, then `GET …/messages/{replyId}/audio` read to its last byte (the whole reply synthesised, then sent). ' +
      'p50 and p90 are over all rounds\' sends; the ratio is after the reply ÷ sentence-streamed (how many times longer a listener waits without streaming), with the per-round p50 ratio as median [IQR].',
    '',
    `| measure | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---|').join('')}`,
  ];
  const row = (label, pick) => lines.push(`| ${label} | ${names.map((name) => pick(audio.byTarget[name])).join(' | ')} |`);
  const pair = (stat) => (stat && stat.n > 0 ? `${fmt(stat.p50, 0)} / ${fmt(stat.p90, 0)}` : '–');
  row('sentence-streamed: first `reply.audio` event, p50 / p90 (ms)', (a) => pair(a.streamedFirstEvent));
  row('**sentence-streamed: time to first audio** (first clip downloaded), p50 / p90 (ms)', (a) => pair(a.streamedFirstAudio));
  row('after the reply: `reply.completed`, p50 / p90 (ms)', (a) => pair(a.afterCompleted));
  row('**after the reply: time to first audio** (whole reply\'s audio downloaded), p50 / p90 (ms)', (a) => pair(a.afterFirstAudio));
  row('**ratio after the reply ÷ sentence-streamed**, p50 / p90', (a) => `${fmt(a.ratioP50, 2)}× / ${fmt(a.ratioP90, 2)}×`);
  row('ratio of p50s per round, median [IQR]', (a) => cell(a.ratioP50PerRound, 2, '×'));
  row('first clip / whole reply audio (KiB); clips per reply', (a) => `${fmt((a.firstClipBytes ?? NaN) / 1024, 0)} / ${fmt((a.wholeReplyBytes ?? NaN) / 1024, 0)}; ${fmt(a.clipsPerReply, 0)}`);
  row('sends ok / sent (all rounds); seconds a round', (a) => `${a.ok} / ${a.sends}; ${cell(a.secondsPerRound, 1)}`);
  lines.push('');
  const errors = names.filter((name) => audio.byTarget[name].firstErrors?.length).map((name) => `${name}: ${audio.byTarget[name].firstErrors[0]}`);
  if (errors.length) lines.push(...errors.map((text) => `- ${text.slice(0, 300)}`), '');
  return lines;
}

export function writeMarkdown(results) {
  const lines = [];
  const push = (...text) => lines.push(...text);
  const names = Object.keys(results.aggregate);
  const m = results.machine;

  push(`# Chorus benchmark: ${results.profile} profile, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC`, '');
  push(
    `${m.cpuModel}, ${m.cpus} CPUs, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; load average at start ${m.loadAverage.join(' / ')}. ` +
      (results.pinning.pinned ? `Pinned with taskset: targets on ${results.pinning.targets}; ${results.pinning.load}; PostgreSQL ${results.pinning.postgres}.` : `Not pinned: ${results.pinning.why}.`),
    '',
  );
  const build = results.build;
  push(
    `${results.rounds.length} interleaved round(s) in ${results.durationSeconds} s. Build: ${
      build === null ? 'not needed' : build.skipped ? 'skipped (existing dist/)' : build.ok ? `fresh (${(build.ms / 1000).toFixed(0)} s)` : 'FAILED, ran the existing dist/'
    }. Figures are the median over rounds with the interquartile range in brackets; the machine is shared, so read differences within a round, not absolutes.`,
    '',
  );

  const previous = results.previous;
  push(
    '## Targets',
    '',
    previous ? `"previous" is the same profile's report this one replaces (${previous.title}).` : 'No earlier report of this profile to compare with.',
    '',
    '| target | previous | measured | goal | result |',
    '|---|---|---|---|---|',
  );
  for (const item of results.checks) {
    const result = item.pass === null ? 'not measured' : item.pass ? 'pass' : `**fail**: ${item.miss}`;
    const label = item.scope === 'info' ? `${item.what} (info)` : item.what;
    const goal = item.id === 'rps-b1' || item.id === 'rps-p' || item.id === 'streams' ? `≥ ${item.goal}${item.unit}` : `≤ ${item.goal}${item.unit}`;
    const digits = item.unit === '×' ? 3 : item.id === 'streams' ? 0 : 2;
    push(`| ${label} | ${previous?.measured.get(label) ?? '–'} | ${item.measured === null ? '–' : `${fmt(item.measured, digits)}${item.unit}`} | ${goal} | ${result} |`);
  }
  push('');

  if (names.length > 0) {
    push('## Measures by target', '', `| measure | ${names.join(' | ')} |`, `|---|${names.map(() => '---|').join('')}`);
    const row = (label, pick) => push(`| ${label} | ${names.map((name) => pick(results.aggregate[name], name)).join(' | ')} |`);
    row('time to first token p50 (ms, c=1)', (a) => cell(a.ttftP50));
    row('time to first token p99 (ms, c=1)', (a) => cell(a.ttftP99));
    row('time to first byte p50 (ms)', (a) => cell(a.ttfbP50));
    row('inter-token gap p99 (ms)', (a) => cell(a.gapP99));
    row(`non-streaming req/s at p99 ≤ ${results.settings.p99BoundMs} ms`, (a) => cell(a.rpsAtBound, 0));
    row('non-streaming req/s, best level at any latency', (a) => cell(a.rpsMax, 0));
    row('event-loop delay p99, streaming (ms)', (a) => cell(a.eldP99Streaming));
    row('event-loop delay p99, req/s phase (ms)', (a) => cell(a.eldP99Throughput));
    row('RSS MiB: start / warm idle / idle after load', (_, name) => {
      const rss = results.targets[name]?.idleRss;
      return rss ? `${mib(rss.afterStart)} / ${mib(rss.warm)} / ${mib(rss.afterLoad)}` : '–';
    });
    row('failed requests (all rounds)', (a) => String(a.errors));
    push('', 'B0 is the client straight to the mock; its event loop is not probed (it is the mock).');
    if (names.includes('P')) {
      push(
        "P's stream handler (in @portkey-ai/gateway) waits 25 ms before it forwards the first chunk, so a fast stream reaches the client bunched: its time to first token carries those 25 ms and its gap figures are not comparable.",
      );
    }
    push('');

    const compared = Object.keys(results.comparisons);
    if (compared.length > 0) {
      push('## Added over B1 (paired within each round)', '', `| measure | ${compared.join(' | ')} |`, `|---|${compared.map(() => '---|').join('')}`);
      const crow = (label, key, digits = 2) => push(`| ${label} | ${compared.map((name) => cell(results.comparisons[name][key], digits)).join(' | ')} |`);
      crow('added time to first token p50 (ms)', 'addedTtftP50');
      crow('added time to first token p99 (ms)', 'addedTtftP99');
      crow('added time to first byte p50 (ms)', 'addedTtfbP50');
      crow('added inter-token gap p99 (ms)', 'addedGapP99');
      crow('non-streaming req/s ÷ B1', 'rpsRatioToB1', 3);
      crow('non-streaming req/s ÷ P', 'rpsRatioToP', 3);
      push('');
    }
  }

  const manyUsers = manyUsersSection(results);
  if (manyUsers.length) push(...manyUsers);

  const streamRows = Object.entries(results.streams).flatMap(([name, list]) => list.map((result) => ({ name, ...result })));
  if (streamRows.length > 0) {
    push(
      `## Concurrent streams held (${results.settings.knobs.held.tokensPerSecond} tokens/s, ${results.settings.knobs.held.tokens} tokens each)`,
      '',
      `| target | streams | peak open requests | peak streaming at once | completed | stalled (gap > ${results.settings.stallMs} ms) or failed | TTFT p50 / p99 (ms) | worst gap (ms) | RSS before → peak (MiB) | KiB per open stream | event-loop delay p99 (ms) |`,
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const row of streamRows) {
      push(
        `| ${row.name} | ${row.streams} | ${row.peakConcurrent} | ${row.peakStreaming} | ${row.completed} | ${row.stalled} | ${fmt(row.ttftP50, 0)} / ${fmt(row.ttftP99, 0)} | ${fmt(row.maxGap, 0)} | ${mib(row.rssBeforeBytes)} → ${mib(row.rssPeakBytes)} | ${fmt(row.rssPerStreamKiB, 1)} | ${fmt(row.eld?.p99Ms)} |`,
      );
    }
    const firstErrors = streamRows.filter((row) => row.firstErrors?.length).map((row) => `${row.name}: ${row.firstErrors[0]}`);
    if (firstErrors.length) push('', ...firstErrors.map((text) => `- ${text.slice(0, 300)}`));
    push('');
  }

  const audio = audioSection(results);
  if (audio.length) push(...audio);

  if (results.db) {
    const db = results.db;
    push(
      '## Database round trips per message (SUT-pg)',
      '',
      `Counted by a TCP proxy in front of PostgreSQL that reads the frontend protocol: a simple Query or an extended-protocol Sync is one round trip; a Query or an Execute is one statement. A separate SUT-pg instance connects through it; ${db.stream.sends} sends of each kind, one at a time. Idle: ${db.idle.roundTrips} round trip(s) in ${db.idle.ms} ms.`,
      '',
      '| send | round trips / message | statements / message |',
      '|---|---|---|',
      `| streamed (SSE) | ${fmt(db.stream.roundTripsPerMessage)} | ${fmt(db.stream.statementsPerMessage)} |`,
      `| JSON (no stream) | ${fmt(db.json.roundTripsPerMessage)} | ${fmt(db.json.statementsPerMessage)} |`,
      '',
      'Statements of a streamed send:',
      '',
      '| per message | statement |',
      '|---|---|',
      ...db.stream.statements.map((item) => `| ${fmt(item.perMessage)} | \`${item.text.replace(/\|/g, '\\|').slice(0, 140)}\` |`),
      '',
    );
  }

  const gateNames = Object.keys(results.gates);
  if (gateNames.length > 0) {
    const mark = (gate, detail) => (gate === undefined ? '–' : gate.pass ? `pass${detail ? ` (${detail})` : ''}` : `**fail**${detail ? ` (${detail})` : ''}`);
    push(
      '## Correctness gates',
      '',
      '| target | first token before the mock finished | persisted = completed | stored usage = mock usage | injected upstream failures stored as failed |',
      '|---|---|---|---|---|',
    );
    for (const name of gateNames) {
      const gate = results.gates[name];
      const buffering = gate.noBuffering ? `worst ${fmt(gate.noBuffering.worstTtftMs, 0)} ms < ${gate.noBuffering.mockLastTokenAtMs} ms` : '';
      const persisted = gate.persisted
        ? `${gate.persisted.stored.user} user msgs / ${gate.persisted.client.accepted} accepted; ${gate.persisted.stored.replies.completed ?? 0} completed replies / ${gate.persisted.client.completed} seen; ${gate.persisted.stored.replies.streaming ?? 0} left streaming`
        : '';
      const usage = gate.usage ? `in ${gate.usage.stored.inputTokens}/${gate.usage.mock.promptTokens}, out ${gate.usage.stored.outputTokens}/${gate.usage.mock.completionTokens}` : '';
      const failures = gate.failures ? `${gate.failures.failed} failed, ${gate.failures.completed} completed, ${gate.failures.other} other of ${gate.failures.sends}` : '';
      const over = (persistedGate) => (persistedGate?.users ? `${persistedGate.users} user(s), ${persistedGate.conversationsUsed} conversations: ` : '');
      push(`| ${name} | ${mark(gate.noBuffering, buffering)} | ${mark(gate.persisted, over(gate.persisted) + persisted)} | ${mark(gate.usage, usage)} | ${mark(gate.failures, failures)} |`);
      if (gate.persistedOneUser) {
        const one = gate.persistedOneUser;
        const text = `${one.stored.user} user msgs / ${one.client.accepted} accepted; ${one.stored.replies.completed ?? 0} completed replies / ${one.client.completed} seen; ${one.stored.replies.streaming ?? 0} left streaming`;
        push(`| ${name} (one user) | – | ${mark(one, `1 user, ${one.conversationsUsed} conversations: ${text}`)} | (in the line above) | – |`);
      }
    }
    push('');
  }

  if (results.mockCapacity) {
    const cap = results.mockCapacity;
    push(
      '## Mock upstream',
      '',
      `Straight to the mock (B0), non-streaming: ${fmt(cap.b0RpsMedian, 0)} req/s (median) against at most ${fmt(cap.highestOtherRps, 0)} req/s through any target; the mock's CPU share during the other targets' req/s phases peaked at ${fmt((cap.mockCpuShareMaxDuringOthers ?? NaN) * 100, 0)}% of a core. ` +
        (cap.b0RpsMedian && cap.highestOtherRps && cap.b0RpsMedian > 1.2 * cap.highestOtherRps ? 'The mock was not the bottleneck.' : 'The mock may have limited the fastest target: compare with care.'),
      '',
    );
  }

  if (results.cpuProfile?.summary) {
    const summary = results.cpuProfile.summary;
    push(
      '## Where the time goes (SUT-pg CPU profile)',
      '',
      `Sampled during 100 sequential streamed sends and 3 s of non-streaming load at 16 connections (${summary.busyMs} ms of CPU, not counting ${summary.profilerMs} ms of the profiler's own). Native frames are charged to their JavaScript caller. Profile: \`bench/${results.cpuProfile.file}\` (open it in Chrome DevTools).`,
      '',
      '| area | share of CPU |',
      '|---|---|',
      ...summary.areas.map((area) => `| ${area.name} | ${fmt(area.share * 100, 1)}% |`),
      '',
      '| function (self time) | share |',
      '|---|---|',
      ...summary.functions.slice(0, 10).map((fn) => `| \`${fn.name.slice(0, 110)}\` | ${fmt(fn.share * 100, 1)}% |`),
      '',
    );
  }

  const unavailable = Object.entries(results.targets).filter(([, value]) => !value.available);
  if (results.notes.length || unavailable.length || results.harnessProblems?.length) {
    push('## Notes', '');
    for (const [name, value] of unavailable) push(`- ${name} did not run: ${value.reason}`);
    for (const note of results.notes) push(`- ${note}`);
    for (const problem of results.harnessProblems ?? []) push(`- Harness problem: ${problem.split('\n')[0]}`);
    push('');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The measured column of an earlier report's Targets table, by target label, and the report's
 * title, so that a new report shows the previous figures beside its own. Undefined when there is
 * no earlier report.
 */
export function readPreviousTargets(markdown) {
  if (!markdown) return undefined;
  const title = markdown.split('\n', 1)[0].replace(/^#\s*/, '');
  const measured = new Map();
  const section = markdown.split('## Targets')[1]?.split('\n## ')[0] ?? '';
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    // Earlier reports had no "previous" column: | target | measured | goal | result |.
    if (cells.length < 4 || cells[0] === 'target' || cells[0].startsWith('---')) continue;
    measured.set(cells[0], cells.length === 4 ? cells[1] : cells[2]);
  }
  return { title, measured };
}
