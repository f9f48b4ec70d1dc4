import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  functionClient,
  reusingSigner,
  SDK_CLIENT_CONFIG,
  tuned,
  withoutSdkLogging,
} from '../lambda/adapters/sdk-clients';
import { type Engine, startEngine } from './helpers/engine';

/**
 * `reusingSigner` on a real DynamoDB client, its calls signed by the SDK and sent to the local engine: one
 * signer for the client's lifetime, and still the credentials of the moment on every call.
 */
let engine: Engine;
let table: string;
beforeAll(async () => {
  engine = await startEngine();
  table = await engine.newTable();
});
afterAll(() => engine.stop());

type Credentials = { accessKeyId: string; secretAccessKey: string; expiration?: Date };

/** A client whose calls record the Authorization header they were sent with, and its signer builds. */
function client(credentials: () => Promise<Credentials>) {
  const dynamo = new DynamoDBClient({
    ...SDK_CLIENT_CONFIG,
    endpoint: engine.endpoint,
    region: 'eu-west-1',
    credentials,
    maxAttempts: 1,
  });
  let builds = 0;
  const build = dynamo.config.signer;
  dynamo.config.signer = (scheme) => {
    builds++;
    return build(scheme);
  };
  const authorizations: string[] = [];
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      authorizations.push(
        String((args.request as { headers: Record<string, string> }).headers.authorization),
      );
      return next(args);
    },
    // Innermost, after signing: the header as it goes on the wire.
    { step: 'deserialize', priority: 'low', name: 'recordAuthorization' },
  );
  reusingSigner(dynamo);
  const get = () =>
    dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'p' }, sk: { S: 's' } } }));
  return { get, builds: () => builds, authorizations };
}

test('every call of a client is signed by the one signer built on its first call', async () => {
  const { get, builds, authorizations } = client(async () => ({
    accessKeyId: 'AKIDA',
    secretAccessKey: 'a',
  }));
  for (let i = 0; i < 3; i++) await get();
  expect(builds()).toBe(1);
  expect(authorizations).toHaveLength(3);
  for (const header of authorizations)
    expect(header).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDA\/\d{8}\/eu-west-1\/dynamodb\//);
});

test('a reused signer signs with the credentials of the moment: rotated credentials are not kept', async () => {
  // Credentials that expire within the SDK's refresh window are read again on every call.
  let key = 'AKIDFIRST';
  const { get, builds, authorizations } = client(async () => ({
    accessKeyId: key,
    secretAccessKey: `secret-of-${key}`,
    expiration: new Date(Date.now() + 1000),
  }));
  await get();
  key = 'AKIDROTATED';
  await get();
  expect(builds()).toBe(1);
  expect(authorizations[0]).toContain('Credential=AKIDFIRST/');
  expect(authorizations[1]).toContain('Credential=AKIDROTATED/');
  const signature = (header: string | undefined) => header?.match(/Signature=([0-9a-f]{64})$/)?.[1];
  expect(signature(authorizations[1])).toBeDefined();
  expect(signature(authorizations[1])).not.toBe(signature(authorizations[0]));
});

test('a signer that failed to build is built again on the next call, not kept', async () => {
  let attempts = 0;
  const signer = { sign: async <T>(request: T) => request };
  const fake = {
    config: {
      signer: async () => {
        if (++attempts === 1) throw new Error('credentials not resolvable yet');
        return signer;
      },
    },
  } as unknown as Parameters<typeof reusingSigner>[0];
  reusingSigner(fake);
  await expect(fake.config.signer()).rejects.toThrow('credentials not resolvable yet');
  await expect(fake.config.signer()).resolves.toBe(signer);
  await expect(fake.config.signer()).resolves.toBe(signer);
  expect(attempts).toBe(2);
});

test('auth schemes of other regions or services get signers of their own', async () => {
  const built: unknown[] = [];
  const fake = {
    config: {
      signer: async (scheme?: { signingRegion?: string }) => {
        const signer = { region: scheme?.signingRegion };
        built.push(signer);
        return signer;
      },
    },
  } as unknown as Parameters<typeof reusingSigner>[0];
  reusingSigner(fake);
  const scheme = (signingRegion: string, signingName = 'dynamodb') =>
    ({ name: 'sigv4', signingRegion, signingName, properties: {} }) as never;
  const first = await fake.config.signer(scheme('eu-west-1'));
  expect(await fake.config.signer(scheme('eu-west-1'))).toBe(first);
  expect(await fake.config.signer(scheme('us-east-1'))).not.toBe(first);
  expect(await fake.config.signer(scheme('eu-west-1', 'sns'))).not.toBe(first);
  expect(built).toHaveLength(3);
});

describe('withoutSdkLogging', () => {
  /**
   * A client whose SDK logger records the errors it is handed (the middleware's failed-call path; config
   * resolution logs debug lines of its own), and a conditional put the engine refuses.
   */
  function refused(strip: (client: DynamoDBClient) => DynamoDBClient) {
    const handed: unknown[] = [];
    const record = (...content: unknown[]) => handed.push(content);
    const ignore = () => {};
    const dynamo = strip(
      new DynamoDBClient({
        ...SDK_CLIENT_CONFIG,
        endpoint: engine.endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDA', secretAccessKey: 'a' },
        maxAttempts: 1,
        logger: { debug: ignore, info: ignore, warn: ignore, error: record },
      }),
    );
    const put = dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'absent' }, sk: { S: 'absent' } },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
    return { put, handed };
  }

  test('a refused write hands the SDK logger nothing, and the caller still gets the refusal', async () => {
    const { put, handed } = refused((client) => withoutSdkLogging(client));
    await expect(put).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(handed).toEqual([]);
  });

  test('the SDK would otherwise copy the refused request for its logger (what the middleware costs)', async () => {
    const { put, handed } = refused((client) => client);
    await expect(put).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(handed).toHaveLength(1);
  });

  test('tuned clients are stripped of it too', () => {
    const client = tuned(new DynamoDBClient({ ...SDK_CLIENT_CONFIG, region: 'eu-west-1' }));
    expect(client.middlewareStack.identify().some((name) => name.startsWith('loggerMiddleware'))).toBe(false);
  });
});

test("a function's client is made with the shared config, one signer and no SDK logger middleware", async () => {
  const previous = process.env.AWS_REGION;
  process.env.AWS_REGION = 'eu-west-1';
  try {
    const client = functionClient(DynamoDBClient);
    expect(client.config.cacheMiddleware).toBe(true);
    expect(client.middlewareStack.identify().some((name) => name.startsWith('loggerMiddleware'))).toBe(false);
    const scheme = {
      name: 'sigv4',
      signingRegion: 'eu-west-1',
      signingName: 'dynamodb',
      properties: {},
    } as never;
    expect(client.config.signer(scheme)).toBe(client.config.signer(scheme));
  } finally {
    if (previous === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = previous;
  }
});
