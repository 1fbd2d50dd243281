// P: the @portkey-ai/gateway npm package, started as its own CLI does (build/start-server.js),
// with two shims: its server listens on 127.0.0.1 only (the CLI binds every interface and has
// no option for it), and upstream responses get mutable headers (below). Everything else is the
// published gateway.
//
// node bench/lib/portkey-server.mjs --port=N

import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
    args.splice(1, args[1] === undefined ? 1 : 0, '127.0.0.1');
  } else if (typeof args[0] === 'object' && args[0] !== null && !args[0].host && !args[0].path) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};

// The published gateway fails every streaming request on Node 20 with current @hono/node-server
// ("TypeError: immutable", Portkey-AI/gateway#1389): it wraps the upstream fetch Response in a new
// Response and then appends headers, but the lightweight Response of @hono/node-server keeps the
// upstream's immutable Headers. Handing it upstream responses with mutable headers (one copy of
// the headers per upstream call) is the smallest shim that lets it run.
const NativeResponse = globalThis.Response;
const nativeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const answer = await nativeFetch(input, init);
  return new NativeResponse(answer.body, { status: answer.status, statusText: answer.statusText, headers: new globalThis.Headers(answer.headers) });
};

if (!process.argv.includes('--headless')) process.argv.push('--headless');
// The CLI clears the terminal and draws a spinner: harmless, its output goes to a log file.
await import('@portkey-ai/gateway/build/start-server.js');
