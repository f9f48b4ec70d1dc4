import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { modelled, RoundTrips, secretsManagerStandIn } from '../bench/aws-stand-in';
import { SecretsManagerApiKey } from '../lambda/adapters/airweave-key';
import { SecretsManagerSigningKeys } from '../lambda/adapters/signing-keys';
import { API_KEY_PLACEHOLDER } from '../lambda/core/airweave';
import { decodeSecrets } from '../lambda/core/signature';
import { currentPayload, NOW_SECONDS, OTHER_SECRET, SECRET, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { parseBody, wire } from '../harness/stack';

/**
 * The secrets as the functions read them: Powertools Parameters (`SecretsProvider.get`, as `getSecret`)
 * through a real SDK client whose requests the Secrets Manager stand-in of `bench/aws-stand-in.ts` answers
 * (the service cannot run here). The stand-in reads the value at each call, so a test can rotate it.
 */
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:airweave-webhook';

function secrets(value: string) {
  const store: Record<string, string> = { [ARN]: value };
  const standIn = secretsManagerStandIn(store);
  const client = modelled(
    new SecretsManagerClient({
      endpoint: 'http://stand-in.invalid',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    }),
    'SecretsManager',
    0,
    new RoundTrips(),
    standIn.answer,
  );
  return { client, reads: standIn.reads, rotate: (next: string) => (store[ARN] = next) };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('signing keys from Secrets Manager (Powertools Parameters)', () => {
  it('reads the secret once while it is fresh, and again once maxAge has passed', async () => {
    const { client, reads } = secrets(SECRET);
    const keys = new SecretsManagerSigningKeys(client, ARN, { maxAgeSeconds: 1 });
    const [first, second] = await Promise.all([keys.current(), keys.current()]);
    await keys.current();
    expect(first).toEqual(decodeSecrets([SECRET]));
    expect(second).toBe(first);
    // Concurrent cold reads share one call; later ones come from the cache.
    expect(reads()).toBe(1);
    await sleep(1100);
    await keys.current();
    expect(reads()).toBe(2);
  });

  it('after a rotation, a failed match reloads early (forceFetch), at most once per interval', async () => {
    const { client, reads, rotate } = secrets(SECRET);
    let now = 0;
    const keys = new SecretsManagerSigningKeys(client, ARN, { reloadIntervalMs: 30_000, now: () => now });
    expect(await keys.current()).toEqual(decodeSecrets([SECRET]));
    rotate(`${OTHER_SECRET},${SECRET}`);
    now = 10_000;
    // Just read at cold start: a forged signature cannot make it call Secrets Manager again.
    expect(await keys.reload()).toBeUndefined();
    expect(await keys.current()).toEqual(decodeSecrets([SECRET]));
    expect(reads()).toBe(1);
    now = 31_000;
    expect(await keys.reload()).toEqual(decodeSecrets([OTHER_SECRET, SECRET]));
    expect(reads()).toBe(2);
    // The forced read refreshed the cache, and starts a new interval.
    expect(await keys.current()).toEqual(decodeSecrets([OTHER_SECRET, SECRET]));
    expect(await keys.reload()).toBeUndefined();
    expect(reads()).toBe(2);
  });

  it("throws the SDK's own error, not Powertools' wrapper, so the error table can classify it", async () => {
    const { client } = secrets(SECRET);
    const keys = new SecretsManagerSigningKeys(client, `${ARN}-missing`);
    await expect(keys.current()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('the webhook across a rotation of its signing secret', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(() => engine.stop());

  it('accepts a delivery signed with the new secret on the first try, with one extra read', async () => {
    const { client, reads, rotate } = secrets(SECRET);
    let now = NOW_SECONDS * 1000;
    const keys = new SecretsManagerSigningKeys(client, ARN, { now: () => now });
    const { webhook } = wire(engine.client, await engine.newTable(), { keys });
    expect((await webhook(signedRequest(currentPayload(), { id: 'msg_before' }))).statusCode).toBe(200);
    // Airweave rotates: it signs with the new secret, which the stack's secret now holds too.
    rotate(`${OTHER_SECRET},${SECRET}`);
    now += 60_000;
    const rotated = signedRequest(currentPayload({ sync_job_id: 'job-rotated' }), {
      id: 'msg_after',
      secret: OTHER_SECRET,
    });
    const response = await webhook(rotated);
    expect(response.statusCode).toBe(200);
    expect(parseBody(response)).toEqual({ result: 'processed' });
    expect(reads()).toBe(2);
    // A forged delivery right after finds the reload spent: refused, with no further read.
    const forger = `whsec_${Buffer.from('a-secret-that-the-stack-never-held').toString('base64')}`;
    const forged = signedRequest(currentPayload(), { id: 'msg_forged', secret: forger });
    expect((await webhook(forged)).statusCode).toBe(401);
    expect(reads()).toBe(2);
  });
});

describe("Airweave's API key from Secrets Manager", () => {
  it('is cached, and the placeholder means not configured', async () => {
    const { client, reads, rotate } = secrets(API_KEY_PLACEHOLDER);
    const key = new SecretsManagerApiKey(client, ARN);
    expect(await key.current()).toBeUndefined();
    rotate('  real-key  ');
    expect(await key.current()).toBeUndefined();
    expect(reads()).toBe(1);
  });
});
