import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { SuiteRequest } from './bad-input';

/**
 * API Gateway's side of a request, shared by both targets of the bad-input suite so that the handlers and
 * the bundled functions receive the same events: the route a request matches, and the HTTP API (payload
 * format 2.0) event its Lambda proxy integration is invoked with.
 */
export interface Route {
  readonly method: string;
  /** `METHOD /path/{param}`, as the API declares it. */
  readonly routeKey: string;
  readonly pattern: RegExp;
  readonly parameters: readonly string[];
}

/** A route from its key: `{name}` matches one path segment, `{name+}` the rest of the path. */
export function route(routeKey: string): Route {
  const [method = '', path = ''] = routeKey.split(' ');
  const parameters: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/\{([^}+]+)(\+?)\}/g, (_, name: string, greedy: string) => {
      parameters.push(name);
      return greedy ? '(.+)' : '([^/]+)';
    })}$`,
  );
  return { method, routeKey, pattern, parameters };
}

/**
 * The first route the request matches and the event API Gateway sends for it; undefined when none does
 * (API Gateway then answers 404 itself and no function runs).
 */
export function routeRequest<R extends Route>(
  routes: readonly R[],
  request: SuiteRequest,
): { route: R; event: APIGatewayProxyEventV2 } | undefined {
  for (const candidate of routes) {
    const match = candidate.method === request.method ? candidate.pattern.exec(request.path) : null;
    if (match) return { route: candidate, event: apiGatewayEvent(request, candidate, match) };
  }
  return undefined;
}

/** What API Gateway answers for a path no route matches. */
export const NO_ROUTE = { statusCode: 404, body: '{"message":"Not Found"}' } as const;

function apiGatewayEvent(
  request: SuiteRequest,
  route: Route,
  match: RegExpExecArray,
): APIGatewayProxyEventV2 {
  const now = new Date();
  const requestId = randomUUID();
  // Header names arrive lower-cased; API Gateway adds the forwarding and trace headers.
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
    host: 'api.stand-in.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'Svix-Webhooks/1.0',
    'x-amzn-trace-id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${requestId.replace(/-/g, '').slice(0, 24)}`,
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(request.body !== undefined && { 'content-length': String(Buffer.byteLength(request.body)) }),
  };
  // The handlers read the raw path; the parameter is passed as the path holds it (a malformed escape
  // cannot be decoded).
  const pathParameters = Object.fromEntries(route.parameters.map((name, i) => [name, match[i + 1] ?? '']));
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: request.path,
    rawQueryString: '',
    headers,
    ...(route.parameters.length > 0 && { pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'stand-in',
      domainName: headers.host as string,
      domainPrefix: 'api',
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: headers['user-agent'] as string,
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    // JSON is text: API Gateway passes it as is (it base64-encodes only binary media).
    ...(request.body !== undefined && { body: request.body }),
    isBase64Encoded: false,
  };
}
