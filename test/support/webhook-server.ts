import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** The status this server answered with. */
  status: number;
}

/**
 * A provider's HTTP endpoint on loopback (node:http): records every request with its raw body,
 * answers 200 with `{ messageId }`, or the statuses scripted for a destination first.
 */
export class WebhookServer {
  readonly requests: ReceivedRequest[] = [];
  /** Per destination (`to` of the body): statuses to answer with, one per request, before 200. */
  readonly script = new Map<string, number[]>();
  private readonly server: Server;
  private counter = 0;
  /** How long each answer takes, like a real provider's round trip. */
  delayMs = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          // recorded as is
        }
        const status = this.script.get(String(body.to))?.shift() ?? 200;
        this.requests.push({ headers: req.headers, raw, body, status });
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(status === 200 ? JSON.stringify({ messageId: `prov-${++this.counter}` }) : JSON.stringify({ error: 'scripted failure' }));
        }, this.delayMs);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  to(destination: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.body.to === destination);
  }

  accepted(destination: string): ReceivedRequest[] {
    return this.to(destination).filter((r) => r.status === 200);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
