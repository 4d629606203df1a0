import { type DeliveryStatus, type DeliveryStatusEvent, Subjects, withPrefix } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Stack } from '../support/stack';

/** A price table of the test's own, so that a change to config/prices.json does not move the figures. */
export function testPriceFile(): string {
  const path = join(tmpdir(), `sdr-prices-${randomUUID()}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      currency: 'EUR',
      prices: { sms: { '*': 0.05, US: 0.0079, IN: 0.0022, GB: 0.04 }, call: { '*': 0.013 }, email: { '*': 0.0001 } },
    }),
  );
  return path;
}

/**
 * Publishes a delivery status for the first dispatch of a request, shaped by the contract, as a
 * dispatcher would after a provider's verdict.
 */
export async function publishDeliveryStatus(
  stack: Stack,
  request: { requestId: string; accountSid: string; parentAccountSid?: string | null; to: string },
  status: DeliveryStatus,
  extra: Partial<DeliveryStatusEvent['data']> = {},
): Promise<DeliveryStatusEvent> {
  const eventId = randomUUID();
  const event: DeliveryStatusEvent = {
    type: 'delivery_status',
    version: 1,
    data: {
      requestId: request.requestId,
      accountSid: request.accountSid,
      parentAccountSid: request.parentAccountSid ?? null,
      dispatchId: `${request.requestId}-1`,
      channel: 'sms',
      to: request.to,
      status,
      // The provider the dispatcher used (the `log` provider in tests), as its verdict would say.
      provider: 'log',
      providerMessageId: `pm-${request.requestId.slice(-6)}`,
      error: null,
      attempt: 1,
      ...extra,
    },
    metadata: { eventId, occurredAt: stack.clock.now().toISOString(), causationId: request.requestId },
  };
  await stack.nc
    .jetstream()
    .publish(withPrefix(stack.env.NATS_PREFIX, Subjects.otpEvent('delivery_status')), JSON.stringify(event), {
      msgID: eventId,
    });
  return event;
}

/** Everything the sdr tables hold that a projection decides (not when it ran). */
export async function sdrTables(
  databaseUrl: string,
): Promise<{ records: unknown[]; usage: unknown[]; summary: unknown[]; monthly: unknown[] }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const records = await client.query(
      `SELECT request_id, account_sid, parent_account_sid, service, channel, destination, country_code, status, delivery_status,
              created_at, price_micros, record FROM sdr.records ORDER BY request_id`,
    );
    const usage = await client.query(
      `SELECT * FROM sdr.usage_daily ORDER BY account_sid, day, service, channel, country_code, status, delivery_status`,
    );
    const summary = await client.query(
      `SELECT * FROM sdr.usage_daily_summary ORDER BY account_sid, day, channel, country_code, status`,
    );
    const monthly = await client.query(
      `SELECT * FROM sdr.usage_monthly_summary ORDER BY account_sid, month, channel, country_code, status`,
    );
    return { records: records.rows, usage: usage.rows, summary: summary.rows, monthly: monthly.rows };
  } finally {
    await client.end();
  }
}
