import {
  AirweaveApiError,
  apiFailureKind,
  jobState,
  MalformedResponseError,
  parseCollections,
  parseJobs,
  parseSourceConnections,
} from '../lambda/core/airweave';

/** Reading Airweave's API answers (core/airweave.ts): list shapes, lenient fields, and what a status means. */
describe("Airweave's API answers, in detail", () => {
  it('reads a list bare, or wrapped in items or data; anything else is malformed, named by what was asked', () => {
    expect(parseCollections([{ readable_id: 'a' }]).items).toEqual([
      { id: null, readable_id: 'a', name: '' },
    ]);
    expect(parseCollections({ data: [{ readable_id: 'b', id: 'u', name: 'B' }] }).items).toEqual([
      { id: 'u', readable_id: 'b', name: 'B' },
    ]);
    expect(parseSourceConnections({ items: [] })).toEqual({ items: [], skipped: [] });
    expect(() => parseSourceConnections(null)).toThrow(
      new MalformedResponseError('source connections: expected a JSON array'),
    );
    expect(() => parseCollections({ items: 'x' })).toThrow('collections: expected a JSON array');
    expect(new MalformedResponseError('x').name).toBe('MalformedResponseError');
  });

  it('names a skipped item by its index, and an item that is not an object as "item"', () => {
    const parsed = parseJobs(['text', { id: 'j', status: '' }]);
    expect(parsed.items).toEqual([]);
    expect(parsed.skipped[0]).toMatch(/^\[0\] item: /);
    expect(parsed.skipped[1]).toMatch(/^\[1\] status: /);
  });

  it('reads counts that are not whole non-negative numbers as 0, and an empty time as none', () => {
    const [job] = parseJobs([
      {
        id: 'j',
        status: 'Failed',
        created_at: '',
        failed_at: '2026-04-23T13:00:00Z',
        error: 'boom',
        source_connection_id: 'sc',
        entities_inserted: 3,
        entities_updated: -1,
        entities_deleted: 1.5,
        entities_skipped: null,
      },
    ]).items;
    expect(job).toEqual({
      id: 'j',
      source_connection_id: 'sc',
      status: 'failed',
      created_at: null,
      started_at: null,
      completed_at: null,
      failed_at: '2026-04-23T13:00:00.000000Z',
      error: 'boom',
      entities_inserted: 3,
      entities_updated: 0,
      entities_deleted: 0,
      entities_skipped: 0,
    });
    expect(
      parseSourceConnections([{ id: 's', readable_collection_id: 'c', status: 'active' }]).items[0]?.status,
    ).toBe('active');
  });

  it('maps every job status spelling, in any case, and leaves an unknown one unmapped', () => {
    expect(
      ['CREATED', 'pending', 'Running', 'IN_PROGRESS', 'cancelling', 'COMPLETED', 'failed', 'Cancelled'].map(
        jobState,
      ),
    ).toEqual(['pending', 'pending', 'running', 'running', 'cancelling', 'completed', 'failed', 'cancelled']);
    expect(jobState('paused')).toBeUndefined();
  });

  it('a status code means back-off from 500 and at 429, unauthorized at 401 and 403, gone at 404, else rejected', () => {
    expect([499, 500, 428, 429, 430, 402, 405, 300].map(apiFailureKind)).toEqual([
      'rejected',
      'back-off',
      'rejected',
      'back-off',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ]);
  });

  it('an API error names the status (or that none came), the path and the detail, and carries its kind', () => {
    const refused = new AirweaveApiError(401, '/collections', 'Not authenticated');
    expect(refused).toMatchObject({
      name: 'AirweaveApiError',
      message: '401 from GET /collections: Not authenticated',
      kind: 'unauthorized',
      status: 401,
      path: '/collections',
    });
    expect(new AirweaveApiError(undefined, '/x', 'timeout')).toMatchObject({
      message: 'no answer from GET /x: timeout',
      kind: 'back-off',
    });
  });
});
