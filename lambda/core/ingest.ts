import { randomUUID } from 'node:crypto';
import { boundaryProblem, deliveryIdProblem } from './boundary';
import { dispositionOf, PermanentDependencyError } from './dependency-errors';
import { PayloadTooLargeError, SignatureError } from './errors';
import { classifyPayload, type SyncEvent } from './events';
import { alertFailureOnce, type FailureAlertDeps } from './failure-alert';
import { advancePipelines, type PipelineDeps, type PipelineOutcome } from './pipelines';
import type { Delivery, EventRecorder, JobTimes, Log, Notifier, SigningKeys } from './ports';
import type { SourceRegistry } from './reconcile';
import { type Headers, header, signedAt, TIMESTAMP_TOLERANCE_SECONDS, verifyDelivery } from './signature';
import { applySourceLifecycle, isSourceLifecycleType, parseSourceLifecycle } from './source-lifecycle';
import { fromDate, toMillis } from './timestamp';

/** Svix sends at most 256 KiB; anything larger is refused before the signature is even computed. */
export const MAX_BODY_BYTES = 256 * 1024;

export type IngestResult = 'processed' | 'duplicate' | 'ignored' | 'quarantined';

export interface ProcessDeps extends FailureAlertDeps, PipelineDeps {
  readonly recorder: EventRecorder;
  readonly notifier: Notifier;
  readonly now: () => Date;
  /**
   * Lists and retires sources on `source_connection.created`/`.deleted` and `collection.deleted`.
   * @default - those events are recorded as ignored
   */
  readonly registry?: SourceRegistry;
  /**
   * Hands a `pending`/`running` event to the reconciler without waiting for its work (the reconcile
   * function invoked asynchronously; a background promise locally), which reconciles the source when its
   * previous job has no terminal state (`reconcileOnSuspicion`).
   * @default - no such check: reconciliation is not configured
   */
  readonly reconcileSoon?: (event: SyncEvent) => Promise<void>;
  readonly log?: Log;
  /** Audit items expire after this many days; an event older than that is quarantined, not recorded. */
  readonly retentionDays: number;
}

/** The suspicion check's bound on a delivery's answer: past it, the delivery is answered without it. */
export const SUSPICION_BUDGET_MS = 1000;

export interface IngestDeps extends ProcessDeps {
  readonly keys: SigningKeys;
}

export interface IngestOutcome {
  readonly result: IngestResult;
  /** The delivery's svix-id. */
  readonly deliveryId: string;
  /** The normalized event, for lifecycle deliveries: logs and metrics use its keys. */
  readonly event?: SyncEvent;
  /** Why a delivery was quarantined. */
  readonly reason?: string;
  /** What the pipeline gates did with this event. */
  readonly pipelines?: readonly PipelineOutcome[];
  /** Seconds from the job's `running` to this `completed`, when this delivery completed the job. */
  readonly syncDurationSeconds?: number;
}

/**
 * The webhook use case: verify, then process. It answers only after every write and side effect
 * settled, so a response the sender sees as success means everything is stored and sent; any failure
 * throws (mapped to a 5xx), and because each step is idempotent the sender's retry completes the work
 * without doubling it.
 */
export async function ingest(deps: IngestDeps, headers: Headers, body: Buffer): Promise<IngestOutcome> {
  if (body.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(`body is over ${MAX_BODY_BYTES} bytes`);
  const now = deps.now();
  const verified = await verify(deps.keys, headers, body, Math.floor(now.getTime() / 1000));
  const delivery = { id: verified.id, receivedAt: fromDate(now) };
  const idProblem = deliveryIdProblem(verified.id);
  if (idProblem !== undefined) {
    // Signed, but its id cannot key the records: kept aside whole, under a digest of the id.
    await deps.recorder.quarantine({
      ...delivery,
      reason: idProblem,
      body,
      headers: signatureHeaders(headers),
    });
    return { result: 'quarantined', deliveryId: delivery.id, reason: idProblem };
  }
  return processDelivery(deps, delivery, body, signatureHeaders(headers), now);
}

/**
 * Classifies and records a verified delivery, then runs its side effects. Also the path of `replay`,
 * which re-processes quarantined deliveries that were verified when they arrived.
 */
export async function processDelivery(
  deps: ProcessDeps,
  delivery: Delivery,
  body: Buffer,
  headers: Readonly<Record<string, string>>,
  now: Date,
): Promise<IngestOutcome> {
  const classified = classifyPayload(body.toString('utf8'));
  switch (classified.kind) {
    case 'ignored': {
      if (deps.registry && isSourceLifecycleType(classified.eventType)) {
        const change = parseSourceLifecycle(classified.eventType, JSON.parse(body.toString('utf8')));
        if (change.kind === 'unparseable') {
          await deps.recorder.quarantine({ ...delivery, reason: change.reason, body, headers });
          return { result: 'quarantined', deliveryId: delivery.id, reason: change.reason };
        }
        const changed = await applySourceLifecycle(
          { registry: deps.registry, freshness: deps.freshness },
          change,
          delivery.receivedAt,
        );
        return { result: changed ? 'processed' : 'duplicate', deliveryId: delivery.id };
      }
      await deps.recorder.recordIgnored(delivery, classified.eventType);
      return { result: 'ignored', deliveryId: delivery.id };
    }
    case 'unparseable':
      await deps.recorder.quarantine({ ...delivery, reason: classified.reason, body, headers });
      return { result: 'quarantined', deliveryId: delivery.id, reason: classified.reason };
    case 'lifecycle': {
      const { event } = classified;
      const problem = boundaryProblem(event, {
        signedAt: signedAt(headers) ?? Math.floor(toMillis(delivery.receivedAt) / 1000),
        toleranceSeconds: TIMESTAMP_TOLERANCE_SECONDS,
        now,
        retentionDays: deps.retentionDays,
      });
      // Checked before any write, so a delivery that cannot be recorded whole leaves only its quarantine item.
      if (problem !== undefined) {
        await deps.recorder.quarantine({ ...delivery, reason: problem, body, headers });
        return { result: 'quarantined', deliveryId: delivery.id, reason: problem };
      }
      let recorded: RecordedEvent;
      try {
        recorded = await recordEvent(deps, event, delivery, now);
      } catch (error) {
        if (!(error instanceof PermanentDependencyError)) throw error;
        // Refused for good by a dependency: kept for replay with the reason, not retried for a day.
        await deps.recorder.quarantine({ ...delivery, reason: error.message, body, headers });
        return { result: 'quarantined', deliveryId: delivery.id, event, reason: error.message };
      }
      await suspectPreviousJob(deps, event);
      return { deliveryId: delivery.id, event, ...recorded };
    }
  }
}

export interface RecordedEvent {
  readonly result: 'processed' | 'duplicate';
  readonly pipelines: readonly PipelineOutcome[];
  readonly syncDurationSeconds?: number;
}

/**
 * Records one lifecycle event and runs its side effects: the one idempotent path of every event, whether a
 * webhook delivered it or the reconciler found it in Airweave's API (`event.origin`). Its audit record is
 * keyed by the natural key (job, event type), so whichever comes second is a duplicate.
 */
export async function recordEvent(
  deps: ProcessDeps,
  event: SyncEvent,
  delivery: Delivery,
  now: Date,
): Promise<RecordedEvent> {
  // The three writes are independent single-item writes, and the events topic needs nothing they
  // produce, so all four go out at once: a plain event costs one round trip of latency. The topic is
  // at-least-once (as SNS itself is): a retried delivery publishes again, and a subscriber that cares
  // drops the repeat by its `event_id` attribute.
  const [audit, job, freshness, published] = await Promise.allSettled([
    deps.recorder.putAuditEvent(event, delivery),
    deps.recorder.advanceJob(event),
    deps.recorder.advanceFreshness(event),
    deps.notifier.publishEvent(event),
  ]);
  const records = { 'audit event': audit, 'job record': job, 'freshness record': freshness };
  try {
    settle({ ...records, 'events topic': published });
  } catch (error) {
    // All or nothing for the record: when a write was refused for good, the audit event this delivery
    // added is taken back, so no audit event stands without its job and freshness effects. (Register moves
    // of the job and freshness cannot be undone without transactions; validation at the boundary makes a
    // permanent refusal of them impossible for an accepted event, and the quarantine keeps it for replay.)
    const partial = Object.values(records).some((r) => r.status === 'rejected');
    // Only an audit event this delivery added: a duplicate answers false, and a refused write has no value.
    const added = (audit as Partial<PromiseFulfilledResult<boolean>>).value === true;
    if (error instanceof PermanentDependencyError && partial && added)
      await deps.recorder.withdrawAuditEvent(event);
    throw error;
  }
  // What depends on the recorded state comes after it: the alert's body reads the updated freshness,
  // and the pipeline gate reads every source of the collection.
  // Once-only effects are claimed by this attempt of the message: a retry of it running at the same time
  // must not take the claim as its own (docs/DESIGN.md section 4).
  const claimant = { message: delivery.id, attempt: randomUUID() };
  const effects = await Promise.allSettled([
    event.state === 'failed' ? alertFailureOnce(deps, event, claimant, now) : Promise.resolve(),
    advancePipelines(deps, event, claimant, now),
  ]);
  settle({ 'failure alert': effects[0], 'pipeline gate': effects[1] });
  const isNew = (audit as PromiseFulfilledResult<boolean>).value;
  const pipelines = (effects[1] as PromiseFulfilledResult<PipelineOutcome[]>).value;
  const times = (job as PromiseFulfilledResult<JobTimes | undefined>).value;
  const syncDurationSeconds =
    isNew && event.state === 'completed' && times?.running_at && times.completed_at === event.timestamp
      ? (toMillis(times.completed_at) - toMillis(times.running_at)) / 1000
      : undefined;
  return {
    result: isNew ? 'processed' : 'duplicate',
    pipelines,
    ...(syncDurationSeconds !== undefined && { syncDurationSeconds }),
  };
}

/**
 * A `pending` or `running` is when a lost end of the source's previous job shows: the reconciler is asked
 * to look (it checks the previous job first, and asks the API only when that job has no terminal state).
 * Off the delivery's critical path: `reconcileSoon` only hands the event over (an asynchronous invocation),
 * bounded by `SUSPICION_BUDGET_MS`, and a failure here is logged, never the delivery's failure.
 */
async function suspectPreviousJob(deps: ProcessDeps, event: SyncEvent): Promise<void> {
  const { reconcileSoon } = deps;
  if (!reconcileSoon || (event.state !== 'pending' && event.state !== 'running')) return;
  let timer: NodeJS.Timeout | undefined;
  const ask = reconcileSoon(event);
  try {
    await Promise.race([
      ask,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, SUSPICION_BUDGET_MS))),
    ]);
  } catch (error) {
    deps.log?.warn('could not ask for a reconciliation of the source', {
      source_key: event.source_key,
      error: (error as Error).message,
    });
  } finally {
    // Still running past the budget, it finishes in the background. Promise.race has already attached a
    // handler to it, so a failure after the answer is dropped, never an unhandled rejection.
    clearTimeout(timer);
  }
}

/**
 * Rethrows the first failure worth retrying (a transient one, answered 503), else the first permanent one,
 * named by its step, so the caller quarantines the delivery instead of letting Svix retry it for a day.
 * Transient failures go first: after them a retry may well succeed at everything.
 */
function settle(results: Readonly<Record<string, PromiseSettledResult<unknown>>>): void {
  const failed = Object.entries(results).filter(
    (entry): entry is [string, PromiseRejectedResult] => entry[1].status === 'rejected',
  );
  const transient = failed.find(([, r]) => dispositionOf(r.reason) === 'transient');
  if (transient) throw transient[1].reason;
  const [permanent] = failed;
  if (permanent) throw new PermanentDependencyError(permanent[0], permanent[1].reason);
}

async function verify(keys: SigningKeys, headers: Headers, body: Buffer, nowSeconds: number) {
  try {
    return verifyDelivery(headers, body, await keys.current(), nowSeconds);
  } catch (error) {
    // After a rotation the cached secret may be the old one: look once more before refusing.
    if (!(error instanceof SignatureError) || error.reason !== 'no-match') throw error;
    const reloaded = await keys.reload();
    if (!reloaded) throw error;
    return verifyDelivery(headers, body, reloaded, nowSeconds);
  }
}

const KEPT_HEADERS = [
  'svix-id',
  'svix-timestamp',
  'svix-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
];

function signatureHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = header(headers, name);
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}
