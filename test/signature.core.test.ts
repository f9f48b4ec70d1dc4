import {
  decodeSecrets,
  sign,
  signedAt,
  signedHeaders,
  splitSecrets,
  TIMESTAMP_TOLERANCE_SECONDS,
  verifyDelivery,
} from '../lambda/core/signature';
import { SECRET } from '../harness/deliveries';

const NOW = 1_776_952_500;
const BODY = Buffer.from('{"event_type":"sync.completed"}');
const keys = decodeSecrets([SECRET]);
const headers = (overrides: Record<string, string | undefined> = {}, at = NOW) => ({
  ...signedHeaders(SECRET, 'msg_1', at, BODY.toString()),
  ...overrides,
});
const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { reason?: string }).reason;
  }
  return 'accepted';
};

describe('signature verification, one rule at a time', () => {
  it('accepts a delivery signed within five minutes either way, and refuses one second more', () => {
    expect(TIMESTAMP_TOLERANCE_SECONDS).toBe(300);
    expect(reason(() => verifyDelivery(headers({}, NOW - 300), BODY, keys, NOW))).toBe('accepted');
    expect(reason(() => verifyDelivery(headers({}, NOW + 300), BODY, keys, NOW))).toBe('accepted');
    expect(reason(() => verifyDelivery(headers({}, NOW - 301), BODY, keys, NOW))).toBe('timestamp-too-old');
    expect(reason(() => verifyDelivery(headers({}, NOW + 301), BODY, keys, NOW))).toBe('timestamp-in-future');
  });

  it.each(['svix-id', 'svix-timestamp', 'svix-signature'])('refuses a delivery without %s', (name) => {
    expect(reason(() => verifyDelivery(headers({ [name]: undefined }), BODY, keys, NOW))).toBe(
      'missing-headers',
    );
  });

  it('reads the webhook-* header names as well as svix-*', () => {
    const svix = headers();
    const renamed = {
      'webhook-id': svix['svix-id'],
      'webhook-timestamp': svix['svix-timestamp'],
      'webhook-signature': svix['svix-signature'],
    };
    expect(verifyDelivery(renamed, BODY, keys, NOW).id).toBe('msg_1');
    expect(signedAt(renamed)).toBe(NOW);
  });

  it('a timestamp must be whole seconds, surrounding spaces allowed', () => {
    expect(reason(() => verifyDelivery(headers({ 'svix-timestamp': `${NOW}.5` }), BODY, keys, NOW))).toBe(
      'bad-timestamp',
    );
    expect(reason(() => verifyDelivery(headers({ 'svix-timestamp': `x${NOW}` }), BODY, keys, NOW))).toBe(
      'bad-timestamp',
    );
    expect(signedAt({ 'svix-timestamp': ` ${NOW} ` })).toBe(NOW);
    expect(signedAt({ 'svix-timestamp': `${NOW}s` })).toBeUndefined();
    expect(signedAt({ 'svix-timestamp': `s${NOW}` })).toBeUndefined();
    expect(signedAt({ 'svix-timestamp': '1234567890123' })).toBeUndefined();
    expect(signedAt({})).toBeUndefined();
  });

  it('needs a v1 signature, and takes the matching one among several', () => {
    const good = headers()['svix-signature']!;
    expect(reason(() => verifyDelivery(headers({ 'svix-signature': 'v2,abc' }), BODY, keys, NOW))).toBe(
      'no-v1-signature',
    );
    expect(reason(() => verifyDelivery(headers({ 'svix-signature': 'v1' }), BODY, keys, NOW))).toBe(
      'no-v1-signature',
    );
    expect(
      reason(() => verifyDelivery(headers({ 'svix-signature': `v1,x v2,y ${good}` }), BODY, keys, NOW)),
    ).toBe('accepted');
    expect(
      reason(() =>
        verifyDelivery(headers({ 'svix-signature': good.replace('v1,', 'v2,') }), BODY, keys, NOW),
      ),
    ).toBe('no-v1-signature');
    expect(reason(() => verifyDelivery(headers({ 'svix-signature': 'v1,AAAA' }), BODY, keys, NOW))).toBe(
      'no-match',
    );
  });

  it('signs id, timestamp and body with the key, as svix does', () => {
    const [key] = keys;
    expect(sign(key!, 'msg_1', NOW, BODY.toString())).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(sign(key!, 'msg_2', NOW, BODY.toString())).not.toBe(sign(key!, 'msg_1', NOW, BODY.toString()));
    expect(headers()).toMatchObject({
      'svix-id': 'msg_1',
      'svix-timestamp': String(NOW),
      'content-type': 'application/json',
    });
  });

  it('a secret must be whsec_ and canonical base64; several may be given, blank ones ignored', () => {
    expect(decodeSecrets([` ${SECRET} `, '', SECRET.slice('whsec_'.length)])).toHaveLength(2);
    expect(() => decodeSecrets(['whsec_'])).toThrow('not a whsec_<base64> value');
    expect(() => decodeSecrets(['whsec_abc$'])).toThrow('not a whsec_<base64> value');
    expect(() => decodeSecrets(['  '])).toThrow('no webhook signing secret is configured');
  });
});

describe('signature refusals and secrets, in detail', () => {
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  };

  it('each refusal says what was wrong', () => {
    expect(message(() => verifyDelivery(headers({ 'svix-id': undefined }), BODY, keys, NOW))).toBe(
      'missing svix-id, svix-timestamp or svix-signature header',
    );
    expect(message(() => verifyDelivery(headers({ 'svix-timestamp': 'soon' }), BODY, keys, NOW))).toBe(
      'svix-timestamp is not a number of seconds',
    );
    expect(message(() => verifyDelivery(headers({}, NOW - 301), BODY, keys, NOW))).toBe(
      'svix-timestamp is too old',
    );
    expect(message(() => verifyDelivery(headers({}, NOW + 301), BODY, keys, NOW))).toBe(
      'svix-timestamp is in the future',
    );
    expect(message(() => verifyDelivery(headers({ 'svix-signature': 'v2,x' }), BODY, keys, NOW))).toBe(
      'svix-signature has no v1 signature',
    );
    expect(message(() => verifyDelivery(headers({ 'svix-signature': 'v1,x' }), BODY, keys, NOW))).toBe(
      'no signature matches',
    );
  });

  it('a timestamp with spaces around it is verified as the number it holds', () => {
    expect(verifyDelivery(headers({ 'svix-timestamp': ` ${NOW} ` }), BODY, keys, NOW)).toEqual({
      id: 'msg_1',
      timestamp: NOW,
    });
  });

  it("a secret's base64 may leave its padding out or write it whole", () => {
    // One key byte: canonical base64 "QQ==".
    expect(decodeSecrets(['whsec_QQ'])).toEqual([Buffer.from('A')]);
    expect(decodeSecrets(['whsec_QQ=='])).toEqual([Buffer.from('A')]);
    expect(decodeSecrets(['QUI='])).toEqual([Buffer.from('AB')]);
  });

  it('a rotation setting splits on commas and white space, dropping the blanks', () => {
    expect(splitSecrets(' whsec_a, whsec_b ,,whsec_c\n\twhsec_d ')).toEqual([
      'whsec_a',
      'whsec_b',
      'whsec_c',
      'whsec_d',
    ]);
    expect(splitSecrets('whsec_only')).toEqual(['whsec_only']);
    expect(splitSecrets(' , ')).toEqual([]);
  });
});
