import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpHandler } from '../lambda/http/api';
import { MAX_BODY_BYTES } from '../lambda/core/ingest';
import { visible } from '../cli/terminal';

export interface Route {
  readonly matches: (path: string) => boolean;
  readonly handler: HttpHandler;
}

/**
 * Turns a Node request into the API Gateway HTTP API (payload v2) event the Lambda handlers receive, and
 * their result back into a response: local mode runs the very handlers the stack deploys.
 */
export function httpListener(routes: readonly Route[]) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    void serve(routes, request, response).catch((error: unknown) => {
      console.error(`local server error: ${visible((error as Error).message)}`);
      if (!response.headersSent)
        send(response, { statusCode: 500, body: JSON.stringify({ error: 'internal error' }) });
    });
  };
}

async function serve(
  routes: readonly Route[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const route = routes.find((r) => r.matches(url.pathname));
  if (!route)
    return send(response, {
      statusCode: 404,
      body: JSON.stringify({ error: `no route for ${url.pathname}` }),
    });

  // API Gateway would refuse far larger bodies; here the limit is the webhook's own, and a body that
  // goes over it is not buffered further.
  const body = await readBody(request, MAX_BODY_BYTES + 1);
  if (body === undefined)
    return send(response, {
      statusCode: 413,
      body: JSON.stringify({ error: `body is over ${MAX_BODY_BYTES} bytes` }),
    });

  const method = (request.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.fromEntries(url.searchParams),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${method} ${url.pathname}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    // Bodies travel base64-encoded, as API Gateway does for binary content: the bytes stay exact.
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
  send(response, await route.handler(event), method === 'HEAD');
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared >= limit) {
      request.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size >= limit) over = true;
      else if (!over) chunks.push(chunk);
    });
    request.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2, headOnly = false): void {
  response.statusCode = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  const body =
    result.body === undefined
      ? undefined
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64')
        : result.body;
  response.end(headOnly ? undefined : body);
}

/**
 * The handler with at most `limit` calls running at once; the others wait their turn, first come first
 * served. A call that fails frees its place as one that succeeds does.
 */
export function limitInFlight(handler: HttpHandler, limit: number): HttpHandler {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (event) => {
    if (running < limit) running++;
    // The place is handed over by the call that finishes, so a newcomer cannot take it first.
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await handler(event);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
