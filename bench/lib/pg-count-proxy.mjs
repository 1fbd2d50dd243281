// A TCP proxy in front of PostgreSQL that counts the frontend protocol messages going through
// it: Query ('Q', a simple-protocol statement: one round trip), Parse ('P'), Execute ('E',
// one extended-protocol statement) and Sync ('S', where an extended-protocol client waits:
// one round trip). Bytes are forwarded untouched; only a copy is parsed.
//   statements  = Q + E
//   round trips = Q + S
// It also keeps the statement texts (from Q and P) with their counts, to show which queries a
// message costs.

import net from 'node:net';

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export function createPgCountProxy({ targetHost = '127.0.0.1', targetPort = 5432 } = {}) {
  let counts = { Q: 0, P: 0, B: 0, E: 0, S: 0, connections: 0 };
  let statements = new Map();
  const sockets = new Set();

  const record = (text) => {
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 160);
    statements.set(key, (statements.get(key) ?? 0) + 1);
  };

  /** Parses the client's byte stream (a copy) message by message. */
  const parser = () => {
    let buffer = Buffer.alloc(0);
    let startup = true;
    return (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        if (startup) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          buffer = buffer.subarray(length);
          if (code !== SSL_REQUEST && code !== GSS_REQUEST && code !== CANCEL_REQUEST) startup = false;
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const payload = buffer.subarray(5, 1 + length);
        if (type in counts) counts[type] += 1;
        if (type === 'Q') record(payload.toString('utf8', 0, Math.max(0, payload.length - 1)));
        else if (type === 'P') {
          const nameEnd = payload.indexOf(0);
          const queryEnd = payload.indexOf(0, nameEnd + 1);
          record(payload.toString('utf8', nameEnd + 1, queryEnd));
        }
        buffer = buffer.subarray(1 + length);
      }
    };
  };

  const server = net.createServer((client) => {
    counts.connections += 1;
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const parse = parser();
    client.on('data', (chunk) => {
      try {
        parse(chunk);
      } catch {
        // counting must never break the connection
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });

  return {
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server.address().port));
      });
    },
    reset() {
      counts = { Q: 0, P: 0, B: 0, E: 0, S: 0, connections: counts.connections };
      statements = new Map();
    },
    snapshot() {
      return {
        ...counts,
        statements: counts.Q + counts.E,
        roundTrips: counts.Q + counts.S,
        texts: [...statements.entries()].sort((a, b) => b[1] - a[1]).map(([text, count]) => ({ count, text })),
      };
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
