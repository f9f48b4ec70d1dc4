import {
  AirweaveApiError,
  type AirweaveApi,
  type ApiCollection,
  type ApiSourceConnection,
  jobEvents,
  MalformedResponseError,
} from './airweave';
import type { SyncEvent } from './events';
import type { FreshnessRecord } from './freshness';
import { previousJobUnfinished } from './source-lifecycle';
import { recordEvent, type ProcessDeps } from './ingest';
import { type JobState, type LifecycleEventType, rankOf } from './job-state';
import { METRIC, type MetricsSink } from './metrics';
import type { Log } from './ports';
import { sourceKey } from './table-schema';
import { fromDate } from './timestamp';

/** Who a source is, as the freshness record keys and names it. */
export interface SourceIdentity {
  readonly collection_readable_id: string;
  readonly collection_name: string;
  readonly collection_id: string | null;
  readonly source_connection_id: string;
  readonly source_type: string;
  readonly source_key: string;
}

/** The table side of reconciliation and of the source lifecycle; every write is idempotent. */
export interface SourceRegistry {
  /** Lists a source (status `unknown`, awaiting its first sync) unless it is listed already; true when new. */
  registerSource(source: SourceIdentity, at: string): Promise<boolean>;
  /** Retires a listed source: no more stale alerts or pipeline blocks, history kept; false when not listed. */
  retireSource(collection: string, sourceKey: string, at: string): Promise<boolean>;
  /** The lifecycle events the table holds for these jobs (their audit records, by natural key). */
  recordedStates(jobIds: readonly string[]): Promise<Map<string, Set<LifecycleEventType>>>;
  /** Records that the reconciler confirmed the source's latest job with the API at `at`. */
  markVerified(collection: string, sourceKey: string, at: string): Promise<void>;
  /** The source's newest job other than `jobId` (by its latest event), with its state. */
  previousJob(
    sourceKey: string,
    jobId: string,
  ): Promise<{ sync_job_id: string; state: JobState } | undefined>;
  /** Claims a once-per-episode operations notice (`unauthorized`); false when it is already out. */
  openNotice(kind: NoticeKind, at: string): Promise<boolean>;
  /** Ends the episode (a run that got through), so the next failure is told again. */
  closeNotice(kind: NoticeKind): Promise<void>;
}

export type NoticeKind = 'unauthorized';

/** The operations topic (where the CloudWatch alarms go): problems of the deployment, not of a source. */
export interface OperationsNotifier {
  notify(subject: string, body: Record<string, unknown>): Promise<void>;
}

export interface ReconcileDeps extends ProcessDeps {
  /** Undefined while the API key is not configured (the placeholder): reconciliation then does nothing. */
  readonly api: AirweaveApi | undefined;
  readonly registry: SourceRegistry;
  readonly operations: OperationsNotifier;
  /** How many of each source's latest jobs to read (`airweave.reconcile.jobs`). */
  readonly jobs: number;
  readonly log: Log;
  readonly metrics: MetricsSink;
}

export interface ReconcileOptions {
  /** Only this collection (readable id). */
  readonly collection?: string;
  /** Read the API and say what would be recorded; write and publish nothing. */
  readonly dryRun?: boolean;
}

export interface SourceReport {
  readonly collection_readable_id: string;
  readonly source_connection_id: string;
  readonly source_type: string;
  readonly jobs_checked: number;
  /** Newly listed by this run (no event of it was ever recorded). */
  readonly registered: boolean;
  /** The states recorded (or, in a dry run, that would be) because the table did not hold them. */
  readonly recovered: readonly { readonly sync_job_id: string; readonly event_type: LifecycleEventType }[];
  /** Why this source was not (fully) checked: a skipped job, a 404, a malformed answer. */
  readonly problems: readonly string[];
}

/**
 * - `ok`: every source checked;
 * - `partial`: some sources could not be checked or recorded (named in `problems`), the rest were;
 * - `backed-off`: Airweave answered 429 or 5xx, or not at all: the run stopped, the next one tries again;
 * - `unauthorized`: 401/403, the key is wrong or revoked (operations told once);
 * - `not-configured`: no API key yet, nothing done.
 */
export type ReconcileOutcome = 'ok' | 'partial' | 'backed-off' | 'unauthorized' | 'not-configured';

export interface ReconcileReport {
  readonly outcome: ReconcileOutcome;
  readonly dry_run: boolean;
  readonly collections: number;
  readonly sources: readonly SourceReport[];
  readonly jobs_checked: number;
  readonly states_recovered: number;
  /** API answers that were not 2xx, by status (`none`: no answer). */
  readonly api_errors: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
}

/** A run that did not check every source: the metric the consecutive-failure alarm watches. */
export function failedRun(outcome: ReconcileOutcome): boolean {
  return outcome === 'partial' || outcome === 'backed-off' || outcome === 'unauthorized';
}

/** Stops the whole run: nothing more can be learned from the API this time. */
class StopRun extends Error {
  constructor(readonly outcome: 'backed-off' | 'unauthorized') {
    super(outcome);
  }
}

/**
 * One reconciliation pass: walks every collection and every source connection Airweave lists, reads each
 * source's latest jobs, and records every job state the table does not hold yet through the webhook's own
 * idempotent path (audit with `origin: "reconciled"`, job, freshness, events topic, failure alert, pipeline
 * gate). It also lists every source connection, so a source whose events were all lost still appears.
 * Nothing the API answers crashes a run: the outcome and the report say what happened. docs/DESIGN.md
 * section 9 says what it reads, when it runs (schedule, suspicion) and what a run costs.
 */
export async function runReconcile(
  deps: ReconcileDeps,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const run = new Run(deps, options);
  const report = await run.all();
  deps.metrics.count(METRIC.reconcileRuns, { outcome: report.outcome });
  deps.metrics.count(METRIC.reconcileFailedRuns, {}, failedRun(report.outcome) ? 1 : 0);
  const log = report.outcome === 'ok' ? deps.log.info : deps.log.warn;
  log('reconciliation run', {
    outcome: report.outcome,
    dry_run: report.dry_run,
    collections: report.collections,
    sources: report.sources.length,
    jobs_checked: report.jobs_checked,
    states_recovered: report.states_recovered,
    api_errors: report.api_errors,
    ...(report.problems.length > 0 && { problems: report.problems.slice(0, 20) }),
  });
  return report;
}

/**
 * Reconciles one source on suspicion (the watchdog is about to alert, or a new job started while the
 * previous one has no terminal state): one API call, the same recording path. Throws when the API cannot
 * answer, so the caller keeps its own decision.
 */
export async function reconcileSource(
  deps: ReconcileDeps,
  record: FreshnessRecord,
): Promise<SourceReport | undefined> {
  if (!deps.api || record.source_connection_id === null) return undefined;
  const run = new Run(deps, {});
  return run.source(
    { id: null, readable_id: record.collection_readable_id, name: record.collection_name },
    {
      id: record.source_connection_id,
      // Stryker disable next-line StringLiteral: a source connection's display name is not recorded
      name: '',
      short_name: record.source_type,
      readable_collection_id: record.collection_readable_id,
      status: null,
    },
    { strict: true },
  );
}

/**
 * The webhook's suspicion, checked by the reconciler: a new job's `pending` or `running` while the source's
 * previous job has no terminal state (its end was probably lost) reconciles the source. Undefined when
 * there was nothing to suspect.
 */
export async function reconcileOnSuspicion(
  deps: ReconcileDeps,
  event: Pick<SyncEvent, 'collection_readable_id' | 'source_key' | 'sync_job_id' | 'state'>,
): Promise<SourceReport | undefined> {
  if (!deps.api || !(await previousJobUnfinished(deps.registry, event))) return undefined;
  const record = await deps.ledger.sourceRecord(event.collection_readable_id, event.source_key);
  return record && reconcileSource(deps, record);
}

class Run {
  private readonly sources: SourceReport[] = [];
  private readonly problems: string[] = [];
  private readonly apiErrors: Record<string, number> = {};
  private readonly now: Date;

  constructor(
    private readonly deps: ReconcileDeps,
    private readonly options: ReconcileOptions,
  ) {
    this.now = deps.now();
  }

  async all(): Promise<ReconcileReport> {
    if (!this.deps.api) {
      this.deps.log.info('reconciliation not configured: set the Airweave API key to turn it on');
      return this.report('not-configured', 0);
    }
    let collections: ApiCollection[] = [];
    try {
      collections = (await this.call(() => this.deps.api!.collections(), 'collections')).items.filter(
        (c) => this.options.collection === undefined || c.readable_id === this.options.collection,
      );
      for (const collection of collections) {
        try {
          const listed = await this.call(
            () => this.deps.api!.sourceConnections(collection.readable_id),
            `collection ${collection.readable_id}`,
          );
          this.problems.push(
            ...listed.skipped.map((line) => `${collection.readable_id}: source connection ${line}`),
          );
          // A few sources at a time: a run's time is mostly waiting on the API, and a 5-minute run then
          // holds about four times the sources; a 429/5xx still stops the run (docs/DESIGN.md section 9).
          const reports = await boundedWalk(listed.items, SOURCES_AT_ONCE, (source) =>
            // Stryker disable next-line ObjectLiteral: `{}` leaves `strict` undefined, which is false
            this.source(collection, source, { strict: false }),
          );
          for (const report of reports) this.collect(report);
          if (reports.stopped !== undefined) throw reports.stopped;
        } catch (error) {
          if (!(error instanceof Skip)) throw error;
          this.problems.push(error.message);
        }
      }
    } catch (error) {
      if (error instanceof StopRun) {
        if (error.outcome === 'unauthorized') await this.tellOperations();
        return this.report(error.outcome, collections.length);
      }
      if (!(error instanceof Skip)) throw error;
      this.problems.push(error.message);
    }
    if (!this.options.dryRun) await this.deps.registry.closeNotice('unauthorized');
    return this.report(this.problems.length > 0 ? 'partial' : 'ok', collections.length);
  }

  /** One source: list it, read its jobs, record the states the table lacks, mark it verified. */
  async source(
    collection: Pick<ApiCollection, 'id' | 'readable_id' | 'name'>,
    source: ApiSourceConnection,
    { strict }: { strict: boolean },
  ): Promise<SourceReport> {
    const identity: SourceIdentity = {
      collection_readable_id: source.readable_collection_id || collection.readable_id,
      collection_name: collection.name,
      collection_id: collection.id,
      source_connection_id: source.id,
      source_type: source.short_name,
      source_key: sourceKey(source.id, source.short_name),
    };
    const problems: string[] = [];
    const recovered: { sync_job_id: string; event_type: LifecycleEventType }[] = [];
    let jobsChecked = 0;
    let registered = false;
    const at = fromDate(this.now);
    try {
      if (!this.options.dryRun) registered = await this.deps.registry.registerSource(identity, at);
      const jobs = await this.call(
        () => this.deps.api!.jobs(source.id, this.deps.jobs),
        `source ${source.id}`,
      );
      problems.push(...jobs.skipped.map((line) => `job ${line}`));
      jobsChecked = jobs.items.length;
      const events: SyncEvent[] = [];
      for (const job of jobs.items) {
        const result = jobEvents(job, {
          collection: { ...collection, readable_id: identity.collection_readable_id },
          source,
        });
        if (result.kind === 'events') events.push(...result.events);
        else
          problems.push(
            `job ${job.id}: ${result.kind === 'no-times' ? 'no times' : `unknown status ${result.status}`}`,
          );
      }
      const held = await this.deps.registry.recordedStates(jobs.items.map((j) => j.id));
      // Oldest first, as a webhook sender would have sent them: the alert and the gate see them in order.
      const missing = events
        .filter((e) => !held.get(e.sync_job_id)?.has(e.event_type))
        .sort((a, b) => a.timestamp.localeCompare(b.timestamp) || rankOf(a.state) - rankOf(b.state));
      for (const event of missing) {
        if (!this.options.dryRun) {
          const outcome = await recordEvent(
            this.deps,
            event,
            { id: `reconciled:${event.sync_job_id}:${event.event_type}`, receivedAt: at },
            this.now,
          );
          if (outcome.result === 'duplicate') continue;
          this.deps.metrics.count(METRIC.recordedEvents, { origin: event.origin });
        }
        recovered.push({ sync_job_id: event.sync_job_id, event_type: event.event_type });
      }
      if (!this.options.dryRun)
        await this.deps.registry.markVerified(identity.collection_readable_id, identity.source_key, at);
    } catch (error) {
      if (error instanceof StopRun || strict) throw error;
      // One source's problem (a 404, a malformed answer, a write that failed) is not the others'.
      problems.push(error instanceof Skip ? error.message : `recording failed: ${(error as Error).message}`);
    }
    return {
      collection_readable_id: identity.collection_readable_id,
      source_connection_id: source.id,
      source_type: source.short_name,
      jobs_checked: jobsChecked,
      registered,
      recovered,
      problems,
    };
  }

  /** Adds one source's report to the run's, in the order the API listed the sources. */
  private collect(report: SourceReport): void {
    this.sources.push(report);
    this.problems.push(
      ...report.problems.map((p) => `${report.collection_readable_id}/${report.source_connection_id}: ${p}`),
    );
  }

  /** One API call, its failure turned into the run's decision: stop (401/403, 429/5xx) or skip this part. */
  private async call<T>(request: () => Promise<T>, what: string): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof AirweaveApiError) {
        const status = error.status === undefined ? 'none' : String(error.status);
        this.apiErrors[status] = (this.apiErrors[status] ?? 0) + 1;
        this.deps.metrics.count(METRIC.airweaveApiErrors, { status });
        if (error.kind === 'unauthorized') throw new StopRun('unauthorized');
        if (error.kind === 'back-off') throw new StopRun('backed-off');
        throw new Skip(`${what}: ${error.message}`);
      }
      if (error instanceof MalformedResponseError) throw new Skip(`${what}: ${error.message}`);
      throw error;
    }
  }

  /** A 401/403 goes to the operations topic once per episode, not once per run. */
  private async tellOperations(): Promise<void> {
    if (this.options.dryRun) return;
    try {
      if (!(await this.deps.registry.openNotice('unauthorized', fromDate(this.now)))) return;
      await this.deps.operations
        .notify('Airweave API key not authorized: sync reconciliation is off', {
          kind: 'reconcile.unauthorized',
          detail:
            'Airweave answered 401/403 to the reconciler. Put a valid API key in the stack secret ' +
            '(README: "Set the Airweave API key"); reconciliation resumes on the next run.',
          at: fromDate(this.now),
        })
        .catch(async (error: unknown) => {
          await this.deps.registry.closeNotice('unauthorized');
          throw error;
        });
    } catch (error) {
      this.problems.push(`operations notice failed: ${(error as Error).message}`);
    }
  }

  private report(outcome: ReconcileOutcome, collections: number): ReconcileReport {
    return {
      outcome,
      dry_run: this.options.dryRun ?? false,
      collections,
      sources: this.sources,
      jobs_checked: this.sources.reduce((sum, s) => sum + s.jobs_checked, 0),
      states_recovered: this.sources.reduce((sum, s) => sum + s.recovered.length, 0),
      api_errors: this.apiErrors,
      problems: this.problems,
    };
  }
}

/** A part of the API that cannot be read this time (404, another 4xx, a malformed body): skipped, reported. */
class Skip extends Error {}

/** How many sources one run checks at once (each is one API call and a few table reads and writes). */
export const SOURCES_AT_ONCE = 4;

/**
 * Runs `work` over `items`, at most `limit` at a time. The first failure stops the walk: no item is started
 * after it (the ones in flight finish), and it is returned as `stopped` beside the results of every item
 * that finished, in the items' order, so a back-off keeps what was already learned.
 */
export async function boundedWalk<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[] & { stopped?: unknown }> {
  const finished = new Map<number, R>();
  let next = 0;
  let stopped: { error: unknown } | undefined;
  const worker = async () => {
    while (stopped === undefined && next < items.length) {
      const index = next++;
      try {
        finished.set(index, await work(items[index]!));
      } catch (error) {
        stopped ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  const results = [...finished.entries()].sort(([a], [b]) => a - b).map(([, result]) => result);
  return stopped === undefined ? results : Object.assign(results, { stopped: stopped.error });
}
