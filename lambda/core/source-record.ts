import type { KeyedRule } from './claims';
import { cond, type Item } from './conditions';
import type { NoticeKind, SourceIdentity } from './reconcile';
import { keys } from './table-schema';

/**
 * The source registry's rules (reconciliation and the source lifecycle, docs/DESIGN.md section 9), as
 * data like the job's and freshness's: a listed source is a freshness item without events, and each
 * change to it is one single-item conditional write. The DynamoDB adapter compiles them, the in-memory
 * table executes them, and the store property test holds the two equal on the local engine.
 */
export const sourceRecord = {
  /**
   * The item that lists a source (written only when its key is new): a source with events keeps its
   * record untouched, and an event recorded later moves the new item forward like any other (its
   * registers start empty).
   */
  listed: (source: SourceIdentity, at: string): Item => ({
    ...keys.freshness(source.collection_readable_id, source.source_key),
    ...keys.freshnessGsi1(source.collection_readable_id, source.source_key),
    entity: 'freshness',
    ...source,
    registered_at: at,
  }),

  /**
   * Retires a listed source; the first retirement's time stays, so a repeated delivery changes nothing.
   * Never on an item that does not exist: it would lack its identity and index keys.
   */
  retire: (collection: string, sourceKey: string, at: string): KeyedRule => ({
    key: keys.freshness(collection, sourceKey),
    when: cond.all(cond.present('pk'), cond.absent('retired_at')),
    set: { retired_at: at },
  }),

  /** The reconciler confirmed the source's latest job at `at`: only forward, only on a listed source. */
  verify: (collection: string, sourceKey: string, at: string): KeyedRule => ({
    key: keys.freshness(collection, sourceKey),
    when: cond.all(cond.present('pk'), cond.any(cond.absent('verified_at'), cond.lt('verified_at', at))),
    set: { verified_at: at },
  }),

  /** A once-per-episode operations notice (written only when its key is new; deleted to end the episode). */
  notice: (kind: NoticeKind, at: string): Item => ({
    ...keys.reconcileNotice(kind),
    entity: 'notice',
    kind,
    opened_at: at,
  }),
};

/**
 * How many of a source's latest audit events `previousJob` reads: the job's own events come first (at most
 * one per lifecycle state, six), then the previous job's.
 */
export const PREVIOUS_JOB_SCAN = 8;
