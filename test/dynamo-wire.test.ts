import {
  type AttributeValue,
  BatchGetItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DynamoWire,
  type DynamoOperation,
  type DynamoOperations,
} from '../lambda/adapters/store/dynamo-wire';
import { SDK_CLIENT_CONFIG, tuned } from '../lambda/adapters/sdk-clients';
import { dispositionOf } from '../lambda/core/dependency-errors';
import { type Engine, startEngine } from './helpers/engine';

/**
 * `DynamoWire` is the table adapter's way to DynamoDB. On the engine, every operation it makes answers
 * exactly what the SDK's command answers for the same input; against a loopback stand-in of DynamoDB's
 * HTTP front (for what the engine cannot do on demand: throttle, fail, disagree about the time) it
 * retries, names and signs as the SDK does.
 */
let engine: Engine;
let table: string;
beforeAll(async () => {
  engine = await startEngine();
  table = await engine.newTable();
});
afterAll(() => engine.stop());

const credentials = { accessKeyId: 'AKIDWIRETEST', secretAccessKey: 'wire-test-secret' };

/** A function's client (`tuned`, as `functionClient` makes it), signing for real, on `endpoint`. */
function clientOn(endpoint: string, extra: Partial<ConstructorParameters<typeof DynamoDBClient>[0]> = {}) {
  return tuned(
    new DynamoDBClient({ ...SDK_CLIENT_CONFIG, endpoint, region: 'eu-west-1', credentials, ...extra }),
  );
}

describe('on the engine: the same answers as the SDK', () => {
  const item: Record<string, AttributeValue> = {
    pk: { S: 'wire#1' },
    sk: { S: 'item' },
    text: { S: 'naïve, 日本, 🙂' },
    count: { N: '12345678901234567890' },
    body: { B: Buffer.from([0, 1, 2, 253, 254, 255]) },
    bodies: { BS: [Buffer.from('a'), Buffer.from([0xff])] },
    tags: { SS: ['a', 'b'] },
    ok: { BOOL: true },
    none: { NULL: true },
    nested: { M: { B: { S: 'an attribute named B' }, list: { L: [{ N: '1' }, { B: Buffer.from('x') }] } } },
  };
  const key = { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue };
  const sdkCall: { [O in DynamoOperation]: (input: DynamoOperations[O][0]) => object } = {
    PutItem: (input) => new PutItemCommand(input),
    UpdateItem: (input) => new UpdateItemCommand(input),
    DeleteItem: (input) => new DeleteItemCommand(input),
    GetItem: (input) => new GetItemCommand(input),
    BatchGetItem: (input) => new BatchGetItemCommand(input),
    Query: (input) => new QueryCommand(input),
  };

  /** The operation made through the SDK and through the wire, each on the same state; both answers. */
  async function both<O extends DynamoOperation>(operation: O, input: DynamoOperations[O][0]) {
    const client = clientOn(engine.endpoint);
    await client.send(new PutItemCommand({ TableName: table, Item: item }));
    const sdk = (await client.send(sdkCall[operation](input) as never)) as { $metadata?: unknown };
    delete sdk.$metadata;
    await client.send(new PutItemCommand({ TableName: table, Item: item }));
    const wire = await new DynamoWire(client).call(operation, input);
    return { sdk, wire };
  }

  it.each<[DynamoOperation, (t: string) => DynamoOperations[DynamoOperation][0]]>([
    ['GetItem', (t) => ({ TableName: t, Key: key, ConsistentRead: true })],
    ['PutItem', (t) => ({ TableName: t, Item: { ...item, count: { N: '2' } }, ReturnValues: 'ALL_OLD' })],
    [
      'UpdateItem',
      (t) => ({
        TableName: t,
        Key: key,
        UpdateExpression: 'SET #b = :b ADD #t :t',
        ExpressionAttributeNames: { '#b': 'body', '#t': 'tags' },
        ExpressionAttributeValues: { ':b': { B: Buffer.from('new') }, ':t': { SS: ['c'] } },
        ReturnValues: 'ALL_NEW',
      }),
    ],
    ['DeleteItem', (t) => ({ TableName: t, Key: key, ReturnValues: 'ALL_OLD' })],
    ['BatchGetItem', (t) => ({ RequestItems: { [t]: { Keys: [key], ConsistentRead: true } } })],
    [
      'Query',
      (t) => ({
        TableName: t,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': key.pk },
        Limit: 1,
      }),
    ],
  ])('%s', async (operation, input) => {
    const { sdk, wire } = await both(operation, input(table));
    expect(wire).toEqual(sdk);
    // Binary values come back as bytes, as the SDK returns them, wherever they sit.
    expect(JSON.stringify(wire)).not.toMatch(/"B":"/);
  });

  it('names a refused condition and a refused request as the SDK does, with what classifies them', async () => {
    const wire = new DynamoWire(clientOn(engine.endpoint));
    await wire.call('PutItem', { TableName: table, Item: item });
    const refused = await wire
      .call('PutItem', { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      name: 'ConditionalCheckFailedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
    // An answer, not a fault: made without a stack trace.
    expect((refused as Error).stack).not.toMatch(/\n\s+at /);

    // 400 KB is DynamoDB's item limit: a request that can never succeed, so it is not retried.
    const big = { ...item, pk: { S: 'wire#big' }, text: { S: 'x'.repeat(401 * 1024) } };
    const tooBig = await wire.call('PutItem', { TableName: table, Item: big }).catch((e: unknown) => e);
    expect(tooBig).toMatchObject({ name: 'ValidationException', $metadata: { attempts: 1 } });
    expect((tooBig as Error).message).toMatch(/size/i);
    expect(dispositionOf(tooBig)).toBe('permanent');
    // A fault keeps its stack trace.
    expect((tooBig as Error).stack).toMatch(/\n\s+at /);
  });
});

/** Answers to give, one per request in order, and the requests as they arrived. */
interface Script {
  /** `reset`: the connection is dropped instead of answered (ECONNRESET at the client). */
  answers: ({ status: number; body: string; headers?: Record<string, string> } | 'reset')[];
  received: { headers: IncomingMessage['headers']; body: string }[];
}

/** A loopback stand-in for DynamoDB's HTTP front: answers each request with the next scripted answer. */
async function standIn(script: Script): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      script.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = script.answers.shift() ?? { status: 200, body: '{}' };
      if (answer === 'reset') return void request.socket.resetAndDestroy();
      response.writeHead(answer.status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `req-${script.received.length}`,
        ...answer.headers,
      });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const serviceError = (status: number, type: string, message: string) => ({
  status,
  body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
});
const get = { TableName: 'any-table', Key: { pk: { S: 'p' }, sk: { S: 's' } } };

describe('against a stand-in of the service: retries, names and signatures as the SDK has them', () => {
  let script: Script;
  let service: Awaited<ReturnType<typeof standIn>>;
  beforeEach(async () => {
    script = { answers: [], received: [] };
    service = await standIn(script);
  });
  afterEach(() => service.close());

  it('retries throttling and the service’s 5xx with the client’s strategy, then answers', async () => {
    script.answers.push(
      serviceError(400, 'ProvisionedThroughputExceededException', 'slow down'),
      serviceError(500, 'InternalServerError', 'oops'),
      { status: 200, body: '{"Item":{"pk":{"S":"p"}}}' },
    );
    const out = await new DynamoWire(clientOn(service.endpoint, { maxAttempts: 3 })).call('GetItem', get);
    expect(out).toEqual({ Item: { pk: { S: 'p' } } });
    expect(script.received).toHaveLength(3);
    expect(script.received.map((r) => r.headers['x-amz-target'])).toEqual(
      Array(3).fill('DynamoDB_20120810.GetItem'),
    );
  });

  it('retries a dropped connection, as the network fails', async () => {
    script.answers.push('reset', { status: 200, body: '{}' });
    await expect(
      new DynamoWire(clientOn(service.endpoint, { maxAttempts: 2 })).call('GetItem', get),
    ).resolves.toEqual({});
    expect(script.received).toHaveLength(2);
  });

  it('gives up after the client’s maxAttempts with the last error, named and transient', async () => {
    script.answers.push(
      serviceError(400, 'ThrottlingException', 'slow down'),
      serviceError(503, 'ServiceUnavailable', 'down'),
    );
    const error = await new DynamoWire(clientOn(service.endpoint, { maxAttempts: 2 }))
      .call('GetItem', get)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ServiceUnavailable',
      $fault: 'server',
      $metadata: { httpStatusCode: 503, requestId: 'req-2', attempts: 2 },
    });
    expect(dispositionOf(error)).toBe('transient');
    expect(script.received).toHaveLength(2);
  });

  it('does not retry a client error, and names an answer that is not JSON by its status', async () => {
    script.answers.push(
      serviceError(400, 'ValidationException', 'One or more parameter values were invalid'),
    );
    const wire = new DynamoWire(clientOn(service.endpoint, { maxAttempts: 3 }));
    await expect(wire.call('GetItem', get)).rejects.toMatchObject({ name: 'ValidationException' });
    expect(script.received).toHaveLength(1);

    script.answers.push({ status: 502, body: '<html>Bad Gateway</html>' }, { status: 200, body: '{}' });
    await expect(wire.call('GetItem', get)).resolves.toEqual({});
    expect(script.received).toHaveLength(3);
  });

  it('signs what it sends with SigV4 for DynamoDB in the client’s region, body included', async () => {
    const client = clientOn(service.endpoint);
    await new DynamoWire(client).call('GetItem', get);
    const [{ headers, body }] = script.received as [Script['received'][number]];
    expect(JSON.parse(body)).toEqual(get);
    expect(headers['content-type']).toBe('application/x-amz-json-1.0');
    const date = String(headers['x-amz-date']);
    expect(headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDWIRETEST/${date.slice(0, 8)}/eu-west-1/dynamodb/aws4_request, ` +
          'SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, ' +
          'Signature=[0-9a-f]{64}$',
      ),
    );
    // The signature is the SDK signer's over exactly what arrived: signed again from the received request
    // at the same date, it is the same.
    const signer = await client.config.signer({
      name: 'sigv4',
      signingRegion: 'eu-west-1',
      signingName: 'dynamodb',
      properties: {},
    });
    const signed = /SignedHeaders=([^,]*)/.exec(String(headers.authorization))?.[1]?.split(';') ?? [];
    // The headers the request was signed with, less the ones the signer adds itself.
    const sent = signed.filter((h) => !['x-amz-date', 'x-amz-content-sha256'].includes(h));
    const again = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: '/',
        query: {},
        headers: Object.fromEntries(sent.map((h) => [h, String(headers[h])])),
        body,
      } as never,
      {
        signingDate: new Date(
          date.replace(/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/, '$1-$2-$3T$4:$5:$6Z'),
        ),
      },
    );
    expect((again as { headers: Record<string, string> }).headers.authorization).toBe(headers.authorization);
  });

  it('corrects a clock five minutes off the service’s and signs the retry at the service’s time', async () => {
    const serverTime = new Date(Date.now() + 60 * 60 * 1000);
    script.answers.push({
      ...serviceError(
        400,
        'InvalidSignatureException',
        'Signature expired: 20261201T000000Z is now earlier than ...',
      ),
      headers: { date: serverTime.toUTCString() },
    });
    const client = clientOn(service.endpoint, { maxAttempts: 2 });
    await new DynamoWire(client).call('GetItem', get);
    expect(script.received).toHaveLength(2);
    const [first, second] = script.received.map((r) => String(r.headers['x-amz-date']));
    expect(first?.slice(0, 11)).not.toBe(second?.slice(0, 11));
    expect(Math.abs(client.config.systemClockOffset - 60 * 60 * 1000)).toBeLessThan(5000);
  });
});

test('a client without a part it needs is named, and the next call looks again', async () => {
  const client = clientOn(engine.endpoint);
  const config = client.config as unknown as Record<string, unknown>;
  const endpointProvider = config.endpointProvider;
  delete config.endpointProvider;
  const wire = new DynamoWire(client);
  await expect(
    wire.call('GetItem', { TableName: table, Key: { pk: { S: 'p' }, sk: { S: 's' } } }),
  ).rejects.toThrow("DynamoWire: the DynamoDB client's resolved config has no endpointProvider");
  config.endpointProvider = endpointProvider;
  await expect(
    wire.call('GetItem', { TableName: table, Key: { pk: { S: 'p' }, sk: { S: 's' } } }),
  ).resolves.toEqual({});
});

describe('the endpoint, by the client’s own rules', () => {
  /** Where a call on `client` would go: its HTTP handler records the request and refuses it. */
  async function destination(client: DynamoDBClient): Promise<string> {
    let url = '';
    (client.config as unknown as { requestHandler: unknown }).requestHandler = {
      handle: async (request: { protocol: string; hostname: string; path: string }) => {
        url = `${request.protocol}//${request.hostname}${request.path}`;
        throw Object.assign(new Error('not sent'), { name: 'ValidationException' });
      },
    };
    await new DynamoWire(client).call('GetItem', get).catch(() => undefined);
    return url;
  }
  const made = (config: ConstructorParameters<typeof DynamoDBClient>[0]) =>
    new DynamoDBClient({ credentials, maxAttempts: 1, ...config });

  it('resolves the region’s partition, FIPS and an endpoint the environment names', async () => {
    expect(await destination(made({ region: 'eu-west-1' }))).toBe(
      'https://dynamodb.eu-west-1.amazonaws.com/',
    );
    expect(await destination(made({ region: 'cn-north-1' }))).toBe(
      'https://dynamodb.cn-north-1.amazonaws.com.cn/',
    );
    expect(await destination(made({ region: 'us-east-1', useFipsEndpoint: true }))).toBe(
      'https://dynamodb-fips.us-east-1.amazonaws.com/',
    );
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://dynamodb.example.test:8000';
    try {
      expect(await destination(made({ region: 'eu-west-1' }))).toBe('http://dynamodb.example.test/');
    } finally {
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    }
  });
});
