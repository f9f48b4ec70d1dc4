import type { Item } from '../../core/conditions';
import type { HistoryFilter, ReadModels } from '../../core/ports';
import { keys } from '../../core/table-schema';
import { TableFreshness } from './freshness-store';

/** The CLI's and the query API's reads (access patterns 3 to 6 of docs/DESIGN.md section 4). */
export class TableReadModels extends TableFreshness implements ReadModels {
  /** One job's summary and its state events (access pattern 4). */
  async job(jobId: string): Promise<{ job: Item | undefined; events: Item[] }> {
    const items = await this.table.query({ partition: keys.job(jobId).pk });
    return { job: items.find((i) => i.sk === 'JOB'), events: items.filter((i) => i.sk !== 'JOB') };
  }

  /** Audit events newest first, of one source (gsi1) or one collection (gsi2), within [since, until]. */
  events(filter: HistoryFilter): Promise<Item[]> {
    return this.indexedHistory('E#', filter);
  }

  /** Jobs newest first (by their latest event), of one source or one collection. */
  jobs(filter: HistoryFilter): Promise<Item[]> {
    return this.indexedHistory('J#', filter);
  }

  private indexedHistory(prefix: 'E#' | 'J#', filter: HistoryFilter): Promise<Item[]> {
    const bySource = filter.source !== undefined;
    return this.table.query({
      index: bySource ? 'gsi1' : 'gsi2',
      partition: bySource ? `SRC#${filter.source}` : `COLL#${filter.collection ?? ''}`,
      // '~' sorts after every character a timestamp and id can contain, closing the range at `until`.
      sort: { between: [`${prefix}${filter.since ?? ''}`, `${prefix}${filter.until ?? ''}~`] },
      descending: true,
      limit: filter.limit,
    });
  }

  /** Quarantined deliveries, oldest first (access pattern 6). */
  quarantined(): Promise<Item[]> {
    return this.table.query({ index: 'gsi1', partition: 'QUARANTINE' });
  }

  /** One pipeline's gate and its runs, newest first (access pattern 5). */
  async pipeline(name: string): Promise<{ gate: Item | undefined; runs: Item[] }> {
    const items = await this.table.query({ partition: keys.pipelineGate(name).pk, descending: true });
    return {
      gate: items.find((i) => i.sk === 'GATE'),
      runs: items.filter((i) => String(i.sk).startsWith('RUN#')),
    };
  }
}
