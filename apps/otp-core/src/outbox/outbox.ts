import { randomUUID } from 'node:crypto';
import type { OtpEvent, OtpEventData, OtpLifecycleEventType } from '@app/contracts';
import { Subjects } from '@app/contracts';
import { currentRequestId } from '@app/platform';
import type { OtpRepository, OutboxRow } from '../otp.repository';

/** Queues messages for JetStream inside the caller's transaction. */
export class OutboxWriter {
  private readonly rows: OutboxRow[] = [];

  constructor(private readonly now: Date) {}

  add(subject: string, msgId: string, payload: object): this {
    this.rows.push({ subject, msgId, payload, requestId: currentRequestId() ?? null, createdAt: this.now });
    return this;
  }

  event(type: OtpLifecycleEventType, data: OtpEventData): this {
    const eventId = randomUUID();
    const event: OtpEvent = {
      type,
      version: 1,
      data,
      metadata: {
        eventId,
        occurredAt: this.now.toISOString(),
        correlationId: currentRequestId(),
        causationId: data.requestId,
      },
    };
    return this.add(Subjects.otpEvent(type), eventId, event);
  }

  /** Writes the queued messages in the transaction `tx`. */
  async flush(tx: OtpRepository): Promise<void> {
    await tx.appendOutbox(this.rows);
  }
}
