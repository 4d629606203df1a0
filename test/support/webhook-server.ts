import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** The status this server answered with. */
  status: number;
  /** When it arrived (Date.now()). */
  at: number;
  /** The path it was posted to (callers that share this server can post to paths of their own). */
  path: string;
  /** With {@link WebhookServer.idempotent}: an Idempotency-Key seen before, answered as the first time. */
  repeat?: boolean;
}

/**
 * A provider's HTTP endpoint on loopback (node:http): records every request with its raw body,
 * answers 200 with `{ messageId }`, or the statuses scripted for a destination first. When
 * `idempotent`, it honours `Idempotency-Key` like a real provider: a repeated key gets the first
 * answer and is recorded as a repeat, not a new message.
 */
export class WebhookServer {
  readonly requests: ReceivedRequest[] = [];
  /** Per destination (`to` of the body): statuses to answer with, one per request, before 200. */
  readonly script = new Map<string, number[]>();
  private readonly server: Server;
  private counter = 0;
  /** How long each answer takes, like a real provider's round trip (plus up to `jitterMs`). */
  delayMs = 0;
  jitterMs = 0;
  idempotent = false;
  /** Called as each request arrives, before it is answered. */
  onRequest?: (request: ReceivedRequest) => void;
  private readonly answers = new Map<string, { status: number; body: string }>();

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
        const key = req.headers['idempotency-key'];
        const first = this.idempotent && typeof key === 'string' ? this.answers.get(key) : undefined;
        const answer = first ?? this.answer(String(body.to));
        if (this.idempotent && typeof key === 'string' && !first) this.answers.set(key, answer);
        const request: ReceivedRequest = {
          headers: req.headers,
          raw,
          body,
          status: answer.status,
          at: Date.now(),
          path: req.url ?? '',
          ...(first ? { repeat: true } : {}),
        };
        this.requests.push(request);
        this.onRequest?.(request);
        setTimeout(
          () => {
            res.writeHead(answer.status, { 'content-type': 'application/json' });
            res.end(answer.body);
          },
          this.delayMs + Math.floor(Math.random() * (this.jitterMs + 1)),
        );
      });
    });
  }

  private answer(destination: string): { status: number; body: string } {
    const status = this.script.get(destination)?.shift() ?? 200;
    return {
      status,
      body:
        status === 200
          ? JSON.stringify({ messageId: `prov-${++this.counter}` })
          : JSON.stringify({ error: 'scripted failure' }),
    };
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
