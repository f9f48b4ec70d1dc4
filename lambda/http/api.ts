import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorResponse } from '../core/errors';

/** The shape of every HTTP handler: API Gateway HTTP API (payload v2) in, structured result out. */
export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Maps any thrown error to its status (the one mapping, in `core/errors.ts`) and a JSON body. */
export function fromError(error: unknown): APIGatewayProxyStructuredResultV2 {
  const { statusCode, body } = errorResponse(error);
  return json(statusCode, body);
}

/** The raw body bytes exactly as sent: signatures are computed over these, never over re-encoded text. */
export function rawBody(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function method(event: APIGatewayProxyEventV2): string {
  return event.requestContext.http.method.toUpperCase();
}
