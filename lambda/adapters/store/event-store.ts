import { deliveryKeyId } from '../../core/boundary';
import type { SyncEvent } from '../../core/events';
import { freshnessRegisters } from '../../core/freshness-record';
import { expiresAt, jobRegisters, jobTimes } from '../../core/job-record';
import type { Delivery, EventRecorder, JobTimes, QuarantinedDelivery } from '../../core/ports';
import { FAILED_EVENT, keys, TTL_ATTRIBUTE } from '../../core/table-schema';
import type { ItemTable } from './item-table';

/**
 * Events and jobs (and the deliveries kept aside): the audit trail, each job's record and each source's
 * freshness, written by the rules of `core/job-record.ts` and `core/freshness-record.ts`.
 */
export class TableEventRecorder implements EventRecorder {
  constructor(
    private readonly table: ItemTable,
    private readonly retentionDays: number,
  ) {}

  putAuditEvent(event: SyncEvent, delivery: Delivery): Promise<boolean> {
    return this.table.putNew({
      ...keys.event(event.sync_job_id, event.event_type),
      ...keys.eventIndex(
        event.collection_readable_id,
        event.source_key,
        event.timestamp,
        event.sync_job_id,
        event.event_type,
      ),
      // A failure also enters the sparse failure index (freshness at T finds each source's latest one there).
      ...(event.event_type === FAILED_EVENT &&
        keys.failureIndex(
          event.collection_readable_id,
          event.timestamp,
          event.sync_job_id,
          event.event_type,
        )),
      entity: 'event',
      ...event,
      svix_id: delivery.id,
      received_at: delivery.receivedAt,
      [TTL_ATTRIBUTE]: expiresAt(delivery.receivedAt, this.retentionDays),
    });
  }

  recordIgnored(delivery: Delivery, eventType: string): Promise<boolean> {
    return this.table.putNew({
      ...keys.ignored(deliveryKeyId(delivery.id), delivery.receivedAt),
      entity: 'ignored',
      event_type: eventType,
      svix_id: delivery.id,
      received_at: delivery.receivedAt,
      [TTL_ATTRIBUTE]: expiresAt(delivery.receivedAt, this.retentionDays),
    });
  }

  quarantine(delivery: QuarantinedDelivery): Promise<boolean> {
    // No TTL: a quarantined delivery stays until it is replayed.
    return this.table.putNew({
      ...keys.quarantine(deliveryKeyId(delivery.id), delivery.receivedAt),
      entity: 'quarantine',
      svix_id: delivery.id,
      received_at: delivery.receivedAt,
      reason: delivery.reason,
      body: delivery.body,
      headers: delivery.headers,
    });
  }

  async resolveQuarantine(deliveryId: string): Promise<void> {
    const { pk, sk } = keys.quarantine(deliveryKeyId(deliveryId), '');
    await this.table.delete({ pk, sk });
  }

  async withdrawAuditEvent(event: SyncEvent): Promise<void> {
    await this.table.delete(keys.event(event.sync_job_id, event.event_type));
  }

  async advanceJob(event: SyncEvent): Promise<JobTimes | undefined> {
    const item = await this.table.applyRegisters(jobRegisters(event, this.retentionDays));
    return item && jobTimes(item);
  }

  async advanceFreshness(event: SyncEvent): Promise<void> {
    await this.table.applyRegisters(freshnessRegisters(event));
  }
}
