import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { signedHeaders } from '../lambda/core/signature';

export const SECRET = `whsec_${Buffer.from('test-signing-secret-0123456789abcdef').toString('base64')}`;
export const OTHER_SECRET = `whsec_${Buffer.from('another-secret-for-rotation-tests!!').toString('base64')}`;
/** Fixed clock for every test: 2026-04-23T13:55:00Z. */
export const NOW = new Date('2026-04-23T13:55:00.000Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

export { type CurrentPayload, currentPayload } from '../examples/payloads';

/** The legacy payload of the seed article and older self-hosted installs. */
export function legacyPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_type: 'sync.completed',
    job_id: '3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4',
    collection_readable_id: 'engineering-context-ab123',
    collection_name: 'Engineering Context',
    source_connection_id: '1f2e3d4c-5b6a-4798-a6b5-c4d3e2f1a0b9',
    source_type: 'linear',
    status: 'completed',
    timestamp: '2026-04-23T13:40:00Z',
    ...overrides,
  };
}

export interface RequestOptions {
  readonly id?: string;
  readonly secret?: string;
  readonly timestamp?: number;
  readonly headers?: Record<string, string | undefined>;
  readonly base64?: boolean;
  readonly method?: string;
  readonly path?: string;
}

/** An API Gateway HTTP API (v2) event carrying a delivery signed as Svix signs it. */
export function signedRequest(body: unknown, options: RequestOptions = {}): APIGatewayProxyEventV2 {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = signedHeaders(
    options.secret ?? SECRET,
    options.id ?? `msg_${randomUUID()}`,
    options.timestamp ?? NOW_SECONDS,
    text,
  );
  return httpEvent(
    options.method ?? 'POST',
    options.path ?? '/webhooks/airweave',
    { ...headers, ...options.headers },
    text,
    options.base64,
  );
}

export function httpEvent(
  method: string,
  path: string,
  headers: Record<string, string | undefined>,
  body?: string,
  base64 = false,
): APIGatewayProxyEventV2 {
  const defined = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: defined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: NOW.toISOString(),
      timeEpoch: NOW.getTime(),
    },
    body: body === undefined ? undefined : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}
