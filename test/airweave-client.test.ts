import { AirweaveHttpClient } from '../lambda/adapters/airweave-client';
import { AirweaveApiError, MalformedResponseError } from '../lambda/core/airweave';
import { AirweaveStandIn } from '../harness/airweave-stand-in';

let api: AirweaveStandIn;
let url: string;
beforeAll(async () => {
  api = new AirweaveStandIn();
  for (let i = 0; i < 5; i++)
    api.collections.push({ id: `c${i}`, readable_id: `coll-${i}`, name: `Collection ${i}` });
  api.sources.push(
    { id: 'sc-1', short_name: 'github', readable_collection_id: 'coll-0' },
    { id: 'sc-2', short_name: 'slack', readable_collection_id: 'coll-0' },
    { id: 'sc-3', short_name: 'linear', readable_collection_id: 'coll-1' },
  );
  for (let i = 0; i < 4; i++)
    api.jobs.push({
      id: `job-${i}`,
      source_connection_id: 'sc-1',
      status: 'COMPLETED',
      created_at: `2026-04-23T1${i}:00:00Z`,
      started_at: `2026-04-23T1${i}:01:00Z`,
      completed_at: `2026-04-23T1${i}:09:00Z`,
      failed_at: null,
      error: null,
    });
  url = await api.start();
});
afterAll(() => api.stop());
beforeEach(() => api.requests.splice(0));

const client = (options: Partial<ConstructorParameters<typeof AirweaveHttpClient>[0]> = {}) =>
  new AirweaveHttpClient({ apiUrl: `${url}/`, apiKey: api.apiKey, ...options });

async function failure(promise: Promise<unknown>): Promise<AirweaveApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AirweaveApiError);
  return error as AirweaveApiError;
}

describe('the Airweave API client against the stand-in', () => {
  it('pages listings with skip and limit until a short page', async () => {
    const collections = await client({ pageSize: 2 }).collections();
    expect(collections.items.map((c) => c.readable_id)).toEqual([
      'coll-0',
      'coll-1',
      'coll-2',
      'coll-3',
      'coll-4',
    ]);
    expect(api.requests).toEqual([
      '/collections?skip=0&limit=2',
      '/collections?skip=2&limit=2',
      '/collections?skip=4&limit=2',
    ]);
  });

  it('lists the source connections of one collection and the latest jobs of one source, newest first', async () => {
    const sources = await client().sourceConnections('coll-0');
    expect(sources.items.map((s) => [s.id, s.short_name, s.readable_collection_id])).toEqual([
      ['sc-1', 'github', 'coll-0'],
      ['sc-2', 'slack', 'coll-0'],
    ]);
    const jobs = await client().jobs('sc-1', 2);
    expect(jobs.items.map((j) => [j.id, j.status, j.completed_at])).toEqual([
      ['job-3', 'completed', '2026-04-23T13:09:00.000000Z'],
      ['job-2', 'completed', '2026-04-23T12:09:00.000000Z'],
    ]);
    expect(api.requests).toEqual([
      '/source-connections?collection=coll-0&skip=0&limit=100',
      '/source-connections/sc-1/jobs?limit=2',
    ]);
  });

  it('sends the key in x-api-key: a wrong key is 401, unauthorized', async () => {
    const error = await failure(client({ apiKey: 'wrong' }).collections());
    expect([error.status, error.kind]).toEqual([401, 'unauthorized']);
  });

  it.each([
    [403, 'unauthorized'],
    [429, 'back-off'],
    [500, 'back-off'],
    [503, 'back-off'],
    [404, 'gone'],
    [422, 'rejected'],
  ])('an answer %s is %s', async (status, kind) => {
    api.failNext({ path: '/source-connections/sc-1/jobs', status });
    const error = await failure(client().jobs('sc-1', 5));
    expect([error.status, error.kind]).toEqual([status, kind]);
  });

  it('a body that is not JSON, or not a list, is malformed', async () => {
    api.failNext({ path: '/collections', status: 200, body: '<html>maintenance</html>' });
    await expect(client().collections()).rejects.toBeInstanceOf(MalformedResponseError);
    api.failNext({ path: '/collections', status: 200, body: { detail: 'surprise' } });
    await expect(client().collections()).rejects.toThrow('collections: expected a JSON array');
  });

  it('no answer at all (refused, or over the time limit) means back off', async () => {
    const refused = await failure(
      new AirweaveHttpClient({ apiUrl: 'http://127.0.0.1:1', apiKey: 'k' }).collections(),
    );
    expect([refused.status, refused.kind]).toEqual([undefined, 'back-off']);
    const hung = await failure(
      client({
        fetch: ((u: string, init: RequestInit) => {
          void u;
          return new Promise((_, reject) =>
            init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
          );
        }) as unknown as typeof fetch,
        timeoutMs: 20,
      }).collections(),
    );
    expect(hung.kind).toBe('back-off');
  });
});
