import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a fake vendor received, with its body as sent and as the vendor reads it. */
export interface VendorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: string;
  /** Form fields (application/x-www-form-urlencoded) or the JSON body's fields. */
  fields: Record<string, unknown>;
  /** What the fake answered. */
  status: number;
}

export interface VendorAnswer {
  status: number;
  /** Sent as JSON, unless `text` is given. */
  body?: unknown;
  /** A body sent as it is (XML, PEM), with `contentType`. */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * A vendor's API on loopback (node:http), for a fake vendor to give its documented behaviour:
 * it records every request and answers with what `route` decides.
 */
export class VendorServer {
  readonly requests: VendorRequest[] = [];
  private readonly server: Server;

  constructor(route: (request: VendorRequest) => VendorAnswer) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://vendor.local');
        const type = req.headers['content-type'] ?? '';
        let fields: Record<string, unknown> = {};
        if (type.includes('application/x-www-form-urlencoded')) fields = Object.fromEntries(new URLSearchParams(raw));
        else if (type.includes('json') && raw) {
          try {
            fields = JSON.parse(raw) as Record<string, unknown>;
          } catch {
            // left empty: the route answers 400
          }
        }
        const request: VendorRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          raw,
          fields,
          status: 0,
        };
        let answer: VendorAnswer;
        try {
          answer = route(request);
        } catch (error) {
          answer = { status: 500, body: { error: String(error) } };
        }
        request.status = answer.status;
        this.requests.push(request);
        res.writeHead(answer.status, {
          'content-type': answer.contentType ?? 'application/json',
          ...answer.headers,
        });
        res.end(answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** Statuses scripted per destination: each request to it takes the next one, then success. */
export class Script {
  private readonly queues = new Map<string, VendorAnswer[]>();

  set(destination: string, answers: VendorAnswer[]): void {
    this.queues.set(destination, [...answers]);
  }

  next(destination: string): VendorAnswer | undefined {
    return this.queues.get(destination)?.shift();
  }
}

/**
 * Delivers a vendor's callback as a reverse proxy would: the vendor calls the public URL it
 * was given (`https://otp.example.test/2fa/callbacks/…`), the request reaches the gateway.
 */
export async function deliverCallback(
  gatewayUrl: string,
  publicUrl: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: unknown }> {
  const url = new URL(publicUrl);
  const res = await fetch(`${gatewayUrl}${url.pathname}${url.search}`, {
    method: init.method ?? 'POST',
    headers: { ...init.headers, 'x-forwarded-host': url.host, 'x-forwarded-proto': url.protocol.replace(':', '') },
    body: init.body,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text
  }
  return { status: res.status, body };
}
