import { TableSourceRegistry } from '../lambda/adapters/store/source-registry';
import { memoryStores } from '../lambda/adapters/store/stores';
import type { JobState } from '../lambda/core/job-state';
import type { SourceRegistry } from '../lambda/core/reconcile';
import {
  applySourceLifecycle,
  isSourceLifecycleType,
  parseSourceLifecycle,
  previousJobUnfinished,
  SOURCE_LIFECYCLE_TYPES,
} from '../lambda/core/source-lifecycle';
import { syncEvent } from './helpers/core-fixtures';

/**
 * The source lifecycle (`source_connection.*`, `collection.deleted`) on the in-memory table and source
 * registry: the executable spec that store.property.test.ts holds equal to DynamoDB on the local engine.
 */
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const RECEIVED = at('14:00:00');

function setup() {
  const stores = memoryStores({ retentionDays: 30 });
  const registry = new TableSourceRegistry(stores.table);
  const deps = { registry, freshness: stores.freshness };
  const item = (collection: string, source: string) =>
    stores.table.items().find((i) => i.pk === `COLL#${collection}` && i.sk === `SRC#${source}`);
  return { stores, registry, deps, item };
}

const created = (overrides: Record<string, unknown> = {}) => ({
  event_type: 'source_connection.created',
  source_connection_id: 'sc-1',
  collection_readable_id: 'docs-ab12',
  collection_name: 'Docs',
  collection_id: 'c-uuid',
  source_type: 'github',
  organization_id: 'org-1',
  timestamp: '2026-04-23T13:00:00Z',
  ...overrides,
});

describe('which events are source lifecycle events', () => {
  it('recognizes exactly source_connection.created, source_connection.deleted and collection.deleted', () => {
    expect([...SOURCE_LIFECYCLE_TYPES]).toEqual([
      'source_connection.created',
      'source_connection.deleted',
      'collection.deleted',
    ]);
    for (const type of SOURCE_LIFECYCLE_TYPES) expect(isSourceLifecycleType(type)).toBe(true);
    for (const type of ['collection.created', 'collection.updated', 'source_connection.auth_completed', ''])
      expect(isSourceLifecycleType(type)).toBe(false);
  });
});

describe('parseSourceLifecycle', () => {
  it('a created source carries its whole identity, keyed by its connection id, at the normalized event time', () => {
    expect(parseSourceLifecycle('source_connection.created', created())).toEqual({
      kind: 'source-created',
      at: '2026-04-23T13:00:00.000000Z',
      source: {
        collection_readable_id: 'docs-ab12',
        collection_name: 'Docs',
        collection_id: 'c-uuid',
        source_connection_id: 'sc-1',
        source_type: 'github',
        source_key: 'sc-1',
      },
    });
  });

  it('a created source without collection id, name, type or time gets null, empty strings and a null time', () => {
    const parsed = parseSourceLifecycle('source_connection.created', {
      source_connection_id: 'sc-2',
      collection_readable_id: 'docs-ab12',
    });
    expect(parsed).toEqual({
      kind: 'source-created',
      at: null,
      source: {
        collection_readable_id: 'docs-ab12',
        collection_name: '',
        collection_id: null,
        source_connection_id: 'sc-2',
        source_type: '',
        source_key: 'sc-2',
      },
    });
  });

  it('a time that is not ISO-8601 (or empty) leaves `at` null, to be replaced by the receipt time', () => {
    for (const timestamp of ['yesterday', '', null])
      expect(parseSourceLifecycle('source_connection.deleted', created({ timestamp }))).toMatchObject({
        at: null,
      });
  });

  it('a deleted source names its collection and source key', () => {
    expect(parseSourceLifecycle('source_connection.deleted', created())).toEqual({
      kind: 'source-deleted',
      collection: 'docs-ab12',
      source_key: 'sc-1',
      at: '2026-04-23T13:00:00.000000Z',
    });
  });

  it('a deleted collection needs no source connection id, only the collection readable id', () => {
    expect(
      parseSourceLifecycle('collection.deleted', {
        collection_readable_id: 'docs-ab12',
        collection_id: 'c-uuid',
        collection_name: 'Docs',
        timestamp: '2026-04-23T13:05:00Z',
      }),
    ).toEqual({ kind: 'collection-deleted', collection: 'docs-ab12', at: '2026-04-23T13:05:00.000000Z' });
    expect(parseSourceLifecycle('collection.deleted', {})).toEqual({
      kind: 'unparseable',
      reason: expect.stringMatching(/^invalid collection\.deleted payload: collection_readable_id: /),
    });
  });

  it('a source event without a source connection id is unparseable, with the type and the field named', () => {
    const parsed = parseSourceLifecycle(
      'source_connection.created',
      created({ source_connection_id: undefined }),
    );
    expect(parsed).toEqual({
      kind: 'unparseable',
      reason: expect.stringMatching(/^invalid source_connection\.created payload: source_connection_id: \S/),
    });
  });

  it('every problem is listed, separated by "; ", and a body that is not an object is named `body`', () => {
    const parsed = parseSourceLifecycle('source_connection.deleted', { source_type: 7 });
    expect(parsed.kind).toBe('unparseable');
    const reason = (parsed as { reason: string }).reason;
    expect(reason).toMatch(/^invalid source_connection\.deleted payload: /);
    const fields = reason
      .slice('invalid source_connection.deleted payload: '.length)
      .split('; ')
      .map((problem) => problem.split(':')[0]);
    expect(fields).toEqual(['source_connection_id', 'collection_readable_id', 'source_type']);
    expect(parseSourceLifecycle('source_connection.created', 'not an object')).toEqual({
      kind: 'unparseable',
      reason: expect.stringMatching(/^invalid source_connection\.created payload: body: /),
    });
  });

  it('ids must be 1 to 1024 characters, and names and types at most 1024', () => {
    const long = 'x'.repeat(1025);
    for (const field of ['source_connection_id', 'collection_readable_id', 'collection_id']) {
      expect(parseSourceLifecycle('source_connection.created', created({ [field]: '' })).kind).toBe(
        'unparseable',
      );
      expect(parseSourceLifecycle('source_connection.created', created({ [field]: long })).kind).toBe(
        'unparseable',
      );
    }
    for (const field of ['source_type', 'collection_name'])
      expect(parseSourceLifecycle('source_connection.created', created({ [field]: long })).kind).toBe(
        'unparseable',
      );
    const atLimit = parseSourceLifecycle(
      'source_connection.created',
      created({ source_connection_id: 'x'.repeat(1024), source_type: 'y'.repeat(1024) }),
    );
    expect(atLimit.kind).toBe('source-created');
    expect(parseSourceLifecycle('collection.deleted', { collection_readable_id: long }).kind).toBe(
      'unparseable',
    );
    expect(
      parseSourceLifecycle('collection.deleted', { collection_readable_id: 'c', collection_name: long }).kind,
    ).toBe('unparseable');
  });
});

describe('applySourceLifecycle on the in-memory registry', () => {
  const source = {
    collection_readable_id: 'docs-ab12',
    collection_name: 'Docs',
    collection_id: null,
    source_connection_id: 'sc-1',
    source_type: 'github',
    source_key: 'sc-1',
  };

  it('a created source is listed at once, unknown and awaiting its first sync, at the event time', async () => {
    const { deps, stores, item } = setup();
    expect(
      await applySourceLifecycle(deps, { kind: 'source-created', source, at: at('13:00:00') }, RECEIVED),
    ).toBe(true);
    const [record] = await stores.freshness.collectionFreshness('docs-ab12');
    expect(record).toMatchObject({
      source_key: 'sc-1',
      source_type: 'github',
      latest_state: null,
      registered_at: at('13:00:00'),
      retired_at: null,
    });
    expect(item('docs-ab12', 'sc-1')).toMatchObject({ gsi1pk: 'FRESHNESS', gsi1sk: 'docs-ab12#sc-1' });
    expect((await stores.freshness.allFreshness()).map((r) => r.source_key)).toEqual(['sc-1']);
  });

  it('a repeated creation changes nothing and answers false; a source with events keeps its record', async () => {
    const { deps, stores } = setup();
    const event = syncEvent({ source_connection_id: 'sc-1', collection_readable_id: 'docs-ab12' });
    await stores.recorder.advanceFreshness(event);
    const before = await stores.freshness.collectionFreshness('docs-ab12');
    expect(await applySourceLifecycle(deps, { kind: 'source-created', source, at: null }, RECEIVED)).toBe(
      false,
    );
    expect(await stores.freshness.collectionFreshness('docs-ab12')).toEqual(before);
  });

  it('without an event time, the receipt time stands in', async () => {
    const { deps, stores } = setup();
    await applySourceLifecycle(deps, { kind: 'source-created', source, at: null }, RECEIVED);
    expect((await stores.freshness.collectionFreshness('docs-ab12'))[0]?.registered_at).toBe(RECEIVED);
    await applySourceLifecycle(
      deps,
      { kind: 'source-deleted', collection: 'docs-ab12', source_key: 'sc-1', at: null },
      at('15:00:00'),
    );
    expect((await stores.freshness.collectionFreshness('docs-ab12'))[0]?.retired_at).toBe(at('15:00:00'));
  });

  it('a deleted source is retired (history kept); the first retirement time stays on a repeat', async () => {
    const { deps, stores } = setup();
    await applySourceLifecycle(deps, { kind: 'source-created', source, at: at('13:00:00') }, RECEIVED);
    const deleted = (time: string) =>
      applySourceLifecycle(
        deps,
        { kind: 'source-deleted', collection: 'docs-ab12', source_key: 'sc-1', at: at(time) },
        RECEIVED,
      );
    expect(await deleted('13:30:00')).toBe(true);
    expect(await deleted('13:10:00')).toBe(true);
    const [record] = await stores.freshness.collectionFreshness('docs-ab12');
    expect(record).toMatchObject({ retired_at: at('13:30:00'), registered_at: at('13:00:00') });
  });

  it('a deleted source retires only itself, not the other sources of its collection', async () => {
    const { deps, stores } = setup();
    await applySourceLifecycle(deps, { kind: 'source-created', source, at: null }, RECEIVED);
    const sibling = { ...source, source_connection_id: 'sc-2', source_key: 'sc-2' };
    await applySourceLifecycle(deps, { kind: 'source-created', source: sibling, at: null }, RECEIVED);
    await applySourceLifecycle(
      deps,
      { kind: 'source-deleted', collection: 'docs-ab12', source_key: 'sc-1', at: at('15:00:00') },
      RECEIVED,
    );
    expect(
      (await stores.freshness.collectionFreshness('docs-ab12')).map((r) => [r.source_key, r.retired_at]),
    ).toEqual([
      ['sc-1', at('15:00:00')],
      ['sc-2', null],
    ]);
  });

  it('deleting a source that was never listed answers false and writes no item', async () => {
    const { deps, stores } = setup();
    expect(
      await applySourceLifecycle(
        deps,
        { kind: 'source-deleted', collection: 'docs-ab12', source_key: 'sc-9', at: null },
        RECEIVED,
      ),
    ).toBe(false);
    expect(stores.table.items()).toEqual([]);
  });

  it("a deleted collection retires each of its sources and no other collection's", async () => {
    const { deps, stores } = setup();
    const list = (collection: string, id: string) =>
      applySourceLifecycle(
        deps,
        {
          kind: 'source-created',
          source: { ...source, collection_readable_id: collection, source_connection_id: id, source_key: id },
          at: null,
        },
        RECEIVED,
      );
    await list('docs-ab12', 'sc-1');
    await list('docs-ab12', 'sc-2');
    await list('other-cd34', 'sc-3');
    const gone = { kind: 'collection-deleted', collection: 'docs-ab12', at: at('16:00:00') } as const;
    expect(await applySourceLifecycle(deps, gone, RECEIVED)).toBe(true);
    expect((await stores.freshness.collectionFreshness('docs-ab12')).map((r) => r.retired_at)).toEqual([
      at('16:00:00'),
      at('16:00:00'),
    ]);
    expect((await stores.freshness.collectionFreshness('other-cd34'))[0]?.retired_at).toBeNull();
    // Only some sources are new to this deletion: still "changed".
    await list('docs-ab12', 'sc-4');
    expect(await applySourceLifecycle(deps, gone, RECEIVED)).toBe(true);
    expect(
      await applySourceLifecycle(
        deps,
        { kind: 'collection-deleted', collection: 'empty', at: null },
        RECEIVED,
      ),
    ).toBe(false);
  });
});

describe('previousJobUnfinished: a new job while the previous one has no terminal state', () => {
  async function withPrevious(previous: JobState | undefined, event: { state: JobState; job?: string }) {
    const { stores, registry } = setup();
    const record = async (job: string, type: string, time: string) => {
      const e = syncEvent({
        event_type: type,
        sync_job_id: job,
        source_connection_id: 'sc-1',
        timestamp: time,
      });
      await stores.recorder.putAuditEvent(e, { id: `${job}-${type}`, receivedAt: time });
      await stores.recorder.advanceJob(e);
    };
    if (previous !== undefined) await record('job-old', `sync.${previous}`, '2026-04-23T12:00:00Z');
    // The new job's own earlier event is newer than the previous job's, and must be looked past.
    await record('job-new', 'sync.pending', '2026-04-23T13:00:00Z');
    return previousJobUnfinished(registry, {
      source_key: 'sc-1',
      sync_job_id: event.job ?? 'job-new',
      state: event.state,
    });
  }

  it.each(['pending', 'running', 'cancelling'] as const)(
    'a previous job left %s is suspect',
    async (state) => {
      expect(await withPrevious(state, { state: 'running' })).toBe(true);
      expect(await withPrevious(state, { state: 'pending' })).toBe(true);
    },
  );

  it.each(['completed', 'failed', 'cancelled'] as const)(
    'a previous job that ended %s is not',
    async (state) => {
      expect(await withPrevious(state, { state: 'running' })).toBe(false);
    },
  );

  it('no previous job is nothing to suspect', async () => {
    expect(await withPrevious(undefined, { state: 'running' })).toBe(false);
  });

  it('only a pending or running event raises the suspicion, and the others read nothing', async () => {
    const refusing: SourceRegistry = new Proxy({} as SourceRegistry, {
      get: () => () => Promise.reject(new Error('no read expected')),
    });
    for (const state of ['cancelling', 'completed', 'failed', 'cancelled'] as const) {
      expect(await withPrevious('running', { state })).toBe(false);
      expect(await previousJobUnfinished(refusing, { source_key: 's', sync_job_id: 'j', state })).toBe(false);
    }
  });
});
