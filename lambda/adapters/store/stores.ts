import type { Stores } from '../../core/ports';
import { TableAlertLedger } from './alert-ledger';
import { TableAuditHistory } from './audit-history';
import { TableEventRecorder } from './event-store';
import { TableFreshness } from './freshness-store';
import type { ItemTable } from './item-table';
import { MemoryTable } from './memory-table';
import { TablePipelineGates } from './pipeline-gates';
import { TableReadModels } from './read-models';

// Apart from the DynamoDB table (index.ts), so the pure core tests load no AWS SDK: they run once per
// mutant under `npm run mutate`, where loading the SDK would cost more than the tests.

export interface StoreOptions {
  /** Audit items expire this many days after they were received (DynamoDB TTL). */
  readonly retentionDays: number;
}

/** Every port on one table, one adapter per port. */
export function storesOn(table: ItemTable, options: StoreOptions): Stores {
  return {
    recorder: new TableEventRecorder(table, options.retentionDays),
    freshness: new TableFreshness(table),
    ledger: new TableAlertLedger(table),
    gates: new TablePipelineGates(table),
    reads: new TableReadModels(table),
    history: new TableAuditHistory(table),
  };
}

/** The ports in memory (the executable spec); `table.items()` is what a Scan would return. */
export function memoryStores(options: StoreOptions): Stores & { readonly table: MemoryTable } {
  const table = new MemoryTable();
  return { ...storesOn(table, options), table };
}
