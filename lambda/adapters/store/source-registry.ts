import {
  isLifecycleEventType,
  LIFECYCLE_EVENT_TYPES,
  type JobState,
  type LifecycleEventType,
} from '../../core/job-state';
import type { NoticeKind, SourceIdentity, SourceRegistry } from '../../core/reconcile';
import { PREVIOUS_JOB_SCAN, sourceRecord } from '../../core/source-record';
import { keys } from '../../core/table-schema';
import type { ItemTable } from './item-table';

/**
 * The table side of reconciliation and of the source lifecycle (`core/source-record.ts`), on the same
 * table and items as the event store, through either table: DynamoDB (Lambda, local mode) or memory (the
 * executable spec the pure tests use).
 */
export class TableSourceRegistry implements SourceRegistry {
  constructor(private readonly table: ItemTable) {}

  registerSource(source: SourceIdentity, at: string): Promise<boolean> {
    return this.table.putNew(sourceRecord.listed(source, at));
  }

  async retireSource(collection: string, sourceKey: string, at: string): Promise<boolean> {
    const rule = sourceRecord.retire(collection, sourceKey, at);
    // The rule refuses a source already retired as well as one not listed; only the latter is "false".
    // A repeated retirement is rare (a redelivered deletion), so it pays one read to tell them apart.
    return (await this.table.apply(rule)) !== undefined || (await this.table.get(rule.key)) !== undefined;
  }

  async markVerified(collection: string, sourceKey: string, at: string): Promise<void> {
    await this.table.apply(sourceRecord.verify(collection, sourceKey, at));
  }

  /** The audit items that exist for these jobs (5 jobs x 6 states = 30 keys: one BatchGetItem on DynamoDB). */
  async recordedStates(jobIds: readonly string[]): Promise<Map<string, Set<LifecycleEventType>>> {
    const held = new Map<string, Set<LifecycleEventType>>();
    const wanted = [...new Set(jobIds)].flatMap((job) =>
      LIFECYCLE_EVENT_TYPES.map((type) => keys.event(job, type)),
    );
    for (const item of await this.table.getMany(wanted, ['sync_job_id', 'event_type'])) {
      const job = String(item.sync_job_id);
      const type = String(item.event_type);
      if (!isLifecycleEventType(type)) continue;
      held.set(job, (held.get(job) ?? new Set()).add(type));
    }
    return held;
  }

  async previousJob(
    sourceKey: string,
    jobId: string,
  ): Promise<{ sync_job_id: string; state: JobState } | undefined> {
    // The source's latest events (job summaries are in no index: see the write units in table-schema.ts):
    // the first one of another job names the previous job, whose summary holds its state.
    const latest = await this.table.query({
      index: 'gsi1',
      partition: keys.eventIndex('', sourceKey, '', '', '').gsi1pk,
      sort: { beginsWith: 'E#' },
      descending: true,
      limit: PREVIOUS_JOB_SCAN,
    });
    const previous = latest.find((item) => item.sync_job_id !== jobId)?.sync_job_id;
    if (previous === undefined) return undefined;
    const state = (await this.table.get(keys.job(String(previous))))?.state;
    return typeof state === 'string'
      ? { sync_job_id: String(previous), state: state as JobState }
      : undefined;
  }

  openNotice(kind: NoticeKind, at: string): Promise<boolean> {
    return this.table.putNew(sourceRecord.notice(kind, at));
  }

  closeNotice(kind: NoticeKind): Promise<void> {
    return this.table.delete(keys.reconcileNotice(kind));
  }
}
