import {
  type ApiJob,
  apiFailureKind,
  jobEvents,
  jobState,
  MalformedResponseError,
  parseCollections,
  parseJobs,
  parseSourceConnections,
} from '../lambda/core/airweave';
import { parseConfig } from '../lambda/core/config';

const context = {
  collection: { id: 'c0ffee00-1111-4222-8333-444455556666', readable_id: 'eng-ab123', name: 'Engineering' },
  source: { id: 'sc-1', short_name: 'github' },
};

function job(overrides: Partial<ApiJob> = {}): ApiJob {
  return {
    id: 'job-1',
    source_connection_id: 'sc-1',
    status: 'completed',
    created_at: '2026-04-23T13:40:00.000000Z',
    started_at: '2026-04-23T13:41:00.000000Z',
    completed_at: '2026-04-23T13:50:00.000000Z',
    failed_at: null,
    error: null,
    entities_inserted: 3,
    entities_updated: 2,
    entities_deleted: 1,
    entities_skipped: 0,
    ...overrides,
  };
}

function types(result: ReturnType<typeof jobEvents>) {
  if (result.kind !== 'events') throw new Error(`expected events, got ${result.kind}`);
  return result.events.map((e) => [e.event_type, e.timestamp]);
}

describe('job status mapping', () => {
  it.each([
    ['created', 'pending'],
    ['pending', 'pending'],
    ['PENDING', 'pending'],
    ['running', 'running'],
    ['in_progress', 'running'],
    ['RUNNING', 'running'],
    ['cancelling', 'cancelling'],
    ['completed', 'completed'],
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
  ])('%s -> %s', (status, state) => expect(jobState(status)).toBe(state));

  it('leaves a status it does not know unmapped rather than guessing', () => {
    expect(jobState('paused')).toBeUndefined();
    expect(jobEvents(job({ status: 'paused' }), context)).toEqual({
      kind: 'unknown-status',
      status: 'paused',
    });
  });
});

describe('a job as the events a webhook would have delivered', () => {
  it('one event per state reached, each at the API time of that state', () => {
    expect(types(jobEvents(job(), context))).toEqual([
      ['sync.pending', '2026-04-23T13:40:00.000000Z'],
      ['sync.running', '2026-04-23T13:41:00.000000Z'],
      ['sync.completed', '2026-04-23T13:50:00.000000Z'],
    ]);
  });

  it('carries the webhook fields, marked reconciled', () => {
    const result = jobEvents(job(), context);
    expect(result.kind === 'events' && result.events[2]).toMatchObject({
      state: 'completed',
      sync_job_id: 'job-1',
      collection_readable_id: 'eng-ab123',
      collection_id: context.collection.id,
      collection_name: 'Engineering',
      source_connection_id: 'sc-1',
      source_key: 'sc-1',
      source_type: 'github',
      entities_inserted: 3,
      error: null,
      origin: 'reconciled',
      payload_format: 'api',
    });
  });

  it('a failure at failed_at with its error, else at completed_at', () => {
    const failed = jobEvents(
      job({
        status: 'failed',
        failed_at: '2026-04-23T13:45:00.000000Z',
        completed_at: null,
        error: 'token expired',
      }),
      context,
    );
    expect(types(failed).at(-1)).toEqual(['sync.failed', '2026-04-23T13:45:00.000000Z']);
    expect(failed.kind === 'events' && failed.events.at(-1)?.error).toBe('token expired');
    expect(types(jobEvents(job({ status: 'FAILED', error: 'x' }), context)).at(-1)).toEqual([
      'sync.failed',
      '2026-04-23T13:50:00.000000Z',
    ]);
  });

  it('a job cancelled before it started never claims it ran', () => {
    expect(types(jobEvents(job({ status: 'cancelled', started_at: null }), context))).toEqual([
      ['sync.pending', '2026-04-23T13:40:00.000000Z'],
      ['sync.cancelled', '2026-04-23T13:50:00.000000Z'],
    ]);
  });

  it('an active job has no terminal event; cancelling is dated at its latest known time', () => {
    expect(types(jobEvents(job({ status: 'in_progress', completed_at: null }), context))).toEqual([
      ['sync.pending', '2026-04-23T13:40:00.000000Z'],
      ['sync.running', '2026-04-23T13:41:00.000000Z'],
    ]);
    expect(types(jobEvents(job({ status: 'cancelling', completed_at: null }), context)).at(-1)).toEqual([
      'sync.cancelling',
      '2026-04-23T13:41:00.000000Z',
    ]);
    expect(
      types(jobEvents(job({ status: 'created', started_at: null, completed_at: null }), context)),
    ).toEqual([['sync.pending', '2026-04-23T13:40:00.000000Z']]);
  });

  it('a missing time falls back to an earlier one, never a later one', () => {
    // No completed_at: the completion is dated at the start, so freshness never runs ahead of the truth.
    expect(types(jobEvents(job({ completed_at: null, created_at: null }), context))).toEqual([
      ['sync.running', '2026-04-23T13:41:00.000000Z'],
      ['sync.completed', '2026-04-23T13:41:00.000000Z'],
    ]);
    expect(
      jobEvents(job({ created_at: null, started_at: null, completed_at: null, failed_at: null }), context),
    ).toEqual({ kind: 'no-times' });
  });

  it('uses the listing source connection when the job omits its own', () => {
    const result = jobEvents(job({ source_connection_id: null }), context);
    expect(result.kind === 'events' && result.events[0]?.source_key).toBe('sc-1');
  });
});

describe('API bodies', () => {
  it('tolerates missing optional fields and unknown extra fields', () => {
    const parsed = parseJobs([
      {
        id: 'j1',
        status: 'COMPLETED',
        started_at: '2026-04-23T13:41:00',
        completed_at: '2026-04-23T13:50:00.123456+00:00',
        duration_seconds: 12.5,
        entities_failed: 0,
        error_details: { nested: true },
        something_new: 'ignored',
      },
    ]);
    expect(parsed.skipped).toEqual([]);
    expect(parsed.items[0]).toEqual({
      id: 'j1',
      source_connection_id: null,
      status: 'completed',
      created_at: null,
      started_at: '2026-04-23T13:41:00.000000Z',
      completed_at: '2026-04-23T13:50:00.123456Z',
      failed_at: null,
      error: null,
      entities_inserted: 0,
      entities_updated: 0,
      entities_deleted: 0,
      entities_skipped: 0,
    });
    expect(parseCollections([{ readable_id: 'a-1', extra: 1 }]).items).toEqual([
      { id: null, readable_id: 'a-1', name: '' },
    ]);
    expect(
      parseSourceConnections([{ id: 's', readable_collection_id: 'a-1', short_name: 'slack', auth: {} }])
        .items,
    ).toEqual([{ id: 's', name: '', short_name: 'slack', readable_collection_id: 'a-1', status: null }]);
  });

  it('skips a malformed item and names it, keeping the others', () => {
    const parsed = parseJobs([
      { id: 'ok', status: 'running' },
      { id: 'bad-time', status: 'completed', completed_at: 'yesterday' },
      { status: 'running' },
      'not an object',
    ]);
    expect(parsed.items.map((j) => j.id)).toEqual(['ok']);
    expect(parsed.skipped).toHaveLength(3);
    expect(parsed.skipped[0]).toMatch(/^\[1\] completed_at: expected an ISO-8601 time/);
    expect(parsed.skipped[1]).toMatch(/^\[2\] id:/);
  });

  it('refuses a body that is not a list at all', () => {
    expect(() => parseCollections({ detail: 'Not authenticated' })).toThrow(MalformedResponseError);
    expect(() => parseJobs('<html>')).toThrow('jobs: expected a JSON array');
    expect(parseCollections({ items: [{ readable_id: 'x' }] }).items).toHaveLength(1);
  });
});

describe('failure answers of the API', () => {
  it.each([
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [429, 'back-off'],
    [500, 'back-off'],
    [502, 'back-off'],
    [503, 'back-off'],
    [undefined, 'back-off'],
    [404, 'gone'],
    [422, 'rejected'],
    [400, 'rejected'],
  ])('%s is %s', (status, kind) => expect(apiFailureKind(status)).toBe(kind));
});

describe('the airweave config section', () => {
  it('defaults to the public API, every 15 minutes, the latest 5 jobs', () => {
    expect(parseConfig({}).airweave).toEqual({
      apiUrl: 'https://api.airweave.ai',
      reconcile: { every: 15 * 60, jobs: 5 },
    });
    expect(parseConfig({ airweave: { reconcile: { jobs: 10 } } }).airweave.reconcile).toEqual({
      every: 15 * 60,
      jobs: 10,
    });
  });

  it('names the bad field', () => {
    expect(() => parseConfig({ airweave: { reconcile: { every: 'soon' } } })).toThrow(
      'airweave.reconcile.every: expected a duration such as 90s, 30m, 6h or 2d',
    );
    expect(() => parseConfig({ airweave: { reconcile: { jobs: 0 } } })).toThrow('airweave.reconcile.jobs');
    expect(() => parseConfig({ airweave: { apiUrl: 'ftp://x' } })).toThrow(
      'airweave.apiUrl: expected the API base URL',
    );
    expect(() => parseConfig({ airweave: { apiKey: 'secret' } })).toThrow('airweave');
  });
});
