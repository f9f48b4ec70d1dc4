import { parseDuration } from '../../lambda/core/duration';
import { NotFoundError } from '../../lambda/core/errors';
import {
  allFreshnessAt,
  atProblem,
  type CollectionFreshnessAt,
  collectionFreshnessAt,
  type Evidence,
  type FreshnessAtDeps,
  type SourceFreshnessAt,
} from '../../lambda/core/freshness-at';
import { formatAge } from '../../lambda/core/duration';
import { fromDate, normalizeTimestamp, toMillis } from '../../lambda/core/timestamp';
import { CliError, UsageError } from '../errors';
import { type Cell, duration, line, paint, status, table, time } from '../format';
import type { Target } from '../target';

type Print = (line: string) => void;

/** `--at 90m` (that long ago) or an ISO time with a zone, as the normalized T; a usage error otherwise. */
export function atOf(text: string, now: Date): string {
  const seconds = parseDuration(text);
  const candidate = seconds === undefined ? text : fromDate(new Date(now.getTime() - seconds * 1000));
  const problem = atProblem(candidate, now);
  if (problem !== undefined)
    throw new UsageError(
      `--at takes a duration back from now (90m, 2d) or an ISO time with a zone: ${problem}`,
    );
  return normalizeTimestamp(candidate) as string;
}

/**
 * `sync-events freshness --at T`: each source as it stood at T (the same answer as `GET /freshness?at=`),
 * with the event that decides it; where the stack had not yet received what was true, what it said then.
 */
export async function freshnessAt(
  target: Target,
  options: { at: string; collection?: string; json?: boolean },
  print: Print,
): Promise<{ unhealthy: boolean }> {
  const now = new Date();
  const at = atOf(options.at, now);
  const deps: FreshnessAtDeps = {
    freshness: target.store,
    history: target.stores.history,
    rules: target.config.freshness,
    retentionDays: target.config.retentionDays,
    now: () => now,
  };
  let collections: CollectionFreshnessAt[];
  try {
    collections = options.collection
      ? [await collectionFreshnessAt(deps, options.collection, at)]
      : (await allFreshnessAt(deps, at)).collections;
  } catch (error) {
    if (error instanceof NotFoundError) throw new CliError(`${error.message} in ${target.name}`);
    throw error;
  }
  const unhealthy = collections.some((c) => c.stale);
  if (options.json) {
    print(JSON.stringify(options.collection ? collections[0] : { at, collections }));
    return { unhealthy };
  }
  if (collections.length === 0) {
    print(line`No events recorded yet in ${target.name}.`);
    return { unhealthy };
  }
  const atMs = toMillis(at);
  print(line`Freshness at ${time(at)}, as it was; TOLD AT T is what the stack said then, where it differed.`);
  const rows = collections.flatMap((c) =>
    c.sources.map((s) => [
      c.collection_readable_id,
      s.source_type || '-',
      status(s.status),
      s.last_success_at ? `${time(s.last_success_at)} (${before(s.last_success_at, atMs)})` : 'never',
      s.max_age_seconds === null ? '-' : duration(s.max_age_seconds),
      toldAtT(s),
      decidedBy(s),
    ]),
  );
  print(table(['COLLECTION', 'SOURCE', 'STATUS', 'LAST SUCCESS', 'SLA', 'TOLD AT T', 'DECIDED BY'], rows));
  const stale = collections.filter((c) => c.stale).map((c) => c.collection_readable_id);
  if (stale.length > 0) print(line`\n${paint(`stale at ${time(at)}: ${stale.join(', ')}`, 'yellow')}`);
  return { unhealthy };
}

function before(timestamp: string, atMs: number): string {
  return `${formatAge((atMs - toMillis(timestamp)) / 1000)} before`;
}

function toldAtT(source: SourceFreshnessAt): Cell {
  if (source.as_known_at_t === null) return paint('nothing received yet', 'yellow');
  if (source.as_known_at_t !== undefined) return status(source.as_known_at_t.status);
  return source.known_at_t ? 'same' : 'same (some evidence arrived later)';
}

/** The deciding event, named so that `sync-events audit` finds it; or why nothing can be said. */
function decidedBy(source: SourceFreshnessAt): string {
  const reason = source.reason;
  if (reason?.code === 'before_retention')
    return `T is before the retention window (audit kept since ${time(reason.retained_since)})`;
  if (reason?.code === 'before_first_event')
    return reason.first_event_at === null
      ? 'no event of this source is recorded'
      : `no event at or before T; the first recorded is at ${time(reason.first_event_at)}`;
  const event = source.deciding_event;
  if (event === null)
    return source.status === 'stale' ? 'no success at or before T' : 'no deciding event at or before T';
  return describe(event);
}

function describe(event: Evidence): string {
  const late = event.known_at_t ? '' : `, received ${time(event.received_at)}, after T`;
  return `${event.event_type} job ${event.sync_job_id} at ${time(event.timestamp)} (svix ${event.svix_id}${late})`;
}
