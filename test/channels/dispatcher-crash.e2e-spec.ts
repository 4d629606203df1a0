import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { otpCoreService } from '../../apps/otp-core/src/otp-core.definition';
import { eventually } from '../support/eventually';
import { deliveryStatuses } from '../support/jetstream-helpers';
import type { Credentials } from '../support/http';
import { createAccount, sendOtpSurely, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';
import { WebhookServer } from '../support/webhook-server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ROOT, buildIfNeeded } = require('../../scripts/build-if-needed.js') as {
  ROOT: string;
  buildIfNeeded: (files: string[]) => void;
};

const MAIN = path.join(ROOT, 'dist/apps/dispatcher-sms/src/main.js');
const BURST = 60;
/** The new message on whose arrival the first dispatcher is killed: about a third in. */
const KILL_AT = 20;

/** How soon after the kill the other replica must have sent what the dead one had in flight (SPEC 10: 5 s). */
const TAKEOVER_MS = 5000;

/**
 * Two dispatcher replicas, one killed with SIGKILL mid-burst (a real process, no shutdown hook
 * runs): the other sends what the dead one had in flight within seconds (short ack wait,
 * heartbeats, short leases), and every dispatch reaches the provider as a new message exactly
 * once. What the dead one had at the provider is sent again with the same Idempotency-Key,
 * which the provider (this test's server, like a real one) recognises as a repeat.
 */
describe('a dispatcher killed mid-burst', () => {
  const hook = new WebhookServer();
  const children: ChildProcess[] = [];
  const output: string[] = [];
  let stack: Stack;
  let auth: Credentials;
  let hookUrl: string;

  beforeAll(async () => {
    // The child runs the compiled app: build it if the sources are newer (as `npm start` does).
    buildIfNeeded([MAIN]);
    hookUrl = await hook.start();
    // Answers take 30-80 ms, so calls are in flight when the process dies.
    hook.delayMs = 30;
    hook.jitterMs = 50;
    hook.idempotent = true;
    stack = await startStack({
      services: [gatewayService, otpCoreService, limiterService],
      env: {
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: hookUrl,
        SMS_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
        DEFAULT_LIMIT_MAX: '1000',
        // The defaults: a dead replica's messages come back after DISPATCH_ACK_WAIT_MS (3 s), its
        // leases lapse within 3 s. The sends themselves get time on a busy machine.
        NATS_REQUEST_TIMEOUT_MS: '15000',
      },
    });
    auth = await createAccount(stack);
  }, 300_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await stack?.stop();
    await hook.stop();
  });

  /** dispatcher-sms as its own process, on the stack's database, prefixes and provider. */
  const startDispatcher = (name: string): ChildProcess => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      // Each replica posts to a path of its own, so the test knows which one a request came from.
      env: { ...process.env, ...stack.env, PORT: '0', LOG_LEVEL: 'info', SMS_WEBHOOK_URL: `${hookUrl}/${name}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => output.push(chunk.toString('utf8'));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.push(child);
    return child;
  };

  const newMessages = () => hook.requests.filter((r) => !r.repeat);

  it('loses none, sends none twice as a new message, and the other replica takes over within 5 s', async () => {
    const first = startDispatcher('first');
    const second = startDispatcher('second');
    await eventually(() => expect(output.join('').match(/dispatcher-sms listening/g) ?? []).toHaveLength(2), 60_000);
    let killed = false;
    let killedAt = 0;
    let arrivedBeforeKill = 0;
    // Killed as a request arrives, before it is answered: that call is certainly in flight.
    hook.onRequest = (request) => {
      if (killed || newMessages().length < KILL_AT || !request.path.endsWith('/first')) return;
      killed = true;
      arrivedBeforeKill = newMessages().length;
      killedAt = Date.now();
      first.kill('SIGKILL');
    };

    const ids: string[] = [];
    for (let i = 0; i < BURST; i += 10) {
      ids.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, BURST - i) }, () => sendOtpSurely(stack, auth, uniqueNumber())),
        )),
      );
    }
    await eventually(() => expect(killed).toBe(true), 60_000);
    await exited(first);
    expect(first.signalCode).toBe('SIGKILL');
    expect(arrivedBeforeKill).toBeLessThan(BURST);

    expect(second.exitCode).toBeNull();
    const references = ids.map((id) => `${id}-1`);
    await eventually(
      () => {
        const seen = new Set(newMessages().map((r) => r.body.reference));
        expect(references.filter((r) => !seen.has(r))).toEqual([]);
      },
      90_000,
      200,
    );
    await eventually(
      async () => {
        const sent = (await deliveryStatuses(stack)).filter(
          (e) => e.data.status === 'sent' && ids.includes(e.data.requestId),
        );
        expect(sent.map((e) => e.data.requestId).sort()).toEqual([...ids].sort());
      },
      60_000,
      200,
    );

    // Every request carried its dispatch id as Idempotency-Key; each dispatch was a new message once.
    for (const r of hook.requests) expect(r.headers['idempotency-key']).toBe(r.body.reference);
    const counts = new Map<unknown, number>();
    for (const r of newMessages()) counts.set(r.body.reference, (counts.get(r.body.reference) ?? 0) + 1);
    expect(references.map((r) => counts.get(r))).toEqual(references.map(() => 1));
    expect(newMessages()).toHaveLength(BURST);
    // The call the kill interrupted was sent again, with its key.
    const repeats = hook.requests.filter((r) => r.repeat);
    expect(repeats.length).toBeGreaterThanOrEqual(1);
    expect(repeats.every((r) => r.path.endsWith('/second'))).toBe(true);
    // What the dead replica was sending went out again from the other one, soon.
    const takeoverMs = Math.max(...repeats.map((r) => r.at - killedAt));
    process.stdout.write(
      `dispatcher-crash: killed after ${arrivedBeforeKill} new messages; ${repeats.length} re-sent with a repeated Idempotency-Key, the last ${takeoverMs} ms after the kill\n`,
    );
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_MS);
  }, 240_000);
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
