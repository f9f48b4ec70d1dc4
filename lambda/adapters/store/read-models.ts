import type { Item } from '../../core/conditions';
import type { HistoryFilter, HistoryPage, ReadModels } from '../../core/ports';
import { keys } from '../../core/table-schema';
import { TableFreshness } from './freshness-store';
import type { ItemQuery } from './item-table';

/** The CLI's and the query API's reads (access patterns 3 to 6 of docs/DESIGN.md section 4). */
export class TableReadModels extends TableFreshness implements ReadModels {
  /** One job's summary and its state events (access pattern 4). */
  async job(jobId: string): Promise<{ job: Item | undefined; events: Item[] }> {
    const items = await this.table.query({ partition: keys.job(jobId).pk });
    return { job: items.find((i) => i.sk === 'JOB'), events: items.filter((i) => i.sk !== 'JOB') };
  }

  /** Audit events newest first, of one source (gsi1) or one collection (gsi2), within [since, until]. */
  events(filter: HistoryFilter): Promise<HistoryPage> {
    return this.indexedHistory(filter);
  }

  /**
   * Jobs newest first (by their latest event in range), of one source or one collection: read from their
   * events, then each summary by key. Job summaries are in no index, which saves every event the writes
   * that moving them there cost (write units in core/table-schema.ts).
   */
  async jobs(filter: HistoryFilter): Promise<HistoryPage> {
    const ids: string[] = [];
    let cursor: unknown;
    // A job has a handful of events: pages of a few per wanted job reach `limit` jobs in one or two reads.
    // One job past the limit says whether more match.
    do {
      const page = await this.table.page({ ...this.eventsQuery(filter), limit: filter.limit * 4 }, cursor);
      for (const event of page.items) {
        const id = String(event.sync_job_id);
        if (!ids.includes(id) && ids.length <= filter.limit) ids.push(id);
      }
      cursor = page.next;
    } while (cursor !== undefined && ids.length <= filter.limit);
    const summaries = await Promise.all(ids.slice(0, filter.limit).map((id) => this.table.get(keys.job(id))));
    return {
      items: summaries.filter((job): job is Item => job !== undefined),
      more: ids.length > filter.limit,
    };
  }

  /**
   * Pages until `limit` items are read: a Query page stops at 1 MB whatever its Limit, about a thousand
   * audit events, so one page is not "the newest `limit`". One item past the limit says whether more match.
   */
  private async indexedHistory(filter: HistoryFilter): Promise<HistoryPage> {
    const query = this.eventsQuery(filter);
    const items: Item[] = [];
    let cursor: unknown;
    do {
      const page = await this.table.page({ ...query, limit: filter.limit + 1 - items.length }, cursor);
      items.push(...page.items);
      cursor = page.next;
    } while (cursor !== undefined && items.length <= filter.limit);
    return { items: items.slice(0, filter.limit), more: items.length > filter.limit };
  }

  private eventsQuery(filter: HistoryFilter): ItemQuery {
    const bySource = filter.source !== undefined;
    return {
      index: bySource ? 'gsi1' : 'gsi2',
      partition: bySource ? `SRC#${filter.source}` : `COLL#${filter.collection ?? ''}`,
      // '~' sorts after every character a timestamp and id can contain, closing the range at `until`.
      sort: { between: [`E#${filter.since ?? ''}`, `E#${filter.until ?? ''}~`] },
      descending: true,
    };
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
