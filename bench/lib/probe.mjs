// Preloaded into each target process (node --import <this file> ...): the one way to see a
// process's event-loop delay and to take a CPU profile of a phase without changing its code.
// It opens a tiny control server on 127.0.0.1 (an unref'd socket: it keeps nothing alive and
// costs nothing while idle) and writes {"port","pid"} to BENCH_PROBE_FILE.
//
//   GET  /eld            event-loop delay since the last reset (ms beyond the 10 ms timer): p50, p99, max, mean
//   POST /eld/reset
//   POST /profile/start  starts the V8 CPU profiler
//   POST /profile/stop   stops it; body {"path"}: where the .cpuprofile is written

import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  // The histogram holds whole timer intervals (resolution included): the delay is what is beyond it.
  const RESOLUTION_MS = 10;
  const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  eld.enable();
  let session;

  const readBody = (req) =>
    new Promise((resolve) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => resolve(text));
    });
  const send = (res, status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/eld') {
        const ms = (ns) => (eld.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
        return send(res, 200, {
          samples: eld.count,
          p50Ms: ms(eld.percentile(50)),
          p99Ms: ms(eld.percentile(99)),
          maxMs: ms(eld.max),
          meanMs: ms(eld.mean),
          rssBytes: process.memoryUsage.rss(),
          heapUsedBytes: process.memoryUsage().heapUsed,
        });
      }
      if (req.method === 'POST' && req.url === '/eld/reset') {
        eld.reset();
        return send(res, 200, { ok: true });
      }
      if (req.method === 'POST' && req.url === '/profile/start') {
        session ??= new Session();
        try {
          session.connect();
        } catch {
          // already connected
        }
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.start');
        return send(res, 200, { ok: true });
      }
      if (req.method === 'POST' && req.url === '/profile/stop') {
        const { path } = JSON.parse(await readBody(req));
        if (!session) return send(res, 409, { error: 'not profiling' });
        const { profile } = await session.post('Profiler.stop');
        await session.post('Profiler.disable');
        writeFileSync(path, JSON.stringify(profile));
        return send(res, 200, { ok: true, path });
      }
      return send(res, 404, { error: 'not found' });
    } catch (error) {
      return send(res, 500, { error: String(error?.message ?? error) });
    }
  });
  server.listen(0, '127.0.0.1', () => {
    server.unref();
    writeFileSync(file, JSON.stringify({ port: server.address().port, pid: process.pid }));
  });
}
