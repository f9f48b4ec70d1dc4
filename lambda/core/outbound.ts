import { createHash } from 'node:crypto';
import type { Alert } from './alerts';
import type { SyncEvent } from './events';

/**
 * Messages built to Amazon SNS's rules (API reference, Publish and MessageAttributeValue), so a publish
 * never fails on what the sender put in a field:
 * - Subject: UTF-8 text with no line breaks or control characters, less than 100 characters, not empty;
 * - Message: UTF-8, at most 256 KB (262,144 bytes), the message attributes counted in that size;
 * - a String attribute value: non-empty Unicode text of the characters XML 1.0 allows (SNS and SQS share
 *   this rule; a lone surrogate cannot even be encoded as UTF-8).
 * The SNS adapter and local mode's stand-in both publish what these functions build.
 */
export const SNS_LIMITS = {
  subjectMaxChars: 99,
  messageMaxBytes: 262_144,
  /** Kept short on purpose: subscribers filter on these values, and a filter policy value is short. */
  attributeValueMaxChars: 256,
} as const;

/** What one Publish carries, before the adapter puts it into the API's shape. */
export interface OutboundMessage {
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Attribute values SNS refuses as empty are sent as this placeholder, which subscribers can filter on. */
export const NO_VALUE = 'none';

// C0 and C1 control characters and DEL: SNS refuses them in a subject (ANSI colour codes start with ESC).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Characters outside XML 1.0's Char production, and lone surrogates.
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** An ANSI escape sequence (colours, cursor moves): removed whole, not just its ESC. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-_]/g;

/**
 * Cuts text to at most `max` UTF-16 units without splitting a surrogate pair. Shorter text comes back
 * whole: `charAt` past its end is empty and `slice` stops at its end.
 */
function cut(text: string, max: number): string {
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/**
 * A subject SNS accepts for any text: escape sequences and control characters removed, line breaks and
 * runs of white space made one space, at most 99 characters (an ellipsis marks a cut), never empty.
 */
export function snsSubject(text: string): string {
  const clean = text
    .replace(ANSI, '')
    .replace(/\s+/g, ' ')
    .replace(CONTROL, '')
    .replace(NOT_XML, '\ufffd')
    .trim();
  const max = SNS_LIMITS.subjectMaxChars;
  const fitted = clean.length <= max ? clean : `${cut(clean, max - 3).trimEnd()}...`;
  return fitted.length > 0 ? fitted : 'Airweave sync notification';
}

/** A String attribute value SNS accepts: valid characters, at most 256 characters, never empty. */
export function attributeValue(value: string | null | undefined): string {
  const clean = cut(
    (value ?? '').replace(ANSI, '').replace(NOT_XML, '\ufffd'),
    SNS_LIMITS.attributeValueMaxChars,
  );
  return clean.trim().length > 0 ? clean : NO_VALUE;
}

/** UTF-8 bytes, as SNS counts them (Buffer's default encoding). */
const bytes = (text: string) => Buffer.byteLength(text);

/** What the attributes add to a message's size, as SNS counts it: name, data type and value. */
function attributesBytes(attributes: Readonly<Record<string, string>>): number {
  return Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + bytes(name) + bytes('String') + bytes(value),
    0,
  );
}

/** Fields whose text can be long (a sync's error output): the ones shortened when a message is too big. */
const LONG_FIELDS = new Set(['error', 'last_error']);

/**
 * A long text cut to `max` characters with a note saying so, or whole when that would not make it shorter:
 * cut just under its length, the note would make it longer. Keeping it whole then makes a message's size
 * grow with `max`, which the bisection in `fittedJson` needs to find the longest cut that fits.
 */
function cutText(text: string, max: number): string {
  const shortened = `${cut(text, max)}... [truncated from ${bytes(text)} bytes; the whole text is in the audit record]`;
  return bytes(shortened) < bytes(text) ? shortened : text;
}

function withLongFieldsCut(value: unknown, max: number): unknown {
  if (Array.isArray(value)) return value.map((v) => withLongFieldsCut(v, max));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      LONG_FIELDS.has(key) && typeof v === 'string' ? cutText(v, max) : withLongFieldsCut(v, max),
    ]),
  );
}

// An array needs no case of its own: its entries are keyed '0', '1'..., never a long field's name.
function longestField(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return Math.max(
    0,
    ...Object.entries(value).map(([key, v]) =>
      LONG_FIELDS.has(key) && typeof v === 'string' ? v.length : longestField(v),
    ),
  );
}

/**
 * The message text of a JSON body, within SNS's size limit together with its attributes. When the body is
 * too big, its long text fields (errors) are cut to the longest length that fits, with a note saying so;
 * the audit record keeps them whole.
 */
export function fittedJson(
  body: unknown,
  attributes: Readonly<Record<string, string>>,
  indent?: number,
): string {
  const budget = SNS_LIMITS.messageMaxBytes - attributesBytes(attributes);
  const full = JSON.stringify(body, null, indent);
  // A fast path only: without it, a body that fits is bisected up to its longest field, a cut that keeps
  // every field whole (`cutText`), and comes back as this same text.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the same text either way (above)
  if (bytes(full) <= budget) return full;
  // JSON size grows with the cut length: the longest cut that fits, by bisection.
  let low = 0;
  let high = longestField(body);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (bytes(JSON.stringify(withLongFieldsCut(body, mid), null, indent)) <= budget) low = mid;
    else high = mid - 1;
  }
  const fitted = JSON.stringify(withLongFieldsCut(body, low), null, indent);
  // Not expected: the boundary limits every other field far below this size. Without indentation then.
  return bytes(fitted) <= budget ? fitted : JSON.stringify(withLongFieldsCut(body, low));
}

/**
 * A stable identifier of one alert: the same for every attempt to send it (a retry, a redelivery, a run
 * after a crash), different for different alerts, so a subscriber can drop repeats. Built from what
 * makes the alert (its kind and the job, episode or run it is about), never from the time of sending.
 */
export function alertId(kind: string, ...about: readonly string[]): string {
  const digest = createHash('sha256')
    .update([kind, ...about].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
  return `${kind}:${digest}`;
}

/**
 * The events topic's message: the normalized event, with the attributes caches filter on
 * (`event_type`, `collection`, `source_type`, `source_connection_id`) and `event_id`, stable across
 * re-publications of one transition, for subscribers that want to drop the rare duplicate.
 */
export function eventMessage(event: SyncEvent): OutboundMessage {
  const attributes = {
    event_type: attributeValue(event.event_type),
    collection: attributeValue(event.collection_readable_id),
    source_type: attributeValue(event.source_type),
    source_connection_id: attributeValue(event.source_connection_id),
    event_id: attributeValue(`${event.sync_job_id}:${event.event_type}`),
  };
  return { message: fittedJson(event, attributes), attributes };
}

/** A team's alert: readable subject, JSON body, and `kind`, `collection`, `source_type`, `alert_id` attributes. */
export function alertMessage(alert: Alert): OutboundMessage {
  const attributes = {
    kind: attributeValue(alert.kind),
    collection: attributeValue(alert.collection_readable_id),
    source_type: attributeValue(alert.source_type),
    alert_id: attributeValue(alert.alert_id),
  };
  const subject = snsSubject(alert.subject);
  return {
    subject,
    message: fittedJson({ subject, alert_id: alert.alert_id, ...alert.body }, attributes, 2),
    attributes,
  };
}
