import * as z from 'zod/mini';
import './zod';
import type { SyncEvent } from './events';
import { rankOf } from './job-state';
import type { FreshnessReader } from './ports';
import type { SourceIdentity, SourceRegistry } from './reconcile';
import { sourceKey } from './table-schema';
import { normalizeTimestamp } from './timestamp';

/**
 * Airweave's source connection and collection lifecycle events that change which sources the record
 * lists. Payloads (Airweave's `SourceConnectionLifecycleEvent` and `CollectionLifecycleEvent`, flat like
 * the sync events): `source_connection.*` carries `source_connection_id`, `collection_readable_id`,
 * `source_type` (the short name) and `organization_id`; `collection.*` carries `collection_id`,
 * `collection_name` and `collection_readable_id`. Other lifecycle events (`source_connection.auth_completed`,
 * `collection.created`, `collection.updated`) change nothing here and stay ignored.
 */
export const SOURCE_LIFECYCLE_TYPES = [
  'source_connection.created',
  'source_connection.deleted',
  'collection.deleted',
] as const;
export type SourceLifecycleType = (typeof SOURCE_LIFECYCLE_TYPES)[number];

export function isSourceLifecycleType(type: string): type is SourceLifecycleType {
  return (SOURCE_LIFECYCLE_TYPES as readonly string[]).includes(type);
}

export type SourceLifecycle =
  | { readonly kind: 'source-created'; readonly source: SourceIdentity; readonly at: string | null }
  | {
      readonly kind: 'source-deleted';
      readonly collection: string;
      readonly source_key: string;
      readonly at: string | null;
    }
  | { readonly kind: 'collection-deleted'; readonly collection: string; readonly at: string | null }
  | { readonly kind: 'unparseable'; readonly reason: string };

const id = z.string().check(z.minLength(1), z.maxLength(1024));
const text = z._default(z.string().check(z.maxLength(1024)), '');
const sourcePayload = z.object({
  source_connection_id: id,
  collection_readable_id: id,
  source_type: text,
  collection_name: text,
  collection_id: z.nullish(id),
  timestamp: z.nullish(z.string()),
});
const collectionPayload = z.object({
  collection_readable_id: id,
  collection_id: z.nullish(id),
  collection_name: text,
  timestamp: z.nullish(z.string()),
});

/** Reads one of these events' payloads; an unusable one is quarantined like any other signed body. */
export function parseSourceLifecycle(type: SourceLifecycleType, document: unknown): SourceLifecycle {
  const schema = type === 'collection.deleted' ? collectionPayload : sourcePayload;
  const parsed = schema.safeParse(document);
  if (!parsed.success) {
    // Stryker disable next-line StringLiteral: the payloads are flat, so a path has at most one segment to join
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    return { kind: 'unparseable', reason: `invalid ${type} payload: ${problems.join('; ')}` };
  }
  const at = parsed.data.timestamp ? (normalizeTimestamp(parsed.data.timestamp) ?? null) : null;
  if (type === 'collection.deleted')
    return { kind: 'collection-deleted', collection: parsed.data.collection_readable_id, at };
  const p = parsed.data as z.infer<typeof sourcePayload>;
  const key = sourceKey(p.source_connection_id, p.source_type);
  if (type === 'source_connection.deleted')
    return { kind: 'source-deleted', collection: p.collection_readable_id, source_key: key, at };
  return {
    kind: 'source-created',
    at,
    source: {
      collection_readable_id: p.collection_readable_id,
      collection_name: p.collection_name,
      collection_id: p.collection_id ?? null,
      source_connection_id: p.source_connection_id,
      source_type: p.source_type,
      source_key: key,
    },
  };
}

export interface SourceLifecycleDeps {
  readonly registry: SourceRegistry;
  readonly freshness: FreshnessReader;
}

/**
 * Applies one: a created source is listed at once (`unknown`, awaiting its first sync); a deleted source,
 * or every source of a deleted collection, is retired (no more stale alerts or pipeline blocks, history
 * kept). Each write is idempotent, so a repeated delivery changes nothing. True when something changed.
 */
export async function applySourceLifecycle(
  deps: SourceLifecycleDeps,
  change: Exclude<SourceLifecycle, { kind: 'unparseable' }>,
  receivedAt: string,
): Promise<boolean> {
  const at = change.at ?? receivedAt;
  switch (change.kind) {
    case 'source-created':
      return deps.registry.registerSource(change.source, at);
    case 'source-deleted':
      return deps.registry.retireSource(change.collection, change.source_key, at);
    case 'collection-deleted': {
      const records = await deps.freshness.collectionFreshness(change.collection);
      const results = await Promise.all(
        records.map((r) => deps.registry.retireSource(change.collection, r.source_key, at)),
      );
      return results.some(Boolean);
    }
  }
}

/**
 * Whether a `pending` or `running` of a new job arrived while the source's previous job has no terminal
 * state: its end was probably lost, and the source deserves a look at the API.
 */
export async function previousJobUnfinished(
  registry: SourceRegistry,
  event: Pick<SyncEvent, 'source_key' | 'sync_job_id' | 'state'>,
): Promise<boolean> {
  if (event.state !== 'pending' && event.state !== 'running') return false;
  const previous = await registry.previousJob(event.source_key, event.sync_job_id);
  return previous !== undefined && rankOf(previous.state) < rankOf('completed');
}
