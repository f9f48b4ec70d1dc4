import type { Item } from '../../core/conditions';
import type { HistoryFilter, HistoryPage, ReadModels } from '../../core/ports';
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
  events(filter: HistoryFilter): Promise<HistoryPage> {
    return this.indexedHistory('E#', filter);
  }

  /** Jobs newest first (by their latest event), of one source or one collection. */
  jobs(filter: HistoryFilter): Promise<HistoryPage> {
    return this.indexedHistory('J#', filter);
  }

  /**
   * Pages until `limit` items are read: a Query page stops at 1 MB whatever its Limit, about a thousand
   * audit events, so one page is not "the newest `limit`". One item past the limit says whether more match.
   */
  private async indexedHistory(prefix: 'E#' | 'J#', filter: HistoryFilter): Promise<HistoryPage> {
    const bySource = filter.source !== undefined;
    const query = {
      index: bySource ? ('gsi1' as const) : ('gsi2' as const),
      partition: bySource ? `SRC#${filter.source}` : `COLL#${filter.collection ?? ''}`,
      // '~' sorts after every character a timestamp and id can contain, closing the range at `until`.
      sort: { between: [`${prefix}${filter.since ?? ''}`, `${prefix}${filter.until ?? ''}~`] as const },
      descending: true,
    };
    const items: Item[] = [];
    let cursor: unknown;
    do {
      const page = await this.table.page({ ...query, limit: filter.limit + 1 - items.length }, cursor);
      items.push(...page.items);
      cursor = page.next;
    } while (cursor !== undefined && items.length <= filter.limit);
    return { items: items.slice(0, filter.limit), more: items.length > filter.limit };
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
