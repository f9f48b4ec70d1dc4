import {
  collectionFreshness,
  collectionsFreshness,
  listed,
  type CollectionFreshness,
} from '../../lambda/core/freshness';
import { parseDuration } from '../../lambda/core/duration';
import { BOOKKEEPING_ATTRIBUTES } from '../../lambda/core/table-schema';
import { fromDate, normalizeTimestamp } from '../../lambda/core/timestamp';
import { CliError, UsageError } from '../errors';
import { ago, duration, line, paint, status, table, time, truncate, when } from '../format';
import type { Output } from '../output';
import type { Target } from '../target';

type Print = (line: string) => void;
type Item = Record<string, unknown>;

/** What is no business of a reader: the table's bookkeeping, and the ranks the ordering rules write. */
const INTERNAL: ReadonlySet<string> = new Set([...BOOKKEEPING_ATTRIBUTES, 'state_rank', 'terminal_key']);

export function publicFields(item: Item): Item {
  return Object.fromEntries(
    Object.entries(item)
      .filter(([key]) => !INTERNAL.has(key))
      .map(([key, value]) => [key, value instanceof Set ? [...value] : value]),
  );
}

/** `--since 2h` (a duration back from now) or an ISO time, as a normalized timestamp. */
export function timeBound(text: string | undefined, flag: string, now = new Date()): string | undefined {
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds !== undefined) return fromDate(new Date(now.getTime() - seconds * 1000));
  const normalized = normalizeTimestamp(text, { naiveIsUtc: true });
  if (normalized === undefined)
    throw new UsageError(`${flag} takes a duration (30m, 6h, 2d) or an ISO-8601 time, got "${text}"`);
  return normalized;
}

/** Prints freshness; `unhealthy` is true when any source is stale or failed (`--check` exits 3 then). */
export async function freshness(
  target: Target,
  options: { collection?: string; json?: boolean; all?: boolean },
  print: Print,
): Promise<{ unhealthy: boolean }> {
  const now = new Date();
  const rules = target.config.freshness;
  let collections: CollectionFreshness[];
  if (options.collection) {
    const records = await target.store.collectionFreshness(options.collection);
    if (records.length === 0)
      throw new CliError(`no events recorded for collection ${options.collection} in ${target.name}`);
    collections = [collectionFreshness(options.collection, listed(records, options.all), rules, now)];
  } else {
    collections = collectionsFreshness(listed(await target.store.allFreshness(), options.all), rules, now);
  }
  const unhealthy = collections.some((c) =>
    c.sources.some((s) => s.status === 'stale' || s.status === 'failed'),
  );
  if (options.json) {
    print(JSON.stringify(options.collection ? collections[0] : { collections }));
    return { unhealthy };
  }
  if (collections.length === 0) {
    print(line`No events recorded yet in ${target.name}.`);
    return { unhealthy };
  }
  const rows = collections.flatMap((c) =>
    c.sources.map((s) => [
      c.collection_readable_id,
      s.source_type || '-',
      status(s.status),
      when(s.last_success_at, now.getTime()),
      s.max_age_seconds === null ? '-' : duration(s.max_age_seconds),
      s.running_since ? `since ${when(s.running_since, now.getTime())}` : '',
      s.consecutive_failures > 0 ? `${s.consecutive_failures}x ${truncate(s.last_error, 50)}` : '',
    ]),
  );
  print(table(['COLLECTION', 'SOURCE', 'STATUS', 'LAST SUCCESS', 'SLA', 'ACTIVE JOB', 'FAILURES'], rows));
  const stale = collections.filter((c) => c.stale).map((c) => c.collection_readable_id);
  if (stale.length > 0) print(line`\n${paint(`stale: ${stale.join(', ')}`, 'yellow')}`);
  return { unhealthy };
}

interface HistoryOptions {
  readonly collection?: string;
  readonly source?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit?: string;
  readonly json?: boolean;
}

function limitOf(text: string | undefined): number {
  if (text === undefined) return 50;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new UsageError(`--limit takes a number from 1 to 10000, got "${text}"`);
  return limit;
}

/**
 * The partitions to read: one source (by connection id, or every source of that type), one collection,
 * or, with no filter, every collection. One Query each, merged newest first.
 */
async function partitions(
  target: Target,
  options: HistoryOptions,
): Promise<Array<{ source?: string; collection?: string }>> {
  if (options.source === undefined) {
    if (options.collection !== undefined) return [{ collection: options.collection }];
    const collections = new Set((await target.store.allFreshness()).map((r) => r.collection_readable_id));
    return [...collections].map((collection) => ({ collection }));
  }
  const records = (await target.store.allFreshness()).filter(
    (r) => options.collection === undefined || r.collection_readable_id === options.collection,
  );
  const byKey = records.filter((r) => r.source_key === options.source);
  const matched = byKey.length > 0 ? byKey : records.filter((r) => r.source_type === options.source);
  if (matched.length === 0) return [{ source: options.source }];
  return [...new Set(matched.map((r) => r.source_key))].map((source) => ({ source }));
}

/**
 * The newest `--limit` items across the partitions, each read page by page until the limit; `more` when
 * any partition had more, or together they had more than the limit.
 */
async function history(
  target: Target,
  kind: 'events' | 'jobs',
  options: HistoryOptions,
): Promise<{ items: Item[]; more: boolean }> {
  const limit = limitOf(options.limit);
  const since = timeBound(options.since, '--since');
  const until = timeBound(options.until, '--until');
  const parts = await partitions(target, options);
  const pages = await Promise.all(parts.map((p) => target.store[kind]({ ...p, since, until, limit })));
  const sortKey = kind === 'events' ? 'timestamp' : 'updated_at';
  const items = pages
    .flatMap((page) => page.items)
    .filter((item) => options.collection === undefined || item.collection_readable_id === options.collection)
    .sort((a, b) => String(b[sortKey]).localeCompare(String(a[sortKey])));
  return { items: items.slice(0, limit), more: items.length > limit || pages.some((page) => page.more) };
}

/** On stderr, so that `--json | jq` reads the result only: a list cut at --limit says so. */
function noteMore(out: Output, what: string, shown: number): void {
  out.note(
    `sync-events: showing the newest ${shown} ${what}; more match: raise --limit (up to 10000) or narrow ` +
      'the range with --since/--until',
  );
}

export async function audit(target: Target, options: HistoryOptions, out: Output): Promise<number> {
  const { print } = out;
  const { items: events, more } = await history(target, 'events', options);
  if (more) noteMore(out, 'events', events.length);
  if (options.json) {
    print(JSON.stringify({ events: events.map(publicFields), truncated: more }));
    return 0;
  }
  if (events.length === 0) return (print(line`No events match in ${target.name}.`), 0);
  const now = Date.now();
  print(
    table(
      ['TIME', 'AGE', 'EVENT', 'COLLECTION', 'SOURCE', 'JOB', 'SVIX-ID', 'ERROR'],
      events.map((e) => [
        time(String(e.timestamp)),
        ago(String(e.timestamp), now),
        status(String(e.event_type).replace('sync.', '')),
        String(e.collection_readable_id),
        String(e.source_type || '-'),
        String(e.sync_job_id),
        paint(String(e.svix_id), 'gray'),
        truncate(e.error as string | null, 60),
      ]),
    ),
  );
  return 0;
}

function jobDuration(job: Item): number | null {
  const start = (job.running_at ?? job.pending_at) as string | undefined;
  const end = (job.completed_at ?? job.failed_at ?? job.cancelled_at) as string | undefined;
  return start && end ? Math.max(0, (Date.parse(end) - Date.parse(start)) / 1000) : null;
}

export async function jobs(
  target: Target,
  jobId: string | undefined,
  options: HistoryOptions,
  out: Output,
): Promise<number> {
  const { print } = out;
  if (jobId !== undefined) {
    const { job, events } = await target.store.job(jobId);
    if (!job) throw new CliError(`no job ${jobId} in ${target.name}`);
    const summary = {
      ...publicFields(job),
      duration_seconds: jobDuration(job),
      events: events.map(publicFields),
    };
    if (options.json) return (print(JSON.stringify(summary)), 0);
    print(
      line`job ${jobId}: ${status(String(job.state))}  ${String(job.collection_readable_id)} / ${String(job.source_type)}  duration ${duration(jobDuration(job))}`,
    );
    if (job.error) print(line`error: ${String(job.error)}`);
    const states = ['pending', 'running', 'cancelling', 'completed', 'failed', 'cancelled'].filter(
      (s) => job[`${s}_at`],
    );
    const now = Date.now();
    print(
      table(
        ['STATE', 'AT'],
        states.map((s) => [status(s), when(String(job[`${s}_at`]), now)]),
      ),
    );
    return 0;
  }
  const { items: list, more } = await history(target, 'jobs', options);
  if (more) noteMore(out, 'jobs', list.length);
  if (options.json) {
    print(
      JSON.stringify({
        jobs: list.map((j) => ({ ...publicFields(j), duration_seconds: jobDuration(j) })),
        truncated: more,
      }),
    );
    return 0;
  }
  if (list.length === 0) return (print(line`No jobs match in ${target.name}.`), 0);
  const now = Date.now();
  print(
    table(
      ['LAST EVENT', 'JOB', 'STATE', 'COLLECTION', 'SOURCE', 'DURATION', 'ERROR'],
      list.map((j) => [
        when(String(j.updated_at), now),
        String(j.sync_job_id),
        status(String(j.state)),
        String(j.collection_readable_id),
        String(j.source_type || '-'),
        duration(jobDuration(j)),
        truncate(j.error as string | null, 60),
      ]),
    ),
  );
  return 0;
}
