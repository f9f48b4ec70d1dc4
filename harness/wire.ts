/**
 * An AWS client's calls where they reach the network: its HTTP handler, the layer that both the SDK's
 * commands and the table adapter's `DynamoWire` send through, after serialization and signing. Tests and
 * benchmarks watch, count, delay or fail calls here, so they see every call whichever made it, as the
 * service would.
 */

/** A request as the client's HTTP handler gets it. */
export interface WireRequest {
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

/** An answer as the HTTP handler gives it: the body a stream from the network, or bytes. */
export interface WireResponse {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** One call: its operation (`PutItem`, `Publish`, `StartExecution`, ...) and the request's body as text. */
export interface WireCall {
  readonly operation: string;
  readonly body: string;
}

interface Handling {
  config: { requestHandler: unknown };
}
type Handle = (request: WireRequest, options?: unknown) => Promise<{ response: WireResponse }>;

/**
 * Runs `around` for every call of `client`: `send` sends the request on (the handler's own exchange);
 * what `around` returns, or throws, is the answer the client gets.
 */
export function aroundTheWire<T>(
  client: T,
  around: (call: WireCall, send: () => Promise<WireResponse>) => Promise<WireResponse>,
): T {
  const handler = (client as unknown as Handling).config.requestHandler as { handle: Handle };
  const handle = handler.handle.bind(handler);
  handler.handle = async (request, options) => {
    const body = bodyText(request.body);
    const response = await around({ operation: operationOf(request, body), body }, async () => {
      const { response } = await handle(request, options);
      return response;
    });
    return { response };
  };
  return client;
}

/** Runs `observe` before every call of `client` goes out; what it throws is what the exchange threw. */
export function onTheWire<T>(client: T, observe: (call: WireCall) => void): T {
  return aroundTheWire(client, (call, send) => {
    observe(call);
    return send();
  });
}

/** The answer's body read and parsed, and left in the answer as bytes for the client to read in turn. */
export async function answerJson(response: WireResponse): Promise<Record<string, unknown>> {
  const chunks: Uint8Array[] = [];
  if (response.body instanceof Uint8Array) chunks.push(response.body);
  else for await (const chunk of response.body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  response.body = bytes;
  return bytes.length === 0 ? {} : (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>);
}

/** JSON protocols name the operation in a header (`DynamoDB_20120810.PutItem`); the query protocol in `Action`. */
function operationOf(request: WireRequest, body: string): string {
  const target = request.headers['x-amz-target'];
  if (target !== undefined) return target.slice(target.indexOf('.') + 1);
  return new URLSearchParams(body).get('Action') ?? '?';
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  // By its bytes: the SDK's JSON bodies are a Uint8Array whose valueOf (which Buffer.from(body) calls)
  // warns that a string method was called.
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return '';
}
