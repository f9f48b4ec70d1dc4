import { createServer } from 'node:http';

/** A custom resource response as CloudFormation read it. */
export interface ReceivedResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

export interface CloudFormationResponseStandIn {
  /** A fresh response URL, as CloudFormation puts one in each request. */
  responseUrl(): string;
  /** The responses accepted, by response URL. */
  readonly responses: Map<string, ReceivedResponse>;
  /** Responses refused with why (each would leave the stack waiting, as the real service does). */
  readonly refusals: string[];
  /** The next `n` responses are answered 500, as S3 does now and then. */
  failNext(n: number): void;
  close(): Promise<void>;
}

/** CloudFormation refuses a response object over 4,096 bytes. */
const MAX_RESPONSE_BYTES = 4096;

/**
 * STAND-IN for CloudFormation's pre-signed S3 response URL (CloudFormation cannot run here), on loopback
 * port 0. It enforces what the service documents for a custom resource's answer: a PUT; no Content-Type
 * (the URL is signed without one, so S3 refuses a request with one); a JSON body of at most 4,096 bytes
 * with `Status` SUCCESS or FAILED, `PhysicalResourceId` (at most 1 KB), `StackId`, `RequestId` and
 * `LogicalResourceId`, and a `Reason` with FAILED. Anything else is refused with 400 and recorded.
 */
export async function cloudFormationResponseStandIn(): Promise<CloudFormationResponseStandIn> {
  const responses = new Map<string, ReceivedResponse>();
  const refusals: string[] = [];
  let failing = 0;
  let next = 0;
  const refuse = (why: string) => {
    refusals.push(why);
    return 400;
  };
  const judge = (method: string, contentType: string | undefined, body: string): number => {
    if (method !== 'PUT') return refuse(`method ${method}, not PUT`);
    if (contentType !== undefined && contentType !== '')
      return refuse(`Content-Type ${contentType}: the pre-signed URL is signed without one`);
    if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES)
      return refuse(`a response of ${Buffer.byteLength(body)} bytes, over ${MAX_RESPONSE_BYTES}`);
    let parsed: Partial<ReceivedResponse>;
    try {
      parsed = JSON.parse(body) as Partial<ReceivedResponse>;
    } catch {
      return refuse('a body that is not JSON');
    }
    if (parsed.Status !== 'SUCCESS' && parsed.Status !== 'FAILED') return refuse(`Status ${parsed.Status}`);
    for (const field of ['PhysicalResourceId', 'StackId', 'RequestId', 'LogicalResourceId'] as const)
      if (typeof parsed[field] !== 'string' || parsed[field] === '') return refuse(`no ${field}`);
    if (Buffer.byteLength(parsed.PhysicalResourceId as string) > 1024)
      return refuse('a PhysicalResourceId over 1 KB');
    if (parsed.Status === 'FAILED' && !parsed.Reason) return refuse('FAILED without a Reason');
    return 200;
  };
  const origin = () => `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let status: number;
      if (failing > 0) {
        failing--;
        status = 500;
      } else {
        status = judge(req.method ?? '', req.headers['content-type'], body);
        if (status === 200) responses.set(`${origin()}${req.url}`, JSON.parse(body) as ReceivedResponse);
      }
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    responseUrl: () => `${origin()}/cloudformation-response/${++next}?X-Amz-Signature=stand-in`,
    responses,
    refusals,
    failNext: (n) => {
      failing = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
