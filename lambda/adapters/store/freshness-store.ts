import type { FreshnessRecord } from '../../core/freshness';
import { toFreshnessRecord } from '../../core/freshness-record';
import type { FreshnessReader } from '../../core/ports';
import { keys } from '../../core/table-schema';
import type { ItemTable } from './item-table';

/** Freshness reads (access patterns 1 and 2 of docs/DESIGN.md section 4). */
export class TableFreshness implements FreshnessReader {
  constructor(protected readonly table: ItemTable) {}

  async collectionFreshness(collection: string): Promise<FreshnessRecord[]> {
    const items = await this.table.query({
      partition: keys.freshness(collection, '').pk,
      sort: { beginsWith: 'SRC#' },
      // Strongly consistent: the pipeline gate decides on this read right after this delivery's own write,
      // and two sources completing together must each see the other's write (one of them will).
      consistent: true,
    });
    return items.map(toFreshnessRecord);
  }

  async allFreshness(): Promise<FreshnessRecord[]> {
    const items = await this.table.query({ index: 'gsi1', partition: keys.freshnessGsi1('', '').gsi1pk });
    return items.map(toFreshnessRecord);
  }
}
