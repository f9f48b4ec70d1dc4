import type { Item } from './conditions';
import type { SyncEvent } from './events';
import type { FreshnessRecord } from './freshness';
import { applyToFreshness, toFreshnessRecord } from './freshness-record';
import { transitionKey } from './job-state';

/**
 * The freshness record that a set of events leaves: the store's own register rules
 * (`freshness-record.ts`, which DynamoDB compiles and memory executes) applied to each event, so the record
 * rebuilt for a past time and the live one cannot disagree on a rule. Each register moves only to a newer
 * value, so the order events are folded in does not matter; they are folded in event order, as an
 * in-order delivery would apply them. Undefined for no events (the store has no record then).
 */
export function foldFreshness(events: readonly SyncEvent[]): FreshnessRecord | undefined {
  const ordered = [...events].sort((a, b) =>
    transitionKey(a.timestamp, a.state).localeCompare(transitionKey(b.timestamp, b.state)),
  );
  let item: Item | undefined;
  for (const event of ordered) item = applyToFreshness(item, event) ?? item;
  return item && toFreshnessRecord(item);
}
