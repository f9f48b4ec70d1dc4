import { createHmac, timingSafeEqual } from 'node:crypto';
import { SettingError, SignatureError } from './errors';

/** Svix's tolerance: a delivery whose timestamp is more than five minutes off, either way, is refused. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type Headers = Readonly<Record<string, string | undefined>>;

export interface VerifiedDelivery {
  /** The message id: `svix-id` (or `webhook-id`), the same on every retry of one message. */
  readonly id: string;
  readonly timestamp: number;
}

/**
 * Decodes the configured signing secrets (`whsec_<base64>`, several during rotation). Throws a
 * SettingError at cold start rather than rejecting every delivery later with a misleading 401.
 */
export function decodeSecrets(secrets: readonly string[]): Buffer[] {
  const keys = secrets
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((secret) => {
      const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
      const key = Buffer.from(encoded, 'base64');
      if (key.length === 0 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, ''))
        throw new SettingError('the webhook signing secret is not a whsec_<base64> value');
      return key;
    });
  if (keys.length === 0) throw new SettingError('no webhook signing secret is configured');
  return keys;
}

/** Splits a comma-separated secret setting (rotation: old and new side by side). */
export function splitSecrets(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s.length > 0);
}

/** Reads a header whatever its case; Svix sends `svix-*`, some deployments `webhook-*`. */
export function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function svixHeader(headers: Headers, suffix: 'id' | 'timestamp' | 'signature'): string | undefined {
  return header(headers, `svix-${suffix}`) ?? header(headers, `webhook-${suffix}`);
}

/**
 * The signed `svix-timestamp` (or `webhook-timestamp`) of a delivery's kept headers, epoch seconds;
 * undefined when absent or not a number. The boundary bounds event times by it, also on replay.
 */
export function signedAt(headers: Headers): number | undefined {
  const text = svixHeader(headers, 'timestamp')?.trim() ?? '';
  return /^\d{1,12}$/.test(text) ? Number(text) : undefined;
}

export function sign(key: Buffer, id: string, timestamp: number, body: Buffer | string): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

/**
 * Verifies a delivery exactly as Svix's libraries do: HMAC-SHA256 over `{id}.{timestamp}.{raw body}` with
 * every configured key, its base64 text compared in constant time with every `v1,` signature of the header (other
 * versions such as `v1a` are skipped). Throws a SignatureError whose message says what was wrong.
 */
export function verifyDelivery(
  headers: Headers,
  body: Buffer,
  keys: readonly Buffer[],
  nowSeconds: number,
): VerifiedDelivery {
  const id = svixHeader(headers, 'id');
  const timestampText = svixHeader(headers, 'timestamp');
  const signatureHeader = svixHeader(headers, 'signature');
  if (!id || !timestampText || !signatureHeader)
    throw new SignatureError('missing-headers', 'missing svix-id, svix-timestamp or svix-signature header');
  const seconds = timestampText.trim();
  if (!/^\d{1,12}$/.test(seconds))
    throw new SignatureError('bad-timestamp', 'svix-timestamp is not a number of seconds');
  const timestamp = Number(seconds);
  if (nowSeconds - timestamp > TIMESTAMP_TOLERANCE_SECONDS)
    throw new SignatureError('timestamp-too-old', 'svix-timestamp is too old');
  if (timestamp - nowSeconds > TIMESTAMP_TOLERANCE_SECONDS)
    throw new SignatureError('timestamp-in-future', 'svix-timestamp is in the future');

  // The signature text itself is compared, as Svix's libraries (standardwebhooks) do: only the canonical
  // base64 of the HMAC matches. Decoding first would also accept base64url, missing padding or junk after
  // it, which decode to the same bytes: not a forgery, but not what the sender signed either.
  const candidates = signatureHeader
    .split(' ')
    .map((entry) => entry.split(','))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] === 'v1')
    .map(([, signature]) => Buffer.from(signature));
  if (candidates.length === 0)
    throw new SignatureError('no-v1-signature', 'svix-signature has no v1 signature');

  for (const key of keys) {
    const expected = Buffer.from(sign(key, id, timestamp, body));
    for (const candidate of candidates)
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected))
        return { id, timestamp };
  }
  throw new SignatureError('no-match', 'no signature matches');
}

/** The headers Svix would send for a body: used by the CLI's `send`, local mode's examples and tests. */
export function signedHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  const [key] = decodeSecrets([secret]);
  return {
    'content-type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(timestampSeconds),
    'svix-signature': `v1,${sign(key as Buffer, id, timestampSeconds, body)}`,
  };
}
