import { performance } from 'node:perf_hooks';
import { aroundTheWire } from '../harness/wire';

/**
 * The benchmark's model of AWS latency: every call is answered after a fixed delay, and calls in flight
 * at the same time overlap, as they do against DynamoDB and SNS (each request is served by a different
 * host; nothing queues behind another request of the same function).
 *
 * It sits at the client's HTTP handler (`harness/wire.ts`), around the network exchange alone, so the
 * handler still pays for everything its client does per call (serialization, SigV4 signing, parsing the
 * answer), whether the call went through the SDK's commands or the table adapter's `DynamoWire`.
 * - DynamoDB: the request really goes to the local engine, whose answer is the one the handler gets (the
 *   engine run is what keeps the outcomes correct); the call returns when both the engine answered and
 *   the delay has passed. The engine runs requests one at a time on a shared machine, so it can take
 *   longer than the delay: `overruns` counts those calls, and `stallMs` is the time the invocation spent
 *   waiting on the engine past the delay, which the benchmark takes out of the modelled latency (the
 *   engine stands in for DynamoDB's answers, not for its speed; the local stack section measures that).
 * - SNS and Step Functions: a STAND-IN (neither has a local engine) that answers after the delay, with the
 *   real services' documented limits enforced: Publish (message at most 256 KiB, subject less than 100
 *   characters of UTF-8 text, no line break or control character) and StartExecution (name 1-80 characters of
 *   [A-Za-z0-9-_], input at most 256 KiB; the same name with a different input is ExecutionAlreadyExists,
 *   with the same input the first execution is returned, as Standard workflows do).
 *
 * It also measures round trips: a call's depth is one more than the deepest call of the same
 * invocation that had already finished when it started, so calls issued together share one depth, and
 * the invocation's round trips are the deepest depth: the number of sequential waves on its critical path.
 */
export interface Trip {
  readonly service: string;
  readonly command: string;
  readonly start: number;
  end: number;
  depth: number;
}

export class RoundTrips {
  trips: Trip[] = [];
  overruns = 0;
  calls = 0;
  /** Intervals (since the last reset) during which a DynamoDB call had passed its delay, still on the engine. */
  private stalls: Array<[number, number]> = [];

  reset(): void {
    this.trips = [];
    this.stalls = [];
  }

  stalled(from: number, to: number): void {
    this.stalls.push([from, to]);
  }

  /**
   * How long, since the last reset, the invocation waited on the engine beyond the modelled delay: the
   * length of the union of the stall intervals. Subtracted from the wall time, it leaves the latency the
   * model describes (every call answered after the delay), whatever the shared machine does to the engine.
   */
  get stallMs(): number {
    let total = 0;
    let reach = -Infinity;
    for (const [from, to] of [...this.stalls].sort((a, b) => a[0] - b[0])) {
      if (to <= reach) continue;
      total += to - Math.max(from, reach);
      reach = to;
    }
    return total;
  }

  begin(service: string, command: string): Trip {
    const start = performance.now();
    const depth = 1 + Math.max(0, ...this.trips.filter((t) => t.end <= start).map((t) => t.depth));
    const trip: Trip = { service, command, start, end: Infinity, depth };
    this.trips.push(trip);
    this.calls++;
    return trip;
  }

  /** Sequential waves of calls on the critical path of the invocation since the last reset. */
  get depth(): number {
    return Math.max(0, ...this.trips.map((t) => t.depth));
  }

  count(service?: string): number {
    return this.trips.filter((t) => service === undefined || t.service === service).length;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An HTTP response as the clients read it. */
interface StandInResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export type Answer = (command: string, body: string) => StandInResponse;

/**
 * Routes every call of `client` through the model: `answer` given, the stand-in answers; otherwise the
 * request goes on to the client's endpoint (the local engine).
 */
export function modelled<T>(
  client: T,
  service: string,
  delayMs: number,
  trips: RoundTrips,
  answer?: Answer,
): T {
  // Innermost: at the client's HTTP handler, after serialization and signing, around the exchange alone.
  return aroundTheWire(client, async ({ operation, body }, send) => {
    const trip = trips.begin(service, operation);
    const delay = sleep(delayMs);
    try {
      if (answer) {
        await delay;
        return answer(operation, body);
      }
      let served = false;
      let due = Infinity;
      const [response] = await Promise.all([
        send().finally(() => {
          served = true;
          if (due !== Infinity) trips.stalled(due, performance.now());
        }),
        delay.then(() => {
          if (served) return;
          trips.overruns++;
          due = performance.now();
        }),
      ]);
      return response;
    } finally {
      trip.end = performance.now();
    }
  });
}

const xml = (statusCode: number, text: string): StandInResponse => ({
  statusCode,
  headers: { 'content-type': 'text/xml' },
  body: Buffer.from(text),
});
const json = (statusCode: number, value: unknown): StandInResponse => ({
  statusCode,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: Buffer.from(JSON.stringify(value)),
});

const KIB_256 = 256 * 1024;
// C0 and C1 control characters and DEL (line breaks among them).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** SNS Publish (query protocol), with the limits of the Publish API reference. */
export function snsStandIn(): { answer: Answer; published: () => number } {
  let published = 0;
  const invalid = (message: string) =>
    xml(
      400,
      `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>${message}</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>`,
    );
  const answer: Answer = (command, body) => {
    if (command !== 'Publish') return invalid(`the stand-in serves Publish only, not ${command}`);
    const params = new URLSearchParams(body);
    const message = params.get('Message') ?? '';
    const subject = params.get('Subject');
    if (message.length === 0) return invalid('Message: empty');
    if (Buffer.byteLength(message) > KIB_256) return invalid('Message too long');
    // "UTF-8 text with no line breaks or control characters, and less than 100 characters long."
    if (subject !== null && (subject.length === 0 || subject.length >= 100 || CONTROL.test(subject)))
      return invalid('Subject: less than 100 characters, no line breaks or control characters');
    published++;
    return xml(
      200,
      '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>stand-in</MessageId></PublishResult>' +
        '<ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></PublishResponse>',
    );
  };
  return { answer, published: () => published };
}

/** Step Functions StartExecution (JSON 1.0), idempotent by name as Standard workflows are. */
export function sfnStandIn(): { answer: Answer; started: () => number } {
  const executions = new Map<string, string>();
  const answer: Answer = (command, body) => {
    if (command !== 'StartExecution')
      return json(400, { __type: 'ValidationException', message: `stand-in serves StartExecution only` });
    const request = JSON.parse(body) as { stateMachineArn: string; name?: string; input?: string };
    const name = request.name ?? '';
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
      return json(400, { __type: 'InvalidName', message: `invalid execution name: ${name}` });
    if (Buffer.byteLength(request.input ?? '') > KIB_256)
      return json(400, { __type: 'InvalidExecutionInput', message: 'input over 256 KiB' });
    const key = `${request.stateMachineArn}:${name}`;
    const seen = executions.get(key);
    if (seen !== undefined && seen !== request.input)
      return json(400, { __type: 'ExecutionAlreadyExists', message: `execution ${name} already exists` });
    executions.set(key, request.input ?? '');
    return json(200, {
      executionArn: `${request.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      startDate: Date.now() / 1000,
    });
  };
  return { answer, started: () => executions.size };
}

/**
 * Secrets Manager GetSecretValue (JSON 1.1), a STAND-IN serving the secrets it is given by ARN: an unknown
 * SecretId is ResourceNotFoundException, as the service answers, and a value over the service's 65,536-byte
 * SecretString limit is refused when given, since no real secret can hold one.
 */
export function secretsManagerStandIn(secrets: Readonly<Record<string, string>>): {
  answer: Answer;
  reads: () => number;
} {
  for (const [arn, value] of Object.entries(secrets))
    if (Buffer.byteLength(value) > 65_536) throw new Error(`secret ${arn}: over 65,536 bytes`);
  let reads = 0;
  const answer: Answer = (command, body) => {
    if (command !== 'GetSecretValue')
      return json(400, { __type: 'InvalidRequestException', message: 'stand-in serves GetSecretValue only' });
    const { SecretId: id } = JSON.parse(body) as { SecretId?: string };
    const value = id === undefined ? undefined : secrets[id];
    if (value === undefined)
      return json(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
    reads++;
    return json(200, {
      ARN: id,
      Name: id?.split(':').pop(),
      SecretString: value,
      VersionId: 'stand-in',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 0,
    });
  };
  return { answer, reads: () => reads };
}

/**
 * Lambda Invoke with InvocationType Event (the webhook hands a suspect to the reconciler this way), a
 * STAND-IN that queues nothing: it answers 202 as Lambda does, and refuses a payload over 256 KiB (the
 * asynchronous limit before AWS raised it to 1 MB; the stricter of the two) or a synchronous invocation.
 */
export function lambdaInvokeStandIn(functionNames: readonly string[]): {
  answer: (functionName: string, invocationType: string | undefined, body: string) => StandInResponse;
  invoked: () => number;
} {
  let invoked = 0;
  const error = (statusCode: number, type: string, message: string) => ({
    statusCode,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: Buffer.from(JSON.stringify({ Type: 'User', message })),
  });
  return {
    answer: (functionName, invocationType, body) => {
      if (!functionNames.includes(functionName))
        return error(404, 'ResourceNotFoundException', `Function not found: ${functionName}`);
      if (invocationType !== 'Event')
        return error(400, 'InvalidParameterValueException', 'the stand-in serves Event invocations only');
      if (Buffer.byteLength(body) > KIB_256)
        return error(413, 'RequestTooLargeException', 'Request must be smaller than 262144 bytes');
      invoked++;
      return { statusCode: 202, headers: {}, body: new Uint8Array() };
    },
    invoked: () => invoked,
  };
}

/** One stand-in on its own loopback port (port 0: a free one), as the SDK reaches it through `AWS_ENDPOINT_URL_<SERVICE>`. */
export interface StandInServer {
  readonly endpoint: string;
  /** Requests the stand-in refused with a 4xx: a message or call the real service would refuse. */
  readonly refusals: string[];
  close(): Promise<void>;
}

/**
 * Serves one stand-in over HTTP. `route` names the call from the request: the `X-Amz-Target` header of
 * the JSON protocols, the `Action` of SNS's query protocol, the path of Lambda's REST protocol.
 */
export async function serveStandIn(
  respond: (request: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string;
  }) => StandInResponse,
): Promise<StandInServer> {
  const { createServer } = await import('node:http');
  const refusals: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
      );
      const answer = respond({ method: req.method ?? '', url: req.url ?? '', headers, body });
      if (answer.statusCode >= 400) refusals.push(Buffer.from(answer.body).toString('utf8'));
      res.writeHead(answer.statusCode, { ...answer.headers, 'x-amzn-requestid': 'stand-in' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The call a JSON-protocol request names: `AWSStepFunctions.StartExecution` is `StartExecution`. */
export const jsonTarget = (headers: Record<string, string>): string =>
  (headers['x-amz-target'] ?? '').split('.').pop() ?? '';
/** The call a query-protocol (SNS) request names. */
export const queryAction = (body: string): string => new URLSearchParams(body).get('Action') ?? '';
