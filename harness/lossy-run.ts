import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { applyToFreshness, toFreshnessRecord } from '../lambda/core/freshness-record';
import type { Item } from '../lambda/core/conditions';
import type { SyncEvent } from '../lambda/core/events';
import {
  emptyRecord,
  type FreshnessStatus,
  maxAgeFor,
  type SourceFreshness,
  statusOf,
} from '../lambda/core/freshness';
import type { JobState } from '../lambda/core/job-state';
import { runReconcile } from '../lambda/core/reconcile';
import { reconcileSource } from '../lambda/core/reconcile';
import { sourceKey } from '../lambda/core/table-schema';
import { runWatchdog } from '../lambda/core/watchdog';
import type { AirweaveStandIn, StandInCollection, StandInJob, StandInSource } from './airweave-stand-in';
import { currentPayload, httpEvent, signedRequest } from './deliveries';
import { reconcileWiring } from './reconcile-wiring';
import { parseBody } from './stack';

/**
 * The seeded lossy-delivery run of issue 11 (docs/DESIGN.md section "Reconciliation"), shared by
 * `test/lossy-delivery.test.ts` (which asserts on it) and `bench/reconcile.ts` (which prints its figures).
 *
 * In compressed time on a simulated clock: 4 collections x 5 sources run sync jobs for 90 s; every
 * webhook Airweave would send goes through a channel that loses 10%, delivers 10% twice (same svix id),
 * re-publishes 5% (new svix id) and delays every delivery by 0-3 s, so deliveries reorder. The same
 * deliveries, in the same order, go to the real webhook handler of one or more stacks on the local engine
 * (each its own table); the Airweave stand-in answers the reconciler from the same script, as it stands at
 * the simulated time. A fixed seed makes the run the same every time.
 *
 * Four sources are given roles (on top of the random faults) so that every promise is exercised on every
 * seed: one whose every webhook is lost, one whose last job's failure is lost, one whose last job's
 * completion is lost (a false `job.stuck` without reconciliation), and one whose last job truly never ends
 * (the watchdog must still raise that `job.stuck`).
 */

export const T0 = Date.parse('2026-04-23T12:00:00.000Z');
export const HORIZON_MS = 90_000;
/** The freshness SLA (seconds, as the parsed config holds it) and the stuck threshold, compressed like the rest. */
export const MAX_AGE = 60;
export const STUCK_AFTER_SECONDS = 20;
export const RECONCILE_EVERY_MS = 30_000;
export const WATCHDOG_EVERY_MS = 10_000;

const SOURCE_TYPES = ['github', 'slack', 'notion', 'linear', 'jira'] as const;

export type Role = 'silent' | 'lost-failure' | 'lost-completion' | 'truly-stuck';
const ROLES: Record<string, Role> = {
  'c0-s0': 'silent',
  'c1-s1': 'lost-failure',
  'c2-s2': 'lost-completion',
  'c3-s3': 'truly-stuck',
};

/** mulberry32: a small, well-spread 32-bit PRNG; the whole run follows from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TrueJob {
  readonly id: string;
  readonly createdAt: number;
  readonly startedAt: number;
  /** Null: the job never ends (truly stuck). */
  readonly endedAt: number | null;
  readonly outcome: 'completed' | 'failed';
}

export interface TrueSource {
  readonly collection: StandInCollection;
  readonly source: StandInSource;
  readonly role: Role | undefined;
  readonly createdAt: number;
  readonly jobs: readonly TrueJob[];
}

/** One webhook as Airweave sends it: when the state happened, and what it says. */
interface Sent {
  readonly at: number;
  readonly source: TrueSource;
  readonly payload: Record<string, unknown>;
  /** A role's forced loss: the delivery never arrives, whatever the dice say. */
  readonly forceLost: boolean;
}

export interface Delivery {
  readonly at: number;
  readonly svixId: string;
  readonly payload: Record<string, unknown>;
}

export interface Channel {
  readonly sent: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly republished: number;
  readonly deliveries: readonly Delivery[];
}

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The sender's truth: every collection, source and job, with the times each state was reached. */
export function scriptTruth(seed: number): TrueSource[] {
  const rng = seeded(seed);
  const between = (low: number, high: number) => low + Math.floor(rng() * (high - low + 1));
  const sources: TrueSource[] = [];
  for (let c = 0; c < 4; c++) {
    const collection: StandInCollection = {
      id: `00000000-0000-4000-8000-00000000000${c}`,
      readable_id: `lossy-${c}-${seed}`,
      name: `Lossy collection ${c}`,
    };
    for (let s = 0; s < 5; s++) {
      const name = `c${c}-s${s}`;
      const role = ROLES[name];
      const source: StandInSource = {
        id: `sc-${seed}-${name}`,
        short_name: SOURCE_TYPES[s]!,
        readable_collection_id: collection.readable_id,
      };
      const createdAt = T0 + between(0, 2000);
      const jobs: TrueJob[] = [];
      let t = createdAt + between(1000, 5000);
      // The roles that end on a hanging job stop early, so it hangs past the stuck threshold by the end.
      const until =
        role === 'lost-completion' || role === 'truly-stuck' ? HORIZON_MS / 2 : HORIZON_MS - 12_000;
      while (t < T0 + until) {
        const startedAt = t + 1000;
        const endedAt = startedAt + between(3000, 8000);
        jobs.push({
          id: `job-${seed}-${name}-${jobs.length}`,
          createdAt: t,
          startedAt,
          endedAt,
          outcome: rng() < 0.25 ? 'failed' : 'completed',
        });
        t = endedAt + between(4000, 20_000);
      }
      const last = jobs.length - 1;
      if (role === 'lost-failure') jobs[last] = { ...jobs[last]!, outcome: 'failed' };
      if (role === 'lost-completion') jobs[last] = { ...jobs[last]!, outcome: 'completed' };
      if (role === 'truly-stuck') jobs[last] = { ...jobs[last]!, endedAt: null };
      sources.push({ collection, source, role, createdAt, jobs });
    }
  }
  return sources;
}

/** A job's status as Airweave's API shows it at `t`; undefined before it exists. */
function statusAt(job: TrueJob, t: number): StandInJob['status'] | undefined {
  if (job.createdAt > t) return undefined;
  if (job.startedAt > t) return 'PENDING';
  if (job.endedAt === null || job.endedAt > t) return 'RUNNING';
  return job.outcome === 'failed' ? 'FAILED' : 'COMPLETED';
}

const ERROR = 'upstream rate limit exceeded';

/** Sets the stand-in's history to the truth as it stands at `t` (what Airweave's API would answer then). */
export function showTruth(api: AirweaveStandIn, truth: readonly TrueSource[], t: number): void {
  api.collections.splice(0, Infinity, ...new Map(truth.map((s) => [s.collection.id, s.collection])).values());
  api.sources.splice(0, Infinity, ...truth.filter((s) => s.createdAt <= t).map((s) => s.source));
  const jobs: StandInJob[] = [];
  for (const s of truth)
    for (const job of s.jobs) {
      const status = statusAt(job, t);
      if (status === undefined) continue;
      jobs.push({
        id: job.id,
        source_connection_id: s.source.id,
        status,
        created_at: iso(job.createdAt),
        started_at: status === 'PENDING' ? null : iso(job.startedAt),
        completed_at: status === 'COMPLETED' ? iso(job.endedAt!) : null,
        failed_at: status === 'FAILED' ? iso(job.endedAt!) : null,
        error: status === 'FAILED' ? ERROR : null,
      });
    }
  api.jobs.splice(0, Infinity, ...jobs);
}

/** Every webhook Airweave sends for the script, in the order it sends them. */
function sentWebhooks(truth: readonly TrueSource[]): Sent[] {
  const sent: Sent[] = [];
  for (const s of truth) {
    const lostAll = s.role === 'silent';
    const common = {
      collection_id: s.collection.id,
      collection_name: s.collection.name,
      collection_readable_id: s.collection.readable_id,
      source_connection_id: s.source.id,
      source_type: s.source.short_name,
    };
    sent.push({
      at: s.createdAt,
      source: s,
      forceLost: lostAll,
      payload: {
        event_type: 'source_connection.created',
        timestamp: iso(s.createdAt),
        organization_id: 'org-lossy',
        is_authenticated: true,
        ...common,
      },
    });
    s.jobs.forEach((job, index) => {
      const last = index === s.jobs.length - 1;
      const sync = (type: string, at: number, forceLost = false) =>
        sent.push({
          at,
          source: s,
          forceLost: lostAll || forceLost,
          payload: currentPayload({
            ...common,
            event_type: type,
            timestamp: iso(at),
            sync_id: `sync-${s.source.id}`,
            sync_job_id: job.id,
            error: type === 'sync.failed' ? ERROR : null,
          }) as unknown as Record<string, unknown>,
        });
      sync('sync.pending', job.createdAt);
      sync('sync.running', job.startedAt);
      if (job.endedAt !== null)
        sync(
          `sync.${job.outcome}`,
          job.endedAt,
          last && (s.role === 'lost-failure' || s.role === 'lost-completion'),
        );
    });
  }
  return sent.sort((a, b) => a.at - b.at);
}

/**
 * The lossy channel: of what is sent, 10% is lost, 10% delivered twice under the same svix id (a retry
 * whose first answer was lost), 5% re-published under a new svix id; each delivery is delayed 0-3 s.
 */
export function lossyChannel(truth: readonly TrueSource[], seed: number, faults = true): Channel {
  const rng = seeded(seed ^ 0x5eed);
  const deliveries: Delivery[] = [];
  let lost = 0;
  let duplicated = 0;
  let republished = 0;
  let n = 0;
  const sent = sentWebhooks(truth);
  for (const webhook of sent) {
    const svixId = `msg_${seed}_${++n}`;
    const delay = () => (faults ? Math.floor(rng() * 3000) : 0);
    const roll = rng();
    if (faults && (webhook.forceLost || roll < 0.1)) {
      lost++;
      continue;
    }
    deliveries.push({ at: webhook.at + delay(), svixId, payload: webhook.payload });
    if (!faults) continue;
    if (roll < 0.2) {
      duplicated++;
      deliveries.push({ at: webhook.at + delay(), svixId, payload: webhook.payload });
    } else if (roll < 0.25) {
      republished++;
      deliveries.push({ at: webhook.at + delay(), svixId: `msg_${seed}_re_${n}`, payload: webhook.payload });
    }
  }
  // A stable sort: two deliveries due at the same millisecond keep the order they were sent in.
  deliveries.sort((a, b) => a.at - b.at);
  return { sent: sent.length, lost, duplicated, republished, deliveries };
}

/** The freshness status the record would show at `t` had it heard every state the instant it happened. */
export function truthStatus(s: TrueSource, t: number): FreshnessStatus {
  let item: Item | undefined;
  const events: Pick<SyncEvent, 'state' | 'timestamp' | 'sync_job_id'>[] = [];
  for (const job of s.jobs) {
    const reached = (state: JobState, at: number) =>
      at <= t && events.push({ state, timestamp: iso(at), sync_job_id: job.id });
    reached('pending', job.createdAt);
    reached('running', job.startedAt);
    if (job.endedAt !== null) reached(job.outcome, job.endedAt);
  }
  for (const event of events.sort((a, b) => a.timestamp.localeCompare(b.timestamp)))
    item =
      applyToFreshness(item, {
        ...event,
        event_type: `sync.${event.state}`,
        collection_readable_id: s.collection.readable_id,
        collection_name: s.collection.name,
        source_connection_id: s.source.id,
        source_type: s.source.short_name,
        source_key: sourceKey(s.source.id, s.source.short_name),
        origin: 'webhook',
      } as SyncEvent) ?? item;
  const identity = {
    collection_readable_id: s.collection.readable_id,
    collection_name: s.collection.name,
    source_key: sourceKey(s.source.id, s.source.short_name),
    source_connection_id: s.source.id,
    source_type: s.source.short_name,
  };
  const record = {
    ...(item ? toFreshnessRecord(item) : emptyRecord(identity)),
    registered_at: iso(s.createdAt),
  };
  return statusOf(record, maxAgeFor(RULES, record), t);
}

/** The latest job the sender has created by `t`, and whether it has truly failed by then. */
export function latestJobFailed(s: TrueSource, t: number): boolean {
  const latest = s.jobs.filter((j) => j.createdAt <= t).at(-1);
  return latest !== undefined && statusAt(latest, t) === 'FAILED';
}

export const RULES = [{ collection: '*', maxAge: MAX_AGE }];

/** What one stack reports at a check, compared with the truth. */
export interface Check {
  readonly at: number;
  /** Sources Airweave lists at this time. */
  readonly listed: number;
  readonly agree: number;
  readonly agreeUsable: number;
  /** Reported fresh or syncing while the latest job had truly failed. */
  readonly falseFresh: readonly string[];
  /** Listed by the API, absent from `/freshness`. */
  readonly missing: readonly string[];
}

export interface StuckAlert {
  readonly at: number;
  readonly job: string | null;
  /** The job had truly ended when the alert went out. */
  readonly falseAlarm: boolean;
}

export interface StackRun {
  readonly checks: Check[];
  readonly stuckAlerts: StuckAlert[];
  readonly statesRecovered: number;
  readonly reconcileRuns: number;
  readonly apiCalls: number;
}

/** A usable source is one a consumer may read now: `fresh`, or `syncing` within its SLA. */
const usable = (status: string) => status === 'fresh' || status === 'syncing';

/**
 * Plays one channel into stacks on the local engine, `reconciled` (reconciler every 30 s, watchdog verifying
 * on suspicion, webhook suspicions checked) and/or `plain` (webhooks only), on one simulated clock; checks
 * `/freshness` of each against the truth every `checkEveryMs` and once at the end, one reconcile period
 * after the last delivery.
 */
export async function playLossyRun(options: {
  readonly client: DynamoDBClient;
  readonly newTable: () => Promise<string>;
  readonly api: AirweaveStandIn;
  readonly apiUrl: string;
  readonly truth: readonly TrueSource[];
  readonly channel: Channel;
  readonly stacks: readonly ('reconciled' | 'plain')[];
  /** Checks along the way (the bench's agreement); 0: only the final check. */
  readonly checkEveryMs?: number;
}): Promise<Record<'reconciled' | 'plain', StackRun | undefined> & { finalAt: number }> {
  const { api, truth, channel } = options;
  let clock = T0;
  const now = () => new Date(clock);
  const stacks = await Promise.all(
    options.stacks.map(async (kind) => {
      const wiring = reconcileWiring(options.client, await options.newTable(), {
        ...(kind === 'reconciled' && { apiUrl: options.apiUrl, apiKey: api.apiKey }),
        rules: RULES,
        now,
        stuckAfterSeconds: STUCK_AFTER_SECONDS,
      });
      const run: StackRun = {
        checks: [],
        stuckAlerts: [],
        statesRecovered: 0,
        reconcileRuns: 0,
        apiCalls: 0,
      };
      return { kind, wiring, run };
    }),
  );

  const lastDelivery = channel.deliveries.at(-1)?.at ?? T0;
  const finalAt = T0 + Math.ceil((lastDelivery - T0 + 1) / RECONCILE_EVERY_MS) * RECONCILE_EVERY_MS;
  type Step = { at: number; order: number; run: () => Promise<void> };
  const steps: Step[] = [];
  for (const delivery of channel.deliveries)
    steps.push({
      at: delivery.at,
      order: 0,
      run: async () => {
        for (const { wiring } of stacks) {
          const answer = await wiring.webhook(
            signedRequest(delivery.payload, { id: delivery.svixId, timestamp: Math.floor(clock / 1000) }),
          );
          if ((answer.statusCode ?? 0) >= 300)
            throw new Error(`delivery ${delivery.svixId}: ${answer.statusCode} ${answer.body}`);
          // The webhook hands suspicions over without waiting; the run waits, so it stays deterministic.
          await wiring.settled();
        }
      },
    });
  for (let at = T0 + RECONCILE_EVERY_MS; at <= finalAt; at += RECONCILE_EVERY_MS)
    steps.push({
      at,
      order: 1,
      run: async () => {
        for (const { kind, wiring, run } of stacks) {
          if (kind !== 'reconciled') continue;
          const before = api.requests.length;
          const report = await runReconcile(wiring.reconcile);
          if (report.outcome !== 'ok')
            throw new Error(`reconcile ${report.outcome}: ${report.problems.join('; ')}`);
          Object.assign(run, {
            statesRecovered: run.statesRecovered + report.states_recovered,
            reconcileRuns: run.reconcileRuns + 1,
            apiCalls: run.apiCalls + api.requests.length - before,
          });
        }
      },
    });
  for (let at = T0 + WATCHDOG_EVERY_MS; at <= finalAt; at += WATCHDOG_EVERY_MS)
    steps.push({
      at,
      order: 2,
      run: async () => {
        for (const { kind, wiring, run } of stacks) {
          const seen = wiring.notifier.alerts.length;
          await runWatchdog({
            ...wiring.watchdog,
            ...(kind === 'reconciled' && {
              verify: async (record) => void (await reconcileSource(wiring.reconcile, record)),
            }),
          });
          for (const { alert } of wiring.notifier.alerts.slice(seen)) {
            if (alert.kind !== 'job.stuck') continue;
            const job = (alert.body.freshness as SourceFreshness).last_job_id;
            const truly = truth.flatMap((s) => s.jobs).find((j) => j.id === job);
            run.stuckAlerts.push({
              at: clock,
              job,
              falseAlarm: truly === undefined || (truly.endedAt !== null && truly.endedAt <= clock),
            });
          }
        }
      },
    });
  const every = options.checkEveryMs ?? 0;
  const checkTimes =
    every > 0
      ? Array.from({ length: Math.floor((finalAt - T0) / every) }, (_, i) => T0 + (i + 1) * every)
      : [finalAt];
  for (const at of checkTimes.includes(finalAt) ? checkTimes : [...checkTimes, finalAt])
    steps.push({
      at,
      order: 3,
      run: async () => {
        for (const { wiring, run } of stacks) run.checks.push(await check(wiring.query, truth, clock));
      },
    });
  steps.sort((a, b) => a.at - b.at || a.order - b.order);
  for (const step of steps) {
    clock = step.at;
    showTruth(api, truth, clock);
    await step.run();
  }
  const by = (kind: 'reconciled' | 'plain') => stacks.find((s) => s.kind === kind)?.run;
  return { reconciled: by('reconciled'), plain: by('plain'), finalAt };
}

/** Reads `GET /freshness` through the query handler and compares each source the API lists with the truth. */
async function check(
  query: ReturnType<typeof reconcileWiring>['query'],
  truth: readonly TrueSource[],
  at: number,
): Promise<Check> {
  const body = parseBody(await query(httpEvent('GET', '/freshness', {}))) as {
    collections: { sources: SourceFreshness[] }[];
  };
  const reported = new Map(
    body.collections.flatMap((c) => c.sources).map((s) => [s.source_connection_id, s.status as string]),
  );
  const listed = truth.filter((s) => s.createdAt <= at);
  let agree = 0;
  let agreeUsable = 0;
  const falseFresh: string[] = [];
  const missing: string[] = [];
  for (const s of listed) {
    const status = reported.get(s.source.id) ?? 'missing';
    const expected = truthStatus(s, at);
    if (status === expected) agree++;
    if (usable(status) === usable(expected)) agreeUsable++;
    if (status === 'missing') missing.push(s.source.id);
    if (usable(status) && latestJobFailed(s, at)) falseFresh.push(s.source.id);
  }
  return { at, listed: listed.length, agree, agreeUsable, falseFresh, missing };
}
