import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a real service, to take it "down" for one test without
 * touching the service other tests share: `cut()` drops every connection and refuses new
 * ones, `restore()` lets them through again.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private open = true;
  port = 0;
  /**
   * Holds what the client sends this long before passing it on (order kept): a service whose
   * answers arrive late, after its caller's time-out, although it did the work.
   */
  upstreamDelayMs = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      if (!this.open) return client.destroy();
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      // In order, each chunk no sooner than `upstreamDelayMs` after it arrived.
      let due = 0;
      client.on('data', (chunk: Buffer) => {
        if (this.upstreamDelayMs <= 0 && due <= Date.now()) {
          upstream.write(chunk);
          return;
        }
        due = Math.max(due, Date.now() + this.upstreamDelayMs);
        setTimeout(() => upstream.destroyed || upstream.write(chunk), due - Date.now());
      });
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as { port: number }).port;
    return this;
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.open = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The same URL with host and port replaced by the proxy's. */
  url(original: string): string {
    const u = new URL(original);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}
