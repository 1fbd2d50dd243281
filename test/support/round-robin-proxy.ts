import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The header the proxy adds to every response: the index of the backend that served it. */
export const UPSTREAM_HEADER = 'x-upstream';

/** One request the proxy relayed. */
export interface RoutedRequest {
  readonly method: string;
  /** The path and query, e.g. `/api/v1/conversations`. */
  readonly url: string;
  /** The index of the backend it went to. */
  readonly backend: number;
}

/**
 * Headers that describe one connection, not the message (RFC 9110 section 7.6.1): a proxy
 * does not pass them on. Node sets its own framing on each side.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * A plain HTTP load balancer in front of several API processes, as a deployment would have:
 * each request (not each connection) goes to the next backend in turn, bodies stream both
 * ways as they come (so server-sent events arrive event by event), status and headers pass
 * through, and a client that leaves mid-response closes the backend's request too, so the
 * backend sees its client go. A backend taken out of the rotation (`disable`) gets no new
 * requests, as after a failed health check; one that is down answers 502.
 *
 * Every response carries `X-Upstream: <index>`, and `served`/`routed` count what went where.
 */
export class RoundRobinProxy {
  /** Requests relayed to each backend, by index. */
  readonly served: number[];
  /** Every request relayed, oldest first. */
  readonly routed: RoutedRequest[] = [];
  private readonly server: Server;
  /** A connection per request: reusing one the backend is closing would fail a request now and then. */
  private readonly agent = new Agent({ keepAlive: false });
  private readonly disabled = new Set<number>();
  private next = 0;

  private constructor(private readonly backends: URL[]) {
    this.served = backends.map(() => 0);
    this.server = createServer((request, response) => this.relay(request, response));
  }

  /** Starts on 127.0.0.1 (a free port) in front of `backends` (base URLs such as `http://127.0.0.1:3001`). */
  static async start(backends: readonly string[]): Promise<RoundRobinProxy> {
    if (backends.length === 0) throw new Error('A proxy needs at least one backend');
    const proxy = new RoundRobinProxy(backends.map((backend) => new URL(backend)));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** http://127.0.0.1:port */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Points backend `index` at another address (a restarted process on a new port). */
  replace(index: number, backend: string): void {
    this.backendAt(index);
    this.backends[index] = new URL(backend);
  }

  /** Takes backend `index` out of the rotation: requests go to the others. */
  disable(index: number): void {
    this.backendAt(index);
    this.disabled.add(index);
  }

  /** Puts backend `index` back into the rotation. */
  enable(index: number): void {
    this.disabled.delete(index);
  }

  /** Forgets the counts, so a test can look at its own requests only. */
  resetCounts(): void {
    this.served.fill(0);
    this.routed.length = 0;
  }

  /** Stops accepting, and cuts the connections still open (streams included). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.agent.destroy();
    await closed;
  }

  /** The next backend in turn, skipping disabled ones; undefined when all are disabled. */
  private pick(): number | undefined {
    for (let tried = 0; tried < this.backends.length; tried++) {
      const index = this.next;
      this.next = (this.next + 1) % this.backends.length;
      if (!this.disabled.has(index)) return index;
    }
    return undefined;
  }

  private backendAt(index: number): URL {
    const backend = this.backends[index];
    if (!backend) throw new Error(`No backend ${index} (the proxy has ${this.backends.length})`);
    return backend;
  }

  private relay(request: IncomingMessage, response: ServerResponse): void {
    const index = this.pick();
    if (index === undefined) {
      request.resume();
      response.writeHead(503, { 'content-type': 'text/plain' }).end('No backend in the rotation\n');
      return;
    }
    const backend = this.backendAt(index);
    const url = request.url ?? '/';
    this.served[index]! += 1;
    this.routed.push({ method: request.method ?? 'GET', url, backend: index });

    const upstream = httpRequest({
      agent: this.agent,
      host: backend.hostname,
      port: backend.port,
      method: request.method,
      path: url,
      headers: withoutHopByHop(request.headers),
    });
    upstream.on('response', (answer) => {
      const headers = withoutHopByHop(answer.headers);
      headers[UPSTREAM_HEADER] = String(index);
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      // Headers now, not with the first body chunk: an event stream's client learns at once that it is open.
      response.flushHeaders();
      answer.pipe(response);
      // The backend broke its response off (a killed process): the client's must break too, not end as if complete.
      answer.on('error', () => undefined);
      answer.on('close', () => {
        if (!answer.complete) response.destroy();
      });
    });
    upstream.on('error', (error) => {
      if (response.headersSent || response.destroyed) {
        response.destroy();
        return;
      }
      response.writeHead(502, { 'content-type': 'text/plain', [UPSTREAM_HEADER]: String(index) }).end(`Backend ${index} failed: ${error.message}\n`);
    });
    // The client left before the whole response reached it: end the backend's request, which closes its connection.
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.on('error', () => undefined);
    response.on('error', () => undefined);
    request.pipe(upstream);
  }
}

function withoutHopByHop(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(HOP_BY_HOP);
  // Headers the Connection header names are connection-specific too.
  for (const token of String(headers['connection'] ?? '').split(',')) named.add(token.trim().toLowerCase());
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !named.has(name)) kept[name] = value;
  }
  return kept;
}
