import * as z from 'zod/mini';
import './zod';
import type { SyncEvent } from './events';
import { type JobState, type LifecycleEventType, rankOf } from './job-state';
import { sourceKey } from './table-schema';
import { normalizeTimestamp } from './timestamp';

/**
 * Airweave's REST API as the reconciler reads it (read-only), parsed once at the boundary. Field names are
 * the API's (`readable_id`, `short_name`, `readable_collection_id`, ...). Every schema tolerates missing
 * optional fields and ignores unknown extra ones: the sender adds fields over time, and a reconciliation
 * must not stop because of one it does not need.
 *
 * Endpoints (all with the `x-api-key` header):
 * - `GET /collections?skip=&limit=`
 * - `GET /source-connections?collection=<readable_id>&skip=&limit=`
 * - `GET /source-connections/{id}/jobs?limit=N`, newest first
 */
export const API_KEY_HEADER = 'x-api-key';
/**
 * The value the stack's API key secret is created with: while the secret holds it, reconciliation is "not
 * configured" and does nothing (README: "Set the Airweave API key").
 */
export const API_KEY_PLACEHOLDER = 'not-configured: put your Airweave API key here';

/** The page size of the listing endpoints (Airweave allows 1-1000; its default is 100). */
export const PAGE_SIZE = 100;

export interface ApiCollection {
  readonly id: string | null;
  readonly readable_id: string;
  readonly name: string;
}

export interface ApiSourceConnection {
  readonly id: string;
  readonly name: string;
  readonly short_name: string;
  readonly readable_collection_id: string;
  readonly status: string | null;
}

export interface ApiJob {
  readonly id: string;
  readonly source_connection_id: string | null;
  /** As the API wrote it, lower-cased (`pending`, `RUNNING` -> `running`, ...). */
  readonly status: string;
  readonly created_at: string | null;
  readonly started_at: string | null;
  readonly completed_at: string | null;
  readonly failed_at: string | null;
  readonly error: string | null;
  readonly entities_inserted: number;
  readonly entities_updated: number;
  readonly entities_deleted: number;
  readonly entities_skipped: number;
}

const MAX_FIELD = 1024;
const id = z.string().check(z.minLength(1), z.maxLength(MAX_FIELD));
const optionalText = z.pipe(
  z.nullish(z.string().check(z.maxLength(MAX_FIELD))),
  z.transform((v: string | null | undefined) => v ?? ''),
);
/** A time the API may omit, send as null, or (older installs) send without a zone, meaning UTC. */
const time = z.pipe(
  z.nullish(z.string().check(z.maxLength(64))),
  z.transform((v: string | null | undefined, ctx) => {
    if (v === null || v === undefined || v === '') return null;
    const normalized = normalizeTimestamp(v, { naiveIsUtc: true });
    if (normalized === undefined) {
      ctx.issues.push({ code: 'custom', message: 'expected an ISO-8601 time', input: v });
      return z.NEVER;
    }
    return normalized;
  }),
);
const count = z.pipe(
  z.nullish(z.number()),
  z.transform((v: number | null | undefined) => (Number.isInteger(v) && (v as number) >= 0 ? v! : 0)),
);

const collectionSchema = z.object({ id: z.nullish(id), readable_id: id, name: optionalText });
const sourceConnectionSchema = z.object({
  id,
  name: optionalText,
  short_name: optionalText,
  readable_collection_id: id,
  status: z.nullish(z.string().check(z.maxLength(MAX_FIELD))),
});
const jobSchema = z.object({
  id,
  source_connection_id: z.nullish(id),
  status: z.string().check(z.minLength(1), z.maxLength(64)),
  created_at: time,
  started_at: time,
  completed_at: time,
  failed_at: time,
  error: z.nullish(z.string().check(z.maxLength(8192))),
  entities_inserted: count,
  entities_updated: count,
  entities_deleted: count,
  entities_skipped: count,
});

/** A body the API answered with 2xx but that is not what the endpoint documents. */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
}

/** Items of a list, each parsed alone: one bad item is skipped and named, the rest are kept. */
export interface Parsed<T> {
  readonly items: T[];
  /** One line per item that could not be read: `[3] status: expected string`. */
  readonly skipped: string[];
}

function parseList<T>(body: unknown, schema: z.ZodMiniType<T>, what: string): Parsed<T> {
  // Airweave answers lists as a bare array; a wrapper object ({ items | data: [...] }) is read the same way.
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null
      ? ((body as Record<string, unknown>).items ?? (body as Record<string, unknown>).data)
      : undefined;
  if (!Array.isArray(list)) throw new MalformedResponseError(`${what}: expected a JSON array`);
  const items: T[] = [];
  const skipped: string[] = [];
  list.forEach((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) items.push(result.data);
    else
      skipped.push(
        `[${index}] ${result.error.issues.map((i) => `${i.path.join('.') || 'item'}: ${i.message}`).join('; ')}`,
      );
  });
  return { items, skipped };
}

export function parseCollections(body: unknown): Parsed<ApiCollection> {
  const parsed = parseList(body, collectionSchema, 'collections');
  return { skipped: parsed.skipped, items: parsed.items.map((c) => ({ ...c, id: c.id ?? null })) };
}

export function parseSourceConnections(body: unknown): Parsed<ApiSourceConnection> {
  const parsed = parseList(body, sourceConnectionSchema, 'source connections');
  return { skipped: parsed.skipped, items: parsed.items.map((s) => ({ ...s, status: s.status ?? null })) };
}

export function parseJobs(body: unknown): Parsed<ApiJob> {
  const parsed = parseList(body, jobSchema, 'jobs');
  return {
    skipped: parsed.skipped,
    items: parsed.items.map((job) => ({
      ...job,
      source_connection_id: job.source_connection_id ?? null,
      status: job.status.toLowerCase(),
      error: job.error ?? null,
    })),
  };
}

/**
 * Airweave's job statuses to the lifecycle's states. The API has spelled them several ways over time
 * (`created`, `in_progress`; upper case in its docs), the webhooks one way; undefined for a status it may
 * add later, which the reconciler skips and reports rather than guesses.
 */
export function jobState(status: string): JobState | undefined {
  switch (status.toLowerCase()) {
    case 'created':
    case 'pending':
      return 'pending';
    case 'running':
    case 'in_progress':
      return 'running';
    case 'cancelling':
      return 'cancelling';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

/** What a job's events need to know about where it ran, from the listings. */
export interface JobContext {
  readonly collection: Pick<ApiCollection, 'id' | 'readable_id' | 'name'>;
  readonly source: Pick<ApiSourceConnection, 'id' | 'short_name'>;
}

export type JobEvents =
  | { readonly kind: 'events'; readonly events: SyncEvent[] }
  | { readonly kind: 'unknown-status'; readonly status: string }
  | { readonly kind: 'no-times' };

/**
 * The lifecycle events a webhook would have delivered for the states this job has reached, each at the
 * API's time for that state: `pending` at `created_at`, `running` at `started_at`, the terminal state at
 * `completed_at` (a failure at `failed_at`, else `completed_at`). A state is only claimed when the API
 * shows it: a job cancelled before it started gets no `running`, and `cancelling`, which has no time of
 * its own, is dated at the latest time the job has. Where the API omits a time the next earlier one
 * stands in, so the event is never dated later than the truth and freshness never jumps ahead of it.
 */
export function jobEvents(job: ApiJob, context: JobContext): JobEvents {
  const state = jobState(job.status);
  if (state === undefined) return { kind: 'unknown-status', status: job.status.slice(0, 64) };
  const rank = rankOf(state);
  const latest = job.started_at ?? job.created_at;
  const terminalAt =
    state === 'failed'
      ? (job.failed_at ?? job.completed_at ?? latest)
      : state === 'completed' || state === 'cancelled'
        ? (job.completed_at ?? job.failed_at ?? latest)
        : null;
  const reached: [LifecycleEventType, string | null][] = [['sync.pending', job.created_at]];
  if (rank >= rankOf('running') && (job.started_at !== null || state === 'running'))
    reached.push(['sync.running', job.started_at ?? job.created_at]);
  if (state === 'cancelling') reached.push(['sync.cancelling', latest]);
  if (terminalAt !== null) reached.push([`sync.${state}` as LifecycleEventType, terminalAt]);
  const events = reached
    .filter((entry): entry is [LifecycleEventType, string] => entry[1] !== null)
    .map(([type, timestamp]) => toEvent(job, context, type, timestamp));
  if (events.length === 0) return { kind: 'no-times' };
  return { kind: 'events', events };
}

function toEvent(
  job: ApiJob,
  { collection, source }: JobContext,
  type: LifecycleEventType,
  timestamp: string,
): SyncEvent {
  const sourceConnectionId = job.source_connection_id ?? source.id;
  return {
    event_type: type,
    state: type.slice('sync.'.length) as JobState,
    timestamp,
    sync_job_id: job.id,
    sync_id: null,
    organization_id: null,
    collection_readable_id: collection.readable_id,
    collection_id: collection.id,
    collection_name: collection.name,
    source_connection_id: sourceConnectionId,
    source_type: source.short_name,
    source_key: sourceKey(sourceConnectionId, source.short_name),
    entities_inserted: job.entities_inserted,
    entities_updated: job.entities_updated,
    entities_deleted: job.entities_deleted,
    entities_skipped: job.entities_skipped,
    chunks_written: 0,
    error: type === 'sync.failed' ? job.error : null,
    payload_format: 'api',
    origin: 'reconciled',
  };
}

/**
 * What an API answer means for the run, by status code (never by message text):
 * - `unauthorized` (401, 403): the key is wrong or revoked; the run stops and operations hear of it once;
 * - `back-off` (429, 5xx, no answer at all): Airweave is busy or down; the run stops calling it and the
 *   next scheduled run tries again (a retry storm against a rate limit only extends it);
 * - `gone` (404): the source connection was deleted between the listing and this call; skip it;
 * - `rejected` (any other 4xx): this request is wrong and would be wrong again; skip it and report.
 */
export type ApiFailureKind = 'unauthorized' | 'back-off' | 'gone' | 'rejected';

export function apiFailureKind(status: number | undefined): ApiFailureKind {
  if (status === undefined) return 'back-off';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 429 || status >= 500) return 'back-off';
  if (status === 404) return 'gone';
  return 'rejected';
}

/** A non-2xx answer, or no answer (`status` undefined: a network error or a timeout). */
export class AirweaveApiError extends Error {
  override readonly name = 'AirweaveApiError';
  readonly kind: ApiFailureKind;

  constructor(
    readonly status: number | undefined,
    readonly path: string,
    detail: string,
  ) {
    super(`${status ?? 'no answer'} from GET ${path}: ${detail}`);
    this.kind = apiFailureKind(status);
  }
}

/** The port the reconciler reads Airweave through; the HTTP adapter and the tests' stand-in implement it. */
export interface AirweaveApi {
  collections(): Promise<Parsed<ApiCollection>>;
  sourceConnections(collection: string): Promise<Parsed<ApiSourceConnection>>;
  /** The source connection's latest `limit` jobs, newest first. */
  jobs(sourceConnectionId: string, limit: number): Promise<Parsed<ApiJob>>;
}
