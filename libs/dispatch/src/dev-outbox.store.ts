import { Inject, Injectable } from '@nestjs/common';
import { type DevOutboxEntry, type DispatchMessage, formatTimestamp } from '@app/contracts';
import { REDIS } from '@app/platform';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';

const KEEP = 100;
const TTL_SECONDS = 24 * 60 * 60;

interface StoredEntry extends DevOutboxEntry {
  accountSid: string;
  parentAccountSid: string | null;
}

/**
 * The development outbox: full messages, code included, kept in Redis for a day so a
 * developer or a test can read them. Only used when DEV_OUTBOX=true.
 */
@Injectable()
export class DevOutboxStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async keep(message: DispatchMessage, at: Date): Promise<void> {
    const entry: StoredEntry = {
      requestID: message.requestId,
      channel: message.channel,
      from: message.from,
      to: message.to,
      subject: message.subject ?? null,
      body: message.text,
      dateCreated: formatTimestamp(at),
      accountSid: message.accountSid,
      parentAccountSid: message.parentAccountSid ?? null,
    };
    const key = keyOf(message.channel, message.to);
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(entry))
      .ltrim(key, 0, KEEP - 1)
      .expire(key, TTL_SECONDS)
      .exec();
  }

  /** Newest first; only what the account (or one of its sub-accounts) was sent. */
  async list(channel: string, to: string, accountSid: string): Promise<DevOutboxEntry[]> {
    const raw = await this.redis.lrange(keyOf(channel, to), 0, KEEP - 1);
    return raw
      .map((r) => JSON.parse(r) as StoredEntry)
      .filter((e) => e.accountSid === accountSid || e.parentAccountSid === accountSid)
      .map(({ accountSid: _a, parentAccountSid: _p, ...entry }) => entry);
  }
}

function keyOf(channel: string, to: string): string {
  return `devoutbox:${channel}:{${createHash('sha256').update(to).digest('hex').slice(0, 32)}}`;
}
