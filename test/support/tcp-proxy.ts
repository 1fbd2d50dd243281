import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** One client connection and, once it is relayed, its connection to the target. */
interface Link {
  readonly client: Socket;
  readonly upstream?: Socket;
}

/**
 * A TCP relay in front of a real database, so a test can make the database unreachable
 * (refuse and cut connections, or black-hole them) and reachable again, as an outage would.
 */
export class TcpProxy {
  private readonly links = new Set<Link>();
  private mode: 'relaying' | 'refusing' | 'black-hole' = 'relaying';

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.relay(client));
  }

  static async start(targetUrl: string): Promise<TcpProxy> {
    const target = new URL(targetUrl);
    const proxy = new TcpProxy(createServer(), { host: target.hostname, port: Number(target.port || 5432) });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `targetUrl` with its host and port replaced by the proxy's. */
  urlFor(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  /** Cuts every open connection and refuses new ones. */
  cut(): void {
    this.mode = 'refusing';
    for (const link of this.links) this.drop(link);
  }

  /**
   * Keeps every connection open, and accepts new ones, but relays nothing either way: what is
   * sent gets neither an answer nor a close, as when a network path dies.
   */
  blackHole(): void {
    this.mode = 'black-hole';
    for (const link of this.links) this.hold(link);
  }

  /**
   * Relays new connections again. Those a black hole holds stay dead until their client closes
   * them, as after a failover: only new connections reach the database.
   */
  restore(): void {
    this.mode = 'relaying';
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'refusing') {
      client.destroy();
      return;
    }
    // A black hole accepts the connection (the SYN got through) but never reaches the target.
    const upstream = this.mode === 'relaying' ? connect(this.target.port, this.target.host) : undefined;
    const link: Link = { client, upstream };
    this.links.add(link);
    for (const socket of [client, upstream]) socket?.on('close', () => this.drop(link));
    if (!upstream) {
      this.hold(link);
      return;
    }
    upstream.on('error', () => undefined);
    client.pipe(upstream).pipe(client);
  }

  /**
   * Reads and drops whatever either side sends. Reading keeps a close noticed, so the client
   * giving up on a connection still ends its database session, as the server's keepalive would.
   */
  private hold(link: Link): void {
    for (const socket of [link.client, link.upstream]) {
      socket?.unpipe();
      socket?.resume();
    }
  }

  private drop(link: Link): void {
    this.links.delete(link);
    link.client.destroy();
    link.upstream?.destroy();
  }
}
