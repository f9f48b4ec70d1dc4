import * as z from 'zod/mini';
import './zod';
import { isLifecycleEventType, stateOf, type JobState, type LifecycleEventType } from './job-state';
import { normalizeTimestamp, type TimestampOptions } from './timestamp';
import { sourceKey } from './table-schema';

/**
 * One internal shape for both payload generations Airweave sends (docs/DESIGN.md section 3). Field names stay
 * the payload's snake_case: they are stored as is, and the HTTP and CLI JSON output keep them.
 */
export interface SyncEvent {
  readonly event_type: LifecycleEventType;
  readonly state: JobState;
  /** Normalized UTC, six fraction digits, `Z`. */
  readonly timestamp: string;
  readonly sync_job_id: string;
  readonly sync_id: string | null;
  readonly organization_id: string | null;
  /** The collection's readable id, or its UUID when the readable id is empty: the freshness key. */
  readonly collection_readable_id: string;
  readonly collection_id: string | null;
  readonly collection_name: string;
  readonly source_connection_id: string | null;
  readonly source_type: string;
  /** `source_connection_id`, or `type:<source_type>` for legacy payloads that omit it. */
  readonly source_key: string;
  readonly entities_inserted: number;
  readonly entities_updated: number;
  readonly entities_deleted: number;
  readonly entities_skipped: number;
  readonly chunks_written: number;
  readonly error: string | null;
  /** `api`: rebuilt by the reconciler from Airweave's jobs endpoint (`core/airweave.ts`). */
  readonly payload_format: 'current' | 'legacy' | 'api';
  /** How the stack learned of it: a webhook delivery, or the reconciler asking Airweave's API. */
  readonly origin: EventOrigin;
}

export type EventOrigin = 'webhook' | 'reconciled';

export type Classified =
  | { readonly kind: 'lifecycle'; readonly event: SyncEvent }
  | { readonly kind: 'ignored'; readonly eventType: string }
  | { readonly kind: 'unparseable'; readonly reason: string };

const MAX_FIELD = 1024;
// zod/mini: the same validation as classic zod at a fraction of the bundle (the webhook's cold start).
const id = z.string().check(z.minLength(1), z.maxLength(MAX_FIELD));
const text = z.string().check(z.maxLength(MAX_FIELD));
const count = z._default(z.int().check(z.minimum(0)), 0);
/**
 * An RFC 3339 calendar time with `Z` or an offset, normalized (`core/timestamp.ts`). The legacy payload
 * also carries Python's naive `isoformat`, which Airweave means as UTC.
 */
const timestampOf = (options: TimestampOptions) =>
  z.pipe(
    z.string().check(z.maxLength(64)),
    z.transform((value: string, ctx) => {
      const normalized = normalizeTimestamp(value, options);
      if (normalized === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: `expected an RFC 3339 calendar time with ${options.naiveIsUtc ? 'an optional' : 'a'} zone (Z or +hh:mm)`,
          input: value,
        });
        return z.NEVER;
      }
      return normalized;
    }),
  );
const timestamp = timestampOf({});
const legacyTimestamp = timestampOf({ naiveIsUtc: true });
const error = z.pipe(
  // No length limit of its own: the body's 256 KiB bounds it, and every item that stores it (audit event,
  // job, freshness with its capped failure log) stays under DynamoDB's 400 KB item limit with it. Kept
  // whole in the audit; alerts and the events topic cut it to SNS's size (`core/outbound.ts`).
  z.nullish(z.string()),
  z.transform((v: string | null | undefined) => v ?? null),
);

/** The flat payload Airweave sends today. Unknown extra fields are accepted: the sender may add some. */
const currentPayload = z.object({
  event_type: z.string(),
  timestamp,
  organization_id: z.nullish(id),
  sync_id: z.nullish(id),
  sync_job_id: id,
  collection_id: z.nullish(id),
  source_connection_id: z.nullish(id),
  source_type: z._default(text, ''),
  collection_name: z._default(text, ''),
  collection_readable_id: z._default(text, ''),
  entities_inserted: count,
  entities_updated: count,
  entities_deleted: count,
  entities_skipped: count,
  chunks_written: count,
  error,
});

/** The payload sent until early 2026 and by older self-hosted installs; `job_id` is the sync job id. */
const legacyPayload = z.object({
  event_type: z.string(),
  job_id: id,
  collection_readable_id: id,
  collection_name: z._default(text, ''),
  source_connection_id: z.nullish(id),
  source_type: z._default(text, ''),
  status: z.nullish(text),
  timestamp: legacyTimestamp,
  error,
});

/**
 * Classifies a verified delivery body: a lifecycle event (normalized), another Airweave event to ignore,
 * or something signed but unusable, which the caller quarantines rather than loses.
 */
export function classifyPayload(body: string): Classified {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return { kind: 'unparseable', reason: 'body is not JSON' };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return { kind: 'unparseable', reason: 'body is not a JSON object' };
  const eventType = (document as Record<string, unknown>).event_type;
  if (typeof eventType !== 'string' || eventType.length === 0)
    return { kind: 'unparseable', reason: 'event_type is missing' };
  if (!isLifecycleEventType(eventType)) return { kind: 'ignored', eventType: eventType.slice(0, 128) };

  const isLegacy = 'job_id' in document && !('sync_job_id' in document);
  const parsed = isLegacy ? legacyPayload.safeParse(document) : currentPayload.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    return { kind: 'unparseable', reason: `invalid ${eventType} payload: ${problems.join('; ')}` };
  }
  const event = isLegacy
    ? fromLegacy(eventType, parsed.data as z.infer<typeof legacyPayload>)
    : fromCurrent(eventType, parsed.data as z.infer<typeof currentPayload>);
  if (event.collection_readable_id === '')
    return { kind: 'unparseable', reason: 'neither collection_readable_id nor collection_id is set' };
  return { kind: 'lifecycle', event };
}

function fromCurrent(type: LifecycleEventType, p: z.infer<typeof currentPayload>): SyncEvent {
  const sourceConnectionId = p.source_connection_id ?? null;
  return {
    event_type: type,
    state: stateOf(type),
    timestamp: p.timestamp,
    sync_job_id: p.sync_job_id,
    sync_id: p.sync_id ?? null,
    organization_id: p.organization_id ?? null,
    collection_readable_id: p.collection_readable_id || (p.collection_id ?? ''),
    collection_id: p.collection_id ?? null,
    collection_name: p.collection_name,
    source_connection_id: sourceConnectionId,
    source_type: p.source_type,
    source_key: sourceKey(sourceConnectionId, p.source_type),
    entities_inserted: p.entities_inserted,
    entities_updated: p.entities_updated,
    entities_deleted: p.entities_deleted,
    entities_skipped: p.entities_skipped,
    chunks_written: p.chunks_written,
    error: type === 'sync.failed' ? (p.error ?? null) : null,
    payload_format: 'current',
    origin: 'webhook',
  };
}

function fromLegacy(type: LifecycleEventType, p: z.infer<typeof legacyPayload>): SyncEvent {
  const sourceConnectionId = p.source_connection_id ?? null;
  return {
    event_type: type,
    state: stateOf(type),
    timestamp: p.timestamp,
    sync_job_id: p.job_id,
    sync_id: null,
    organization_id: null,
    collection_readable_id: p.collection_readable_id,
    collection_id: null,
    collection_name: p.collection_name,
    source_connection_id: sourceConnectionId,
    source_type: p.source_type,
    source_key: sourceKey(sourceConnectionId, p.source_type),
    entities_inserted: 0,
    entities_updated: 0,
    entities_deleted: 0,
    entities_skipped: 0,
    chunks_written: 0,
    error: type === 'sync.failed' ? (p.error ?? null) : null,
    payload_format: 'legacy',
    origin: 'webhook',
  };
}
