import { createHash } from 'node:crypto';
import type { SyncEvent } from './events';
import { LIFECYCLE_EVENT_TYPES } from './job-state';
import { keys, lifecycleKeys, type LifecycleKeyParts, PARTITION_KEY_ATTRIBUTES } from './table-schema';
import { fromDate } from './timestamp';

/**
 * The one validation of a verified delivery against every limit downstream of it, so that an event the
 * webhook accepts can be written whole: a delivery that fails here is quarantined before anything else
 * is written. Limits are derived, not restated: the key templates of `table-schema.ts` are rendered with
 * marker values to learn which payload fields each key holds and how many bytes its fixed parts take, and
 * DynamoDB's key limits (below) do the rest. Changing a key template changes the limits with it.
 */

/**
 * DynamoDB's key size limits, in UTF-8 bytes (Developer Guide, "Service, account, and table quotas":
 * partition key 1 to 2,048 bytes, sort key 1 to 1,024 bytes; a global secondary index's keys have the
 * same limits). The local engine counts characters instead, so only this check stops a multi-byte key
 * that would pass locally and fail on AWS.
 */
export const KEY_LIMIT_BYTES = { partition: 2048, sort: 1024 } as const;

/** UTF-8 bytes (Buffer's default encoding), as DynamoDB counts a key. */
const bytes = (text: string) => Buffer.byteLength(text);

type KeyPart = keyof LifecycleKeyParts;
const PARTS: readonly KeyPart[] = ['collection', 'source', 'timestamp', 'jobId', 'eventType'];
const marker = (part: string) => `\u0000${part}\u0000`;

/** One key attribute of one item, as the template builds it: fixed bytes plus its payload parts. */
export interface KeyShape {
  readonly item: string;
  readonly attribute: string;
  readonly kind: 'partition' | 'sort';
  readonly limit: number;
  /** Bytes of the template's own text (prefixes, separators). */
  readonly fixedBytes: number;
  /** How many times each payload part appears in the key. */
  readonly parts: Readonly<Partial<Record<KeyPart, number>>>;
}

function shapeOf(item: string, attribute: string, value: string, names: readonly string[]) {
  const kind = PARTITION_KEY_ATTRIBUTES.includes(attribute) ? 'partition' : 'sort';
  const parts: Partial<Record<string, number>> = {};
  let fixed = value;
  for (const name of names) {
    const count = value.split(marker(name)).length - 1;
    if (count > 0) parts[name] = count;
    fixed = fixed.split(marker(name)).join('');
  }
  return { item, attribute, kind, limit: KEY_LIMIT_BYTES[kind], fixedBytes: bytes(fixed), parts } as const;
}

/** Every key a lifecycle event's writes produce, learned from the templates once at module load. */
export const LIFECYCLE_KEY_SHAPES: readonly KeyShape[] = Object.entries(
  lifecycleKeys(Object.fromEntries(PARTS.map((p) => [p, marker(p)])) as unknown as LifecycleKeyParts),
).flatMap(([item, attributes]) =>
  Object.entries(attributes).map(([attribute, value]) => shapeOf(item, attribute, value, PARTS) as KeyShape),
);

/**
 * The longest svix-id whose delivery keys (quarantined and ignored deliveries) fit, in bytes. The received
 * time in those keys is fixed width, so any instant stands in for it.
 */
export const MAX_DELIVERY_ID_BYTES: number = Math.min(
  ...[keys.quarantine, keys.ignored].flatMap((template) =>
    Object.entries(template(marker('id'), fromDate(new Date(0)))).map(([attribute, value]) => {
      const shape = shapeOf('delivery', attribute, value, ['id']);
      const count = shape.parts.id ?? 0;
      return count === 0 ? Infinity : Math.floor((shape.limit - shape.fixedBytes) / count);
    }),
  ),
);

/**
 * Why a verified delivery's svix-id cannot key its records, or undefined when it can: such a delivery is
 * quarantined (202) with this reason, kept under `deliveryKeyId`, rather than refused, so a signed delivery
 * always ends in one recorded outcome (Svix's own ids are about 30 characters).
 */
export function deliveryIdProblem(id: string): string | undefined {
  const bytes = Buffer.byteLength(id);
  return bytes > MAX_DELIVERY_ID_BYTES
    ? `svix-id is ${bytes} bytes, over the limit of ${MAX_DELIVERY_ID_BYTES} bytes of the table's delivery keys`
    : undefined;
}

/** The id a delivery's items are keyed by: its svix-id when that fits, else a digest of it (the item keeps the whole id). */
export function deliveryKeyId(id: string): string {
  return deliveryIdProblem(id) === undefined ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/**
 * The payload field a key part comes from, as the sender named it, and its value, for a reason a person can
 * act on: a source keyed by its type holds more than the field (`type:` before it, `table-schema.ts`).
 */
function fieldOf(part: KeyPart, event: SyncEvent): { readonly name: string; readonly value: string } {
  switch (part) {
    case 'collection':
      return {
        // The readable id is never null: it equals the UUID field only when it was filled from it.
        name:
          event.collection_readable_id === event.collection_id ? 'collection_id' : 'collection_readable_id',
        value: event.collection_readable_id,
      };
    case 'source':
      return event.source_connection_id !== null
        ? { name: 'source_connection_id', value: event.source_connection_id }
        : { name: 'source_type', value: event.source_type };
    case 'jobId':
      return { name: event.payload_format === 'legacy' ? 'job_id' : 'sync_job_id', value: event.sync_job_id };
    // Never the largest part of a key over its limit (a fixed-width time, a known event type); named all
    // the same, for the day a template changes.
    // Stryker disable all: no event reaches these two cases (above)
    case 'timestamp':
      return { name: 'timestamp', value: event.timestamp };
    case 'eventType':
      return { name: 'event_type', value: event.event_type };
  }
}
// Stryker restore all

function partsOf(event: SyncEvent): LifecycleKeyParts {
  return {
    collection: event.collection_readable_id,
    source: event.source_key,
    timestamp: event.timestamp,
    jobId: event.sync_job_id,
    eventType: event.event_type,
  };
}

/** Bytes of each key part. */
type PartSizes = Readonly<Record<KeyPart, number>>;

/**
 * The first key of the event that would exceed DynamoDB's limit, as a reason naming the payload field
 * that takes most of it, its size, the key and the limit; undefined when every key fits.
 */
export function keyProblem(event: SyncEvent): string | undefined {
  const values = partsOf(event);
  const sizes = Object.fromEntries(PARTS.map((p) => [p, bytes(values[p])])) as Record<KeyPart, number>;
  for (const shape of LIFECYCLE_KEY_SHAPES) {
    const entries = Object.entries(shape.parts) as [KeyPart, number][];
    const size = entries.reduce((sum, [part, count]) => sum + count * sizes[part], shape.fixedBytes);
    if (size <= shape.limit) continue;
    // The part taking most of the key; of equal ones, the first in the template.
    const [part] = entries.reduce((a, b) => (a[1] * sizes[a[0]] >= b[1] * sizes[b[0]] ? a : b));
    // What fits is the tightest of every key the field is part of, not only of this one: a sender who
    // cuts the field to the size named here must not be refused by the next key.
    // The field's own bytes, and its room less what the key part holds beside it.
    const field = fieldOf(part, event);
    const own = bytes(field.value);
    const tightest = Math.min(...LIFECYCLE_KEY_SHAPES.map((s) => roomFor(s, part, sizes)));
    const room = Math.max(0, tightest - (sizes[part] - own));
    return (
      `${field.name} is ${own} bytes (UTF-8): the ${shape.item} item's ${shape.kind} key ` +
      `${shape.attribute} would be ${size} bytes, over DynamoDB's ${shape.limit}-byte ${shape.kind} key ` +
      `limit; ${room} bytes fit here`
    );
  }
  return undefined;
}

/**
 * The bytes `part` may take in one key beside the other parts at the sizes given (Infinity when the key
 * does not hold it). A part the template holds twice gets half of what is left.
 */
export function roomFor(shape: KeyShape, part: KeyPart, sizes: PartSizes): number {
  const count = shape.parts[part];
  if (count === undefined) return Infinity;
  const others = (Object.entries(shape.parts) as [KeyPart, number][])
    .filter(([p]) => p !== part)
    .reduce((sum, [p, n]) => sum + n * sizes[p], shape.fixedBytes);
  return Math.floor((shape.limit - others) / count);
}

export interface TimeLimits {
  /** The delivery's signed `svix-timestamp`, epoch seconds. */
  readonly signedAt: number;
  /** How far a signed timestamp may be from the clock (the signature's tolerance), seconds. */
  readonly toleranceSeconds: number;
  readonly now: Date;
  /** Audit items expire after this many days: an older event would be recorded already expired. */
  readonly retentionDays: number;
}

/**
 * An event time the sender cannot have meant: later than the delivery itself was signed (plus the
 * tolerance the signature allows), which would pin the source "fresh" until that date; or older than
 * the retention, whose records would be expired on arrival. Undefined when it is in range.
 */
export function timeProblem(event: SyncEvent, limits: TimeLimits): string | undefined {
  // Normalized timestamps are fixed width, so comparing the text compares the instants to the microsecond.
  const latest = fromDate(new Date((limits.signedAt + limits.toleranceSeconds) * 1000));
  if (event.timestamp > latest)
    return (
      `timestamp ${event.timestamp} is later than the delivery's svix-timestamp ` +
      `(${fromDate(new Date(limits.signedAt * 1000))}) plus the ${limits.toleranceSeconds} s signature tolerance`
    );
  const earliest = fromDate(new Date(limits.now.getTime() - limits.retentionDays * 86_400_000));
  if (event.timestamp < earliest)
    return `timestamp ${event.timestamp} is older than the ${limits.retentionDays}-day retention (earliest ${earliest})`;
  return undefined;
}

/** Everything a lifecycle event must satisfy before any write: the first problem found, else undefined. */
export function boundaryProblem(event: SyncEvent, limits: TimeLimits): string | undefined {
  return timeProblem(event, limits) ?? keyProblem(event);
}

/**
 * The most bytes one key part can ever take in a recorded event: its room in the tightest key that holds
 * it, with every other part at its smallest (ids of one byte, the fixed-width time, the shortest event
 * type). Anything longer, such as a collection id in a query path, cannot name a recorded item.
 */
export function maxKeyPartBytes(part: KeyPart): number {
  const smallest: PartSizes = {
    collection: 1,
    source: 1,
    jobId: 1,
    timestamp: bytes(fromDate(new Date(0))),
    eventType: Math.min(...LIFECYCLE_EVENT_TYPES.map(bytes)),
  };
  return Math.min(...LIFECYCLE_KEY_SHAPES.map((shape) => roomFor(shape, part, smallest)));
}
