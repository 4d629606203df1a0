import { Inject, Injectable } from '@nestjs/common';
import { PRICE_TABLE } from '../prices/price-table.provider';
import type { PriceTable } from '../prices/price-table';
import { applyEvent, type Contribution, contributionOf, type SdrRecord } from './sdr-record';
import { type Counts, ROLLUPS, type RollupChange, SdrRecordsRepository } from './sdr-records.repository';
import type { SdrEvent } from './sdr-event';

const COUNTERS = [
  'requests',
  'sent',
  'delivered',
  'failed',
  'verified',
  'canceled',
  'expired',
  'costMicros',
  'blocked',
  'costAvoidedMicros',
] as const;

/**
 * Projects events into the records and roll-ups, many in one transaction: the event ids are
 * recorded (a second delivery of one changes nothing), the records of the batch's requests are
 * folded under locks on their request ids, and each roll-up moves by the sum, over the
 * batch's records, of the difference between their old and new contributions. So the roll-ups
 * always equal the sum over the records, whatever the order of the events and however they
 * are cut into batches.
 */
@Injectable()
export class SdrStore {
  constructor(
    private readonly repository: SdrRecordsRepository,
    @Inject(PRICE_TABLE) private readonly prices: PriceTable,
  ) {}

  /** Returns false when the event had been projected already. */
  async project(event: SdrEvent, now: Date): Promise<boolean> {
    return (await this.projectBatch([event], now)).has(event.metadata.eventId);
  }

  /** Projects the events in one transaction; returns the ids of those that were fresh (not projected before). */
  async projectBatch(events: SdrEvent[], now: Date): Promise<Set<string>> {
    const unique = [...new Map(events.map((e) => [e.metadata.eventId, e])).values()];
    return this.repository.transaction(async (tx) => {
      const fresh = await tx.claimEvents(
        unique.map((e) => ({ eventId: e.metadata.eventId, requestId: e.data.requestId })),
        now,
      );
      if (!fresh.size) return fresh;
      const byRequest = new Map<string, SdrEvent[]>();
      for (const e of unique)
        if (fresh.has(e.metadata.eventId))
          byRequest.set(e.data.requestId, [...(byRequest.get(e.data.requestId) ?? []), e]);
      const ids = [...byRequest.keys()];
      await tx.lockRequests(ids);
      const stored = await tx.loadRecords(ids);
      const changed: SdrRecord[] = [];
      const deltas: { before: Contribution | undefined; after: Contribution }[] = [];
      for (const [id, evs] of byRequest) {
        const before = stored.get(id);
        const after = evs.reduce<SdrRecord | undefined>((r, e) => applyEvent(r, e, this.prices), before)!;
        changed.push(after);
        deltas.push({ before: before && contributionOf(before), after: contributionOf(after) });
      }
      await tx.saveRecords(changed, now);
      // Tables in a fixed order (rows in key order inside the repository): no deadlocks.
      for (const rollup of ROLLUPS) {
        const sums = new Map<string, RollupChange>();
        const add = (c: Contribution, sign: 1 | -1) => {
          const key = rollup.dimensions.map((d) => c.key[d]);
          const id = JSON.stringify(key);
          const current = sums.get(id) ?? { key, counts: zero() };
          for (const k of COUNTERS) current.counts[k] += sign * c.counts[k];
          sums.set(id, current);
        };
        for (const { before, after } of deltas) {
          if (before) add(before, -1);
          add(after, 1);
        }
        await tx.addToRollup(
          rollup,
          [...sums.values()].filter((c) => COUNTERS.some((k) => c.counts[k] !== 0)),
        );
      }
      return fresh;
    });
  }
}

function zero(): Counts {
  return {
    requests: 0,
    sent: 0,
    delivered: 0,
    failed: 0,
    verified: 0,
    canceled: 0,
    expired: 0,
    costMicros: 0,
    blocked: 0,
    costAvoidedMicros: 0,
  };
}
