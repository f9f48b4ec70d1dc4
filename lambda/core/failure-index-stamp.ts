import { TIMESTAMP_TOLERANCE_SECONDS } from './signature';
import { fromDate } from './timestamp';

/**
 * The deploy-time stamp of the failure index (docs/DESIGN.md section 8): since when a deployed table's
 * failure index holds every failure, so freshness at T may rely on it. Local mode and the benchmarks create
 * their table with the index and stamp it `''` (always); a deployed table may be an upgraded one holding
 * failures recorded by code that wrote no index keys, so its stamp is a time after which no such code can
 * have recorded a failure.
 *
 * A failure is indexed when the code that records it knows the index. Once a deploy has updated every
 * function that records events, the old code only finishes the invocations already in flight, each within
 * its function's timeout (`drainSeconds`: the longest timeout among those functions); every later
 * invocation, Lambda's own retries included, runs the new code. What the old code recorded carries the
 * sender's event time, not our clock: the webhook accepts an event time at most one signature tolerance
 * after its `svix-timestamp`, and a `svix-timestamp` at most one tolerance ahead of our clock
 * (`core/boundary.ts`, `core/signature.ts`), so an event recorded at our time t has an event time before
 * t + 2 tolerances. The reconciler records Airweave's own times of job states already reached, which the
 * same skew bounds.
 */
export const EVENT_TIME_LEAD_SECONDS = 2 * TIMESTAMP_TOLERANCE_SECONDS;

/** The custom resource's properties: set by the construct (`lib/failure-index-stamp.ts`), read by its function. */
export const STAMP_PROPERTIES = { tableName: 'TableName', drainSeconds: 'DrainSeconds' } as const;

/** What CloudFormation asks of a custom resource. */
export type StampRequest = 'Create' | 'Update' | 'Delete';

/** Lambda's longest timeout: a drain beyond it means the caller passed something other than a timeout. */
const MAX_DRAIN_SECONDS = 900;

/**
 * The `since` a deploy stamps: the deploy's time plus the drain and the event-time lead. Written on the
 * custom resource's Create and Update (CloudFormation sends them once every function that records events
 * runs the new code), and only where the table has no stamp yet: an earlier stamp is already true and
 * covers more of the index.
 */
export function stampSince(now: Date, drainSeconds: number): string {
  if (!Number.isInteger(drainSeconds) || drainSeconds < 0 || drainSeconds > MAX_DRAIN_SECONDS)
    throw new RangeError(
      `drainSeconds must be a whole number of seconds from 0 to ${MAX_DRAIN_SECONDS} (a Lambda timeout), got ${drainSeconds}`,
    );
  return fromDate(new Date(now.getTime() + (drainSeconds + EVENT_TIME_LEAD_SECONDS) * 1000));
}

const ID_PREFIX = 'failure-index-stamp';
const KEPT = 'kept';

/**
 * The custom resource's physical id: the table, and the `since` this resource wrote, or `kept` when the
 * table already had a stamp. CloudFormation hands it back on Update and Delete, which is how the resource
 * knows what it owns. Table names hold no `/`, and neither do timestamps.
 */
export function stampResourceId(tableName: string, written: string | undefined): string {
  return `${ID_PREFIX}/${tableName}/${written ?? KEPT}`;
}

/** A physical id of `stampResourceId` read back: its table, and the `since` it wrote (undefined when kept). */
export function parseStampResourceId(
  physicalId: string,
): { readonly tableName: string; readonly written: string | undefined } | undefined {
  const parts = physicalId.split('/');
  if (parts.length !== 3 || parts[0] !== ID_PREFIX || parts[1] === '' || parts[2] === '') return undefined;
  const [, tableName, last] = parts as [string, string, string];
  return { tableName, written: last === KEPT ? undefined : last };
}

/**
 * What a Delete takes back: the stamp this resource wrote, and only while the table still holds that very
 * stamp (the adapter deletes on that condition). A Delete comes when a failed deploy rolls back the
 * resource's Create, when a later template drops it (a downgrade to code that may not write the index), or
 * with the stack: each time the functions may soon run code that writes no index keys, and a stamp left
 * behind would claim failures the index never got. Without a stamp, freshness at T reads source by source:
 * slower, never wrong. A stamp this resource found already there (`kept`) is not its to take back.
 * Undefined when there is nothing to take back.
 */
export function ownedStamp(
  physicalId: string | undefined,
): { readonly tableName: string; readonly since: string } | undefined {
  const parsed = physicalId === undefined ? undefined : parseStampResourceId(physicalId);
  return parsed?.written === undefined ? undefined : { tableName: parsed.tableName, since: parsed.written };
}

/** The table's stamp item, as the stamp's use case writes and takes it back. */
export interface StampStore {
  /**
   * Writes `since` unless the table has a stamp (or holds this very one, so a retried write counts as
   * written); false when an earlier stamp was kept.
   */
  write(tableName: string, since: string): Promise<boolean>;
  /** Deletes the stamp if it is still `since`; false when the table holds another or none. */
  takeBack(tableName: string, since: string): Promise<boolean>;
}

export interface StampRequestInput {
  readonly request: StampRequest;
  readonly tableName: string;
  readonly drainSeconds: number;
  /** Undefined on Create. */
  readonly physicalId?: string;
}

/** What the custom resource answers CloudFormation: its physical id, and a line for the stack's events. */
export interface StampOutcome {
  readonly physicalId: string;
  readonly reason: string;
}

/**
 * One CloudFormation request to the stamp resource, end to end (the handler only parses the request and
 * answers CloudFormation). Create and Update write a stamp unless the table has one; the resource owns a
 * stamp it wrote, and keeps owning it across Updates that write nothing. Delete takes back what it owns.
 */
export async function handleStampRequest(
  store: StampStore,
  input: StampRequestInput,
  now: Date,
): Promise<StampOutcome> {
  if (input.request === 'Delete') {
    const owned = ownedStamp(input.physicalId);
    const id = input.physicalId ?? stampResourceId(input.tableName, undefined);
    if (!owned) return { physicalId: id, reason: 'this resource wrote no stamp: nothing to take back' };
    const taken = await store.takeBack(owned.tableName, owned.since);
    return {
      physicalId: id,
      reason: taken
        ? `took back the failure index stamp ${owned.since}: freshness at T reads source by source`
        : `the table no longer holds the stamp ${owned.since}: nothing to take back`,
    };
  }
  const since = stampSince(now, input.drainSeconds);
  if (await store.write(input.tableName, since))
    return {
      physicalId: stampResourceId(input.tableName, since),
      reason: `the failure index holds every failure from ${since}`,
    };
  // An Update that wrote nothing keeps the id it had for this table: the stamp it owns stays its own.
  const previousId = input.physicalId;
  const sameTable =
    previousId !== undefined && parseStampResourceId(previousId)?.tableName === input.tableName;
  return {
    physicalId: sameTable ? previousId : stampResourceId(input.tableName, undefined),
    reason: 'kept the earlier failure index stamp of the table',
  };
}

/**
 * The physical id a failed request answers with. A failed Create claims the stamp it was writing (the
 * write may have landed before the failure, a timeout say): the rollback's Delete then takes it back if it
 * is there, and finds nothing to do if not. Update and Delete keep the id they had.
 */
export function failedStampId(input: StampRequestInput, now: Date): string {
  if (input.physicalId !== undefined) return input.physicalId;
  try {
    return stampResourceId(input.tableName, stampSince(now, input.drainSeconds));
  } catch {
    return stampResourceId(input.tableName, undefined);
  }
}
