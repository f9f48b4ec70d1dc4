import {
  AirweaveApiError,
  type AirweaveApi,
  API_KEY_HEADER,
  type ApiCollection,
  type ApiJob,
  type ApiSourceConnection,
  MalformedResponseError,
  PAGE_SIZE,
  type Parsed,
  parseCollections,
  parseJobs,
  parseSourceConnections,
} from '../core/airweave';

export interface AirweaveClientOptions {
  /** `https://api.airweave.ai`, or a self-hosted install's API. */
  readonly apiUrl: string;
  readonly apiKey: string;
  /**
   * One request's time limit: a hung call must not use up the function's run.
   * @default 10_000
   */
  readonly timeoutMs?: number;
  /** @default PAGE_SIZE */
  readonly pageSize?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * Pages a listing may have before the client stops: 1,000 pages of 100 is more collections or source
 * connections than an organization has, and a server that keeps returning full pages cannot loop forever.
 */
const MAX_PAGES = 1000;

/**
 * Airweave's REST API over HTTPS with Node's fetch: every request carries the key in `x-api-key`, listings
 * are paged with `skip`/`limit` until a short page, and every answer that is not a 2xx list becomes an
 * `AirweaveApiError` (by status) or a `MalformedResponseError`, so the reconciler decides by kind, never by
 * message. No retry here: the reconciler's policy is to back off until its next run.
 */
export class AirweaveHttpClient implements AirweaveApi {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: AirweaveClientOptions) {
    this.base = options.apiUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  collections(): Promise<Parsed<ApiCollection>> {
    return this.pages('/collections', {}, parseCollections);
  }

  sourceConnections(collection: string): Promise<Parsed<ApiSourceConnection>> {
    return this.pages('/source-connections', { collection }, parseSourceConnections);
  }

  async jobs(sourceConnectionId: string, limit: number): Promise<Parsed<ApiJob>> {
    const path = `/source-connections/${encodeURIComponent(sourceConnectionId)}/jobs`;
    return parseJobs(await this.get(path, { limit: String(limit) }));
  }

  private async pages<T>(
    path: string,
    query: Record<string, string>,
    parse: (body: unknown) => Parsed<T>,
  ): Promise<Parsed<T>> {
    const size = this.options.pageSize ?? PAGE_SIZE;
    const items: T[] = [];
    const skipped: string[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.get(path, { ...query, skip: String(page * size), limit: String(size) });
      const parsed = parse(body);
      items.push(...parsed.items);
      skipped.push(...parsed.skipped.map((line) => `skip=${page * size} ${line}`));
      if (parsed.items.length + parsed.skipped.length < size) return { items, skipped };
    }
    throw new MalformedResponseError(`${path}: more than ${MAX_PAGES} pages of ${size}`);
  }

  private async get(path: string, query: Record<string, string>): Promise<unknown> {
    const url = `${this.base}${path}?${new URLSearchParams(query).toString()}`;
    let response: Response;
    try {
      response = await this.fetch(url, {
        headers: { [API_KEY_HEADER]: this.options.apiKey, accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      // No answer: refused, reset, DNS, or the timeout. Worth the next run, like a 5xx.
      throw new AirweaveApiError(undefined, path, (error as Error).message);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new AirweaveApiError(response.status, path, text.slice(0, 200));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new MalformedResponseError(`GET ${path}: the body is not JSON`);
    }
  }
}
