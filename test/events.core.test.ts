import { classifyPayload, type Classified } from '../lambda/core/events';
import { currentPayload, legacyPayload } from '../harness/deliveries';

/** Payload classification (core/events.ts): every field of both generations, and every refusal's reason. */
const classify = (document: unknown) => classifyPayload(JSON.stringify(document));
const eventOf = (classified: Classified) => {
  if (classified.kind !== 'lifecycle')
    throw new Error(`not a lifecycle event: ${JSON.stringify(classified)}`);
  return classified.event;
};
const reasonOf = (classified: Classified) =>
  classified.kind === 'unparseable' ? classified.reason : classified.kind;

describe('the current payload', () => {
  it('maps every field, counts included, and tags the format and origin', () => {
    expect(
      eventOf(
        classify(
          currentPayload({
            event_type: 'sync.running',
            entities_inserted: 1,
            entities_updated: 2,
            entities_deleted: 3,
            entities_skipped: 4,
            chunks_written: 5,
          }),
        ),
      ),
    ).toEqual({
      event_type: 'sync.running',
      state: 'running',
      timestamp: '2026-04-23T13:50:01.482913Z',
      sync_job_id: '0b7e3c9a-2f4d-4e8b-9c1a-6d5e4f3a2b1c',
      sync_id: '5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
      organization_id: '8d1c1f2e-5b4a-4c1e-9f3a-1b2c3d4e5f60',
      collection_readable_id: 'engineering-context-ab123',
      collection_id: 'c0ffee00-1111-4222-8333-444455556666',
      collection_name: 'Engineering Context',
      source_connection_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      source_type: 'github',
      source_key: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      entities_inserted: 1,
      entities_updated: 2,
      entities_deleted: 3,
      entities_skipped: 4,
      chunks_written: 5,
      error: null,
      payload_format: 'current',
      origin: 'webhook',
    });
  });

  it('reads absent optional fields as null, empty text or zero counts, and keys the source by its type', () => {
    const minimal = {
      event_type: 'sync.pending',
      timestamp: '2026-04-23T13:50:01Z',
      sync_job_id: 'j1',
      collection_readable_id: 'c',
      source_type: 'slack',
    };
    expect(eventOf(classify(minimal))).toEqual({
      event_type: 'sync.pending',
      state: 'pending',
      timestamp: '2026-04-23T13:50:01.000000Z',
      sync_job_id: 'j1',
      sync_id: null,
      organization_id: null,
      collection_readable_id: 'c',
      collection_id: null,
      collection_name: '',
      source_connection_id: null,
      source_type: 'slack',
      source_key: 'type:slack',
      entities_inserted: 0,
      entities_updated: 0,
      entities_deleted: 0,
      entities_skipped: 0,
      chunks_written: 0,
      error: null,
      payload_format: 'current',
      origin: 'webhook',
    });
    const nulls = eventOf(
      classify({ ...minimal, sync_id: null, organization_id: null, collection_id: null, error: null }),
    );
    expect(nulls).toMatchObject({ sync_id: null, organization_id: null, collection_id: null, error: null });
  });

  it('keeps the error of a failed sync only; a cancelled or completed one carries none', () => {
    expect(eventOf(classify(currentPayload({ event_type: 'sync.failed', error: 'boom' }))).error).toBe(
      'boom',
    );
    expect(eventOf(classify(currentPayload({ event_type: 'sync.failed', error: null }))).error).toBeNull();
    expect(eventOf(classify(currentPayload({ event_type: 'sync.cancelled', error: 'x' }))).error).toBeNull();
    expect(eventOf(classify(currentPayload({ event_type: 'sync.completed', error: 'x' }))).error).toBeNull();
  });

  it('falls back to the collection UUID only when the readable id is empty', () => {
    expect(eventOf(classify(currentPayload({ collection_readable_id: '' }))).collection_readable_id).toBe(
      'c0ffee00-1111-4222-8333-444455556666',
    );
    expect(
      reasonOf(classify({ ...currentPayload({ collection_readable_id: '' }), collection_id: null })),
    ).toBe('neither collection_readable_id nor collection_id is set');
  });

  it('is current whenever sync_job_id is present, even beside a job_id', () => {
    const both = eventOf(classify({ ...currentPayload(), job_id: 'legacy-id' }));
    expect(both).toMatchObject({
      payload_format: 'current',
      sync_job_id: '0b7e3c9a-2f4d-4e8b-9c1a-6d5e4f3a2b1c',
    });
  });
});

describe('the legacy payload', () => {
  it('maps job_id, status-free fields and zero counts, and reads a zone-less time as UTC', () => {
    expect(
      eventOf(
        classify(
          legacyPayload({ event_type: 'sync.failed', error: 'kaput', timestamp: '2026-04-23T13:40:00.5' }),
        ),
      ),
    ).toEqual({
      event_type: 'sync.failed',
      state: 'failed',
      timestamp: '2026-04-23T13:40:00.500000Z',
      sync_job_id: '3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4',
      sync_id: null,
      organization_id: null,
      collection_readable_id: 'engineering-context-ab123',
      collection_id: null,
      collection_name: 'Engineering Context',
      source_connection_id: '1f2e3d4c-5b6a-4798-a6b5-c4d3e2f1a0b9',
      source_type: 'linear',
      source_key: '1f2e3d4c-5b6a-4798-a6b5-c4d3e2f1a0b9',
      entities_inserted: 0,
      entities_updated: 0,
      entities_deleted: 0,
      entities_skipped: 0,
      chunks_written: 0,
      error: 'kaput',
      payload_format: 'legacy',
      origin: 'webhook',
    });
  });

  it('defaults its optional fields, and drops the error outside sync.failed', () => {
    const bare = {
      event_type: 'sync.completed',
      job_id: 'j9',
      collection_readable_id: 'c',
      timestamp: '2026-04-23T13:40:00Z',
      error: 'stray',
    };
    expect(eventOf(classify(bare))).toMatchObject({
      collection_name: '',
      source_type: '',
      source_connection_id: null,
      source_key: 'type:',
      error: null,
      payload_format: 'legacy',
    });
  });

  it('needs a collection_readable_id of its own', () => {
    expect(reasonOf(classify(legacyPayload({ collection_readable_id: '' })))).toMatch(
      /^invalid sync\.completed payload: collection_readable_id: /,
    );
  });
});

describe('refusals name what is wrong', () => {
  it('a body that is not a JSON object', () => {
    expect(reasonOf(classifyPayload('{not json'))).toBe('body is not JSON');
    for (const body of ['[]', 'null', '42', '"text"', 'true'])
      expect(reasonOf(classifyPayload(body))).toBe('body is not a JSON object');
  });

  it('a missing, empty or non-text event_type', () => {
    for (const document of [{}, { event_type: '' }, { event_type: 7 }, { event_type: null }])
      expect(reasonOf(classify(document))).toBe('event_type is missing');
  });

  it('another event type is ignored, its name kept to 128 characters', () => {
    expect(classify({ event_type: 'search.completed' })).toEqual({
      kind: 'ignored',
      eventType: 'search.completed',
    });
    const long = `x.${'y'.repeat(200)}`;
    expect(classify({ event_type: long })).toEqual({ kind: 'ignored', eventType: long.slice(0, 128) });
  });

  it('each invalid field by its path and what was expected, all of them', () => {
    const reason = reasonOf(
      classify(currentPayload({ sync_job_id: '', entities_inserted: -1, timestamp: 'yesterday' } as never)),
    );
    expect(reason).toMatch(/^invalid sync\.completed payload: /);
    expect(reason).toContain('timestamp: expected an RFC 3339 calendar time with a zone (Z or +hh:mm)');
    expect(reason).toMatch(/sync_job_id: [^;]*>=1 characters/);
    expect(reason).toMatch(/entities_inserted: [^;]*>=0/);
    expect(reason.split('; ')).toHaveLength(3);
  });

  it("the legacy payload's time may omit the zone, and its message says so", () => {
    expect(reasonOf(classify(legacyPayload({ timestamp: 'yesterday' })))).toContain(
      'timestamp: expected an RFC 3339 calendar time with an optional zone (Z or +hh:mm)',
    );
    expect(reasonOf(classify(currentPayload({ timestamp: '2026-04-23T13:40:00' })))).toContain(
      'timestamp: expected an RFC 3339 calendar time with a zone',
    );
  });

  it('limits ids and texts to 1,024 characters, a time to 64, and counts to whole numbers', () => {
    const long = 'x'.repeat(1025);
    expect(eventOf(classify(currentPayload({ sync_job_id: 'x'.repeat(1024) }))).sync_job_id).toHaveLength(
      1024,
    );
    expect(reasonOf(classify(currentPayload({ sync_job_id: long })))).toMatch(
      /sync_job_id: [^;]*<=1024 characters/,
    );
    expect(reasonOf(classify(currentPayload({ collection_name: long })))).toMatch(/collection_name: /);
    expect(
      eventOf(classify(currentPayload({ collection_name: 'x'.repeat(1024) }))).collection_name,
    ).toHaveLength(1024);
    expect(
      reasonOf(classify(currentPayload({ timestamp: `2026-04-23T13:40:00.${'0'.repeat(60)}Z` }))),
    ).toMatch(/timestamp: [^;]*<=64 characters/);
    expect(reasonOf(classify(currentPayload({ chunks_written: 1.5 })))).toMatch(/chunks_written: /);
    expect(reasonOf(classify(currentPayload({ sync_id: '' })))).toMatch(/sync_id: /);
  });
});
