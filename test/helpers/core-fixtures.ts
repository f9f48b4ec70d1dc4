import { parseConfig } from '../../lambda/core/config';
import { classifyPayload, type SyncEvent } from '../../lambda/core/events';
import { emptyRecord, type FreshnessRecord } from '../../lambda/core/freshness';
import { type CurrentPayload, currentPayload } from '../../harness/deliveries';

/**
 * Fixtures for the pure core tests (`*.core.test.ts`, which `npm run mutate` runs against every mutant):
 * events go through the real payload classifier and settings through the real config parser, so a test
 * holds whatever form the parsed settings take.
 */
export function syncEvent(overrides: Partial<CurrentPayload> = {}): SyncEvent {
  const classified = classifyPayload(JSON.stringify(currentPayload(overrides)));
  if (classified.kind !== 'lifecycle')
    throw new Error(`not a lifecycle event: ${JSON.stringify(classified)}`);
  return classified.event;
}

/** A source's record: the identity of the fixture payload's source, every register empty unless given. */
export function sourceRecord(overrides: Partial<FreshnessRecord> = {}): FreshnessRecord {
  const source = currentPayload();
  return {
    ...emptyRecord({
      collection_readable_id: source.collection_readable_id,
      collection_name: source.collection_name,
      source_key: overrides.source_connection_id ?? source.source_connection_id,
      source_connection_id: source.source_connection_id,
      source_type: source.source_type,
    }),
    ...overrides,
  };
}

/** The settings a config document parses into. */
export const settingsOf = (document: Record<string, unknown>) => parseConfig(document);
