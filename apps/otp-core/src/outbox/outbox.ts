import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { OtpEvent, OtpEventData, OtpLifecycleEventType } from '@app/contracts';
import { Subjects } from '@app/contracts';
import { currentRequestId } from '@app/platform';
import { OutboxMessageEntity } from './outbox-message.entity';

/** Queues messages for JetStream inside the caller's transaction. */
export class OutboxWriter {
  private readonly rows: Partial<OutboxMessageEntity>[] = [];

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

  async flush(manager: EntityManager): Promise<void> {
    if (this.rows.length) await manager.insert(OutboxMessageEntity, this.rows);
  }
}
