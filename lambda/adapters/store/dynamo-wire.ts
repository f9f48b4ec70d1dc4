import type {
  BatchGetItemCommandInput,
  BatchGetItemCommandOutput,
  DeleteItemCommandInput,
  DeleteItemCommandOutput,
  DynamoDBClient,
  GetItemCommandInput,
  GetItemCommandOutput,
  PutItemCommandInput,
  PutItemCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  UpdateItemCommandInput,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';

/** The DynamoDB operations the table adapter makes, with the SDK's own input and output shapes. */
export interface DynamoOperations {
  PutItem: [PutItemCommandInput, Omit<PutItemCommandOutput, '$metadata'>];
  UpdateItem: [UpdateItemCommandInput, Omit<UpdateItemCommandOutput, '$metadata'>];
  DeleteItem: [DeleteItemCommandInput, Omit<DeleteItemCommandOutput, '$metadata'>];
  GetItem: [GetItemCommandInput, Omit<GetItemCommandOutput, '$metadata'>];
  BatchGetItem: [BatchGetItemCommandInput, Omit<BatchGetItemCommandOutput, '$metadata'>];
  Query: [QueryCommandInput, Omit<QueryCommandOutput, '$metadata'>];
}
export type DynamoOperation = keyof DynamoOperations;

/**
 * A failed DynamoDB call, shaped as the SDK shapes its service errors, so everything that reads them reads
 * these the same way: `name` is the service's error code (`ConditionalCheckFailedException`,
 * `ValidationException`, ...), `$fault` says whose fault, `$metadata` carries the status and request id.
 */
export class DynamoCallError extends Error {
  readonly $fault: 'client' | 'server';
  constructor(
    name: string,
    message: string,
    readonly $metadata: {
      httpStatusCode: number;
      requestId?: string;
      attempts?: number;
      clockSkewCorrected?: boolean;
    },
  ) {
    super(message);
    this.name = name;
    this.$fault = $metadata.httpStatusCode >= 500 ? 'server' : 'client';
  }
}

/** What of the SDK client's resolved config this reuses: everything but its middleware stack. */
interface ResolvedParts {
  region: () => Promise<string>;
  useFipsEndpoint: () => Promise<boolean>;
  useDualstackEndpoint: () => Promise<boolean>;
  isCustomEndpoint?: boolean;
  endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }>;
  endpointProvider: (params: Record<string, unknown>) => { url: URL; headers?: Record<string, string[]> };
  signer: (authScheme: {
    name: string;
    signingRegion: string;
    signingName: string;
    properties: object;
  }) => Promise<{
    sign: (
      request: WireRequest,
      options: { signingDate: Date; signingRegion: string; signingService: string },
    ) => Promise<WireRequest>;
  }>;
  requestHandler: { handle: (request: WireRequest) => Promise<{ response: WireResponse }> };
  retryStrategy: () => Promise<RetryStrategy>;
  systemClockOffset: number;
}
interface Resolved {
  url: URL;
  region: string;
  signer: Awaited<ReturnType<ResolvedParts['signer']>>;
  retry: RetryStrategy;
}
interface WireRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}
interface WireResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
  /** A stream from the network (Node's HTTP handler), or bytes (a handler that buffered it). */
  body: AsyncIterable<Uint8Array> | Uint8Array;
}
interface RetryToken {
  getRetryDelay(): number;
  getRetryCount(): number;
}
interface RetryStrategy {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(
    token: RetryToken,
    info: { errorType: 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR'; error: unknown },
  ): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

/** The parts of the client's resolved config every call uses (SDK v3's, endpoint rules since 2022). */
const PARTS = [
  'region',
  'useFipsEndpoint',
  'useDualstackEndpoint',
  'endpointProvider',
  'signer',
  'requestHandler',
  'retryStrategy',
] as const satisfies readonly (keyof ResolvedParts)[];

/** DynamoDB's JSON protocol: one POST per operation, named by this header's target. */
const TARGET_PREFIX = 'DynamoDB_20120810.';
/** The SDK's threshold for a clock it corrects (`@aws-sdk/core`): five minutes off the service's. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * DynamoDB's JSON protocol spoken directly, on everything the SDK client resolved: its region, endpoint
 * rules, credentials and signer, HTTP handler (keep-alive sockets, timeouts) and retry strategy (attempts,
 * backoff, retry quota). What it leaves out is the client's middleware stack and its schema-driven
 * serialization, half of each call's CPU: 0.72 -> 0.34 ms a call (median, three calls at once, measured
 * side by side; docs/DESIGN.md section 7). The request body is the input as JSON, which for DynamoDB is what
 * the SDK sends: attribute values are JSON already, binary ones base64 (the quarantine keeps raw bodies).
 *
 * Kept as the SDK behaves: errors are named by the service's code (`DynamoCallError`), throttling, 5xx and
 * network failures are retried by the client's own strategy (what is worth retrying is DynamoDB's own
 * table, `retryType`), and a clock five minutes off the service's is corrected on the client's shared
 * `systemClockOffset` and the call retried. The endpoint is resolved once, by the
 * client's own rules (partition, FIPS, dual-stack, a custom `endpoint`), with the SDK's environment
 * overrides `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL`. An `endpoint_url` in a shared config file
 * (`~/.aws/config`) is not read: functions have none, and the CLI's user sets the variable instead.
 */
export class DynamoWire {
  private readonly config: ResolvedParts;
  private resolved?: Promise<Resolved>;

  constructor(client: DynamoDBClient) {
    this.config = client.config as unknown as ResolvedParts;
  }

  async call<O extends DynamoOperation>(
    operation: O,
    input: DynamoOperations[O][0],
  ): Promise<DynamoOperations[O][1]> {
    const resolved = await (this.resolved ??= this.resolve().catch((error: unknown) => {
      this.resolved = undefined;
      throw error;
    }));
    const body = JSON.stringify(input, binaryAsBase64);
    const { retry } = resolved;
    let token = await retry.acquireInitialRetryToken('');
    for (let attempt = 1; ; attempt++) {
      try {
        const output = await this.attempt(resolved, operation, body, attempt);
        retry.recordSuccess(token);
        return output as DynamoOperations[O][1];
      } catch (error) {
        const errorType = retryType(error);
        // The strategy never retries a client error (it throws it back): asked anyway, it only costs.
        if (errorType === 'CLIENT_ERROR') throw error;
        try {
          token = await retry.refreshRetryTokenForRetry(token, { errorType, error });
        } catch {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, token.getRetryDelay()));
      }
    }
  }

  private async attempt(
    { url, region, signer }: Resolved,
    operation: DynamoOperation,
    body: string,
    attempt: number,
  ): Promise<unknown> {
    const request = await signer.sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port !== '' && { port: Number(url.port) }),
        path: url.pathname,
        query: {},
        headers: {
          host: url.host,
          'content-type': 'application/x-amz-json-1.0',
          'content-length': String(Buffer.byteLength(body)),
          'x-amz-target': TARGET_PREFIX + operation,
        },
        body,
      },
      {
        signingDate: new Date(Date.now() + (this.config.systemClockOffset ?? 0)),
        signingRegion: region,
        signingService: 'dynamodb',
      },
    );
    const { response } = await this.config.requestHandler.handle(request);
    const text = await bodyText(response.body);
    if (response.statusCode === 200) return parseOutput(text);
    throw this.failure(response, text, attempt);
  }

  /** The service's error, named by its code, as the SDK names it (the part of `__type` after `#`). */
  private failure(response: WireResponse, text: string, attempts: number): DynamoCallError {
    let parsed: { __type?: unknown; message?: unknown; Message?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // Not JSON (a proxy's page, say): named by the header, else by the status below.
    }
    const code = String(parsed.__type ?? response.headers['x-amzn-errortype'] ?? '')
      .split(':')[0]
      ?.split('#')
      .pop();
    const message = String(parsed.message ?? parsed.Message ?? `HTTP ${response.statusCode}`);
    const name = code || `HTTP${response.statusCode}`;
    const make = () =>
      new DynamoCallError(name, message, {
        httpStatusCode: response.statusCode,
        requestId: response.headers['x-amzn-requestid'],
        attempts,
      });
    // A refused condition is an answer, not a fault (`conditionally` in dynamo-table.ts turns it into
    // false), and every duplicate or late event meets one: its stack trace, which would point into this
    // module, is left out, as it cost more than the rest of the error.
    const error = name === 'ConditionalCheckFailedException' ? withoutStackTrace(make) : make();
    const serverTime = Date.parse(response.headers.date ?? '');
    if (!Number.isNaN(serverTime)) {
      const local = Date.now() + (this.config.systemClockOffset ?? 0);
      if (Math.abs(serverTime - local) >= CLOCK_SKEW_MS) {
        this.config.systemClockOffset = serverTime - Date.now();
        error.$metadata.clockSkewCorrected = true;
      }
    }
    return error;
  }

  /**
   * What every call shares, resolved on the first: the endpoint, the retry strategy and one signer (as
   * `reusingSigner` keeps one per client; it reads the credential provider on every call, so rotated
   * credentials still sign). A failed resolution is not kept: the next call tries again.
   */
  private async resolve(): Promise<Resolved> {
    const config = this.config;
    // The functions run on the Lambda runtime's copy of the SDK, not the tested one: a client without one
    // of these parts is named here, not met as a TypeError inside a call.
    const missing = PARTS.filter(
      (part) =>
        typeof (part === 'requestHandler' ? config.requestHandler?.handle : config[part]) !== 'function',
    );
    if (missing.length > 0)
      throw new Error(`DynamoWire: the DynamoDB client's resolved config has no ${missing.join(', ')}`);
    const region = await config.region();
    const custom = config.isCustomEndpoint && config.endpoint ? await config.endpoint() : undefined;
    const configured =
      process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true'
        ? undefined
        : (process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL);
    const endpoint = custom
      ? `${custom.protocol}//${custom.hostname}${custom.port ? `:${custom.port}` : ''}${custom.path}`
      : configured;
    const { url } = config.endpointProvider({
      Region: region,
      UseFIPS: await config.useFipsEndpoint(),
      UseDualStack: await config.useDualstackEndpoint(),
      ...(endpoint !== undefined && { Endpoint: endpoint }),
    });
    const signer = await config.signer({
      name: 'sigv4',
      signingRegion: region,
      signingName: 'dynamodb',
      properties: {},
    });
    return { url, region, signer, retry: await config.retryStrategy() };
  }
}

async function bodyText(body: WireResponse['body']): Promise<string> {
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Binary attribute values (`B`, and each of a `BS`), which the SDK's marshalling makes Uint8Arrays, go on
 * the wire as base64, as DynamoDB's JSON protocol has them. Every other value is JSON as it is.
 */
function binaryAsBase64(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  return raw instanceof Uint8Array
    ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
    : value;
}

/**
 * An answer's JSON, with binary values back as bytes, as the SDK returns them. In DynamoDB's attribute
 * values a string under the key `B` is always a binary value (an attribute named B holds an object), and a
 * `BS` an array of them; an answer that has neither (`"B"` nowhere in it) is parsed without the reviver.
 */
function parseOutput(text: string): unknown {
  if (text === '') return {};
  if (!text.includes('"B')) return JSON.parse(text);
  return JSON.parse(text, (key, value: unknown) => {
    if (key === 'B' && typeof value === 'string') return Buffer.from(value, 'base64');
    if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string'))
      return value.map((v: string) => Buffer.from(v, 'base64'));
    return value;
  });
}

function withoutStackTrace<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Which failures the client's retry strategy may try again, and how: DynamoDB's own table of errors that
 * are "OK to retry" (Developer Guide, "Error handling with DynamoDB"), the network's failures, and the
 * classes the strategy knows (throttling backs off longer; a client error is never retried).
 */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'LimitExceededException',
]);
const TRANSIENT = new Set(['TransactionConflictException', 'TimeoutError', 'RequestTimeout']);
/** Node's codes for a connection that failed or broke, and a name that did not resolve (for now). */
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function retryType(error: unknown): 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR' {
  const { name, code, $metadata } = (error ?? {}) as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean };
  };
  const status = $metadata?.httpStatusCode ?? 0;
  if (status === 429 || THROTTLING.has(name ?? '')) return 'THROTTLING';
  if (TRANSIENT.has(name ?? '') || NETWORK.has(code ?? '') || $metadata?.clockSkewCorrected)
    return 'TRANSIENT';
  if ([500, 502, 503, 504].includes(status)) return 'TRANSIENT';
  if (status >= 500) return 'SERVER_ERROR';
  return 'CLIENT_ERROR';
}
