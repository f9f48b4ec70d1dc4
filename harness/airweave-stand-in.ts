import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A STAND-IN for Airweave's REST API, which is an external SaaS the tests cannot call (it needs an account,
 * a key and the network). It answers the three read-only endpoints the reconciler uses, over real HTTP on
 * 127.0.0.1 (a free port), from a scripted history the test controls, and enforces what Airweave documents
 * for them:
 * - every request needs the `x-api-key` header with the right key, else 401 `{"detail": ...}`;
 * - `GET /collections?skip=&limit=` and `GET /source-connections?collection=&skip=&limit=`: `skip` >= 0 and
 *   `limit` 1-1000 (default 100), else 422 with a validation `detail` list;
 * - `GET /source-connections/{id}/jobs?limit=N`: newest first by creation time, `limit` 1-1000 (default
 *   100); 404 for a source connection it does not know;
 * - job statuses upper case, as Airweave's docs show them, and the job fields of its `SourceConnectionJob`
 *   schema plus `created_at`/`failed_at`, with extra fields (`duration_seconds`, `error_details`) a client
 *   must ignore.
 * Scripted failures (`failNext`) stand in for what the real service does under load or misconfiguration:
 * 429, 5xx, malformed bodies.
 */
export interface StandInCollection {
  readonly id: string;
  readonly readable_id: string;
  readonly name: string;
}

export interface StandInSource {
  readonly id: string;
  readonly short_name: string;
  readonly readable_collection_id: string;
  readonly name?: string;
}

export interface StandInJob {
  readonly id: string;
  readonly source_connection_id: string;
  status: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLING' | 'CANCELLED';
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  failed_at: string | null;
  error: string | null;
}

export interface ScriptedFailure {
  /** Matches a request path that starts with this (`/collections`, `/source-connections/sc-1/jobs`). */
  readonly path: string;
  readonly status: number;
  /** The body to send; default `{"detail": "..."}`. A string is sent as is (malformed JSON, HTML). */
  readonly body?: unknown;
}

export class AirweaveStandIn {
  readonly collections: StandInCollection[] = [];
  readonly sources: StandInSource[] = [];
  readonly jobs: StandInJob[] = [];
  /** Every request's path and query, in order: the tests count API calls per run with it. */
  readonly requests: string[] = [];
  private readonly failures: ScriptedFailure[] = [];
  private server: Server | undefined;
  /** Each answer waits this long, as a remote API does; 0 answers at once. */
  latencyMs = 0;
  /** The most requests it held at once (with `latencyMs`): how parallel the client really was. */
  maxInFlight = 0;
  private inFlight = 0;

  constructor(readonly apiKey = 'aw-test-key') {}

  failNext(failure: ScriptedFailure): void {
    this.failures.push(failure);
  }

  /** Forgets the history, the scripted failures and the requests seen. */
  reset(): void {
    for (const list of [this.collections, this.sources, this.jobs, this.requests, this.failures])
      list.splice(0);
    this.latencyMs = 0;
    this.maxInFlight = 0;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      this.requests.push(`${url.pathname}${url.search}`);
      const answer = this.answer(url, request.headers['x-api-key']);
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      setTimeout(() => {
        this.inFlight--;
        response.statusCode = answer.status;
        response.setHeader('content-type', 'application/json');
        response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      }, this.latencyMs);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private answer(url: URL, key: string | string[] | undefined): { status: number; body: unknown } {
    if (key !== this.apiKey) return { status: 401, body: { detail: 'Invalid or missing API key' } };
    const failure = this.failures.findIndex((f) => url.pathname.startsWith(f.path));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return { status: f!.status, body: f!.body ?? { detail: `scripted ${f!.status}` } };
    }
    const page = paging(url);
    if ('error' in page) return { status: 422, body: { detail: [{ loc: ['query'], msg: page.error }] } };
    if (url.pathname === '/collections')
      return { status: 200, body: this.collections.slice(page.skip, page.skip + page.limit) };
    if (url.pathname === '/source-connections') {
      const collection = url.searchParams.get('collection');
      const list = this.sources
        .filter((s) => collection === null || s.readable_collection_id === collection)
        .map((s) => ({
          id: s.id,
          name: s.name ?? `${s.short_name} connection`,
          short_name: s.short_name,
          readable_collection_id: s.readable_collection_id,
          status: 'active',
          is_authenticated: true,
          entity_count: 0,
        }));
      return { status: 200, body: list.slice(page.skip, page.skip + page.limit) };
    }
    const jobsPath = /^\/source-connections\/([^/]+)\/jobs$/.exec(url.pathname);
    if (jobsPath) {
      const id = decodeURIComponent(jobsPath[1]!);
      if (!this.sources.some((s) => s.id === id))
        return { status: 404, body: { detail: `Source connection ${id} not found` } };
      const list = this.jobs
        .filter((j) => j.source_connection_id === id)
        .sort((a, b) => b.created_at.localeCompare(a.created_at))
        .slice(0, page.limit)
        .map((j) => ({
          ...j,
          duration_seconds:
            j.completed_at && j.started_at
              ? (Date.parse(j.completed_at) - Date.parse(j.started_at)) / 1000
              : null,
          entities_inserted: 0,
          entities_updated: 0,
          entities_deleted: 0,
          entities_failed: 0,
          error_details: null,
        }));
      return { status: 200, body: list };
    }
    return { status: 404, body: { detail: 'Not Found' } };
  }
}

function paging(url: URL): { skip: number; limit: number } | { error: string } {
  const skip = Number(url.searchParams.get('skip') ?? 0);
  const limit = Number(url.searchParams.get('limit') ?? 100);
  if (!Number.isInteger(skip) || skip < 0) return { error: 'skip must be an integer >= 0' };
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return { error: 'limit must be 1-1000' };
  return { skip, limit };
}
