import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { dispatcherSmsService } from '../../apps/dispatcher-sms/src/dispatcher-sms.definition';
import { gatewayService } from '../../apps/gateway/src/gateway.definition';
import { limiterService } from '../../apps/limiter/src/limiter.definition';
import { otpCoreService } from '../../apps/otp-core/src/otp-core.definition';
import { eventually } from '../support/eventually';
import { deliveryStatuses } from '../support/jetstream-helpers';
import type { Credentials } from '../support/http';
import { createAccount, sendOtpSurely, uniqueNumber } from '../support/otp-helpers';
import { startStack, type Stack } from '../support/stack';
import { WebhookServer } from '../support/webhook-server';

const BURST = 50;

describe('dispatcher replicas under a burst', () => {
  const hook = new WebhookServer();
  let stack: Stack;
  let auth: Credentials;

  beforeAll(async () => {
    const url = await hook.start();
    // Each answer takes a moment, so a burst is still in flight when a replica stops.
    hook.delayMs = 40;
    stack = await startStack({
      services: [gatewayService, otpCoreService, limiterService],
      env: {
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: url,
        SMS_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
        DEFAULT_LIMIT_MAX: '1000',
        // The sends are not what is tested: a busy machine must not turn them into time-outs.
        NATS_REQUEST_TIMEOUT_MS: '15000',
      },
    });
    auth = await createAccount(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await hook.stop();
  });

  /** Sends `count` codes to fresh numbers, ten at a time; returns the request ids. */
  const burst = async (count: number, onProgress?: (sent: number) => Promise<void>): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 10) {
      ids.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, count - i) }, () => sendOtpSurely(stack, auth, uniqueNumber())),
        )),
      );
      await onProgress?.(ids.length);
    }
    return ids;
  };

  /** Every request reached the provider exactly once, and has exactly one `sent` event. */
  const expectExactlyOnce = async (requestIds: string[]) => {
    const references = requestIds.map((id) => `${id}-1`);
    await eventually(async () => {
      const seen = new Set(hook.requests.map((r) => r.body.reference));
      expect(references.filter((r) => !seen.has(r))).toEqual([]);
    }, 30_000);
    await eventually(async () => {
      const sent = (await deliveryStatuses(stack)).filter(
        (e) => e.data.status === 'sent' && requestIds.includes(e.data.requestId),
      );
      expect(sent).toHaveLength(requestIds.length);
    }, 30_000);
    // Given time for a late duplicate to show, none does.
    await new Promise((r) => setTimeout(r, 1000));
    const counts = new Map<unknown, number>();
    for (const r of hook.requests) counts.set(r.body.reference, (counts.get(r.body.reference) ?? 0) + 1);
    expect(references.map((r) => counts.get(r))).toEqual(references.map(() => 1));
  };

  it('two replicas deliver every message of a burst exactly once', async () => {
    await stack.startService(dispatcherSmsService);
    await stack.startService(dispatcherSmsService);
    const ids = await burst(BURST);
    await expectExactlyOnce(ids);
  });

  it('a replica stopped mid-burst and another started lose none and duplicate none', async () => {
    const replicas: INestApplication[] = stack.apps.slice(-2);
    const before = hook.requests.length;
    let stopped = false;
    const ids = await burst(BURST, async (sent) => {
      if (stopped || sent < 20) return;
      stopped = true;
      // Mid-burst: messages are queued and in flight at the provider.
      expect(hook.requests.length - before).toBeLessThan(BURST);
      await replicas[0].close();
      await stack.startService(dispatcherSmsService);
    });
    expect(stopped).toBe(true);
    await expectExactlyOnce(ids);
  });
});
