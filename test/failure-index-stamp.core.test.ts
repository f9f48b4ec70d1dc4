import {
  EVENT_TIME_LEAD_SECONDS,
  failedStampId,
  handleStampRequest,
  ownedStamp,
  parseStampResourceId,
  type StampRequestInput,
  type StampStore,
  stampResourceId,
  stampSince,
} from '../lambda/core/failure-index-stamp';
import { TIMESTAMP_TOLERANCE_SECONDS } from '../lambda/core/signature';

/** The deploy-time stamp's rule (core/failure-index-stamp.ts), on an in-memory table of stamps. */
const DEPLOYED = new Date('2026-11-30T20:00:00.000Z');
const later = (minutes: number) => new Date(DEPLOYED.getTime() + minutes * 60_000);

/** The stamp items of several tables, kept as DynamoDB's conditional PutItem and DeleteItem would. */
class MemoryStamps implements StampStore {
  readonly since = new Map<string, string>();
  write(tableName: string, since: string): Promise<boolean> {
    const held = this.since.get(tableName);
    if (held !== undefined && held !== since) return Promise.resolve(false);
    this.since.set(tableName, since);
    return Promise.resolve(true);
  }
  takeBack(tableName: string, since: string): Promise<boolean> {
    if (this.since.get(tableName) !== since) return Promise.resolve(false);
    this.since.delete(tableName);
    return Promise.resolve(true);
  }
}

const create: StampRequestInput = { request: 'Create', tableName: 't1', drainSeconds: 300 };

describe('the stamp time', () => {
  it('is the deploy time plus the drain plus twice the signature tolerance, in the event times format', () => {
    // Twice: an event time may lead its svix-timestamp by one tolerance, which may lead our clock by one.
    expect(EVENT_TIME_LEAD_SECONDS).toBe(2 * TIMESTAMP_TOLERANCE_SECONDS);
    expect(EVENT_TIME_LEAD_SECONDS).toBe(600);
    expect(stampSince(DEPLOYED, 300)).toBe('2026-11-30T20:15:00.000000Z');
    expect(stampSince(DEPLOYED, 0)).toBe('2026-11-30T20:10:00.000000Z');
    expect(stampSince(new Date('2026-11-30T20:00:00.123Z'), 10)).toBe('2026-11-30T20:10:10.123000Z');
  });

  it('refuses a drain that is no Lambda timeout', () => {
    expect(stampSince(DEPLOYED, 900)).toBe('2026-11-30T20:25:00.000000Z');
    for (const bad of [-1, 901, 1.5, Number.NaN])
      expect(() => stampSince(DEPLOYED, bad)).toThrow(
        `drainSeconds must be a whole number of seconds from 0 to 900 (a Lambda timeout), got ${bad}`,
      );
  });
});

describe('the physical id', () => {
  it('names the table and the stamp the resource wrote, or that it kept one', () => {
    const since = stampSince(DEPLOYED, 300);
    expect(stampResourceId('t1', since)).toBe(`failure-index-stamp/t1/${since}`);
    expect(stampResourceId('t1', undefined)).toBe('failure-index-stamp/t1/kept');
    expect(parseStampResourceId(stampResourceId('t1', since))).toEqual({ tableName: 't1', written: since });
    expect(parseStampResourceId('failure-index-stamp/t1/kept')).toEqual({
      tableName: 't1',
      written: undefined,
    });
    expect(ownedStamp(stampResourceId('t1', since))).toEqual({ tableName: 't1', since });
  });

  it('owns nothing when kept, foreign or malformed', () => {
    for (const id of [
      undefined,
      'failure-index-stamp/t1/kept',
      'other/t1/2026-11-30T20:15:00.000000Z',
      'failure-index-stamp//2026-11-30T20:15:00.000000Z',
      'failure-index-stamp/t1/',
      'failure-index-stamp/t1',
      'failure-index-stamp/t1/a/b',
    ])
      expect(ownedStamp(id)).toBeUndefined();
    expect(parseStampResourceId('failure-index-stamp/t1')).toBeUndefined();
  });
});

describe('a CloudFormation request to the stamp', () => {
  it('Create writes the stamp and owns it; a later Create keeps the earliest and owns nothing', async () => {
    const store = new MemoryStamps();
    const first = await handleStampRequest(store, create, DEPLOYED);
    expect(first).toEqual({
      physicalId: 'failure-index-stamp/t1/2026-11-30T20:15:00.000000Z',
      reason: 'the failure index holds every failure from 2026-11-30T20:15:00.000000Z',
    });
    const second = await handleStampRequest(store, create, later(60));
    expect(second).toEqual({
      physicalId: 'failure-index-stamp/t1/kept',
      reason: 'kept the earlier failure index stamp of the table',
    });
    expect(store.since.get('t1')).toBe('2026-11-30T20:15:00.000000Z');
  });

  it('Update keeps the id it had for the same table, so the stamp it wrote stays its own', async () => {
    const store = new MemoryStamps();
    const { physicalId } = await handleStampRequest(store, create, DEPLOYED);
    const update = { ...create, request: 'Update' as const, drainSeconds: 60, physicalId };
    expect(await handleStampRequest(store, update, later(30))).toEqual({
      physicalId,
      reason: 'kept the earlier failure index stamp of the table',
    });
    expect(store.since.get('t1')).toBe('2026-11-30T20:15:00.000000Z');
    // An id that is not one of the stamp's (say, set by an earlier implementation): the kept id of the table.
    expect((await handleStampRequest(store, { ...update, physicalId: 'legacy' }, later(30))).physicalId).toBe(
      'failure-index-stamp/t1/kept',
    );
    // Moved to another table (the old one is no longer the stack's): that table gets its own stamp.
    const moved = await handleStampRequest(store, { ...update, tableName: 't2' }, later(30));
    expect(moved.physicalId).toBe('failure-index-stamp/t2/2026-11-30T20:41:00.000000Z');
    // Another table that already had one: kept, under an id of the new table.
    const store2 = new MemoryStamps();
    store2.since.set('t2', '');
    expect((await handleStampRequest(store2, { ...update, tableName: 't2' }, later(30))).physicalId).toBe(
      'failure-index-stamp/t2/kept',
    );
  });

  it('Delete takes back only the stamp the resource wrote, and only while the table still holds it', async () => {
    const store = new MemoryStamps();
    const { physicalId } = await handleStampRequest(store, create, DEPLOYED);
    const kept = await handleStampRequest(store, create, later(5));
    const del = (id: string) => ({ ...create, request: 'Delete' as const, physicalId: id });
    expect(await handleStampRequest(store, del(kept.physicalId), later(6))).toEqual({
      physicalId: kept.physicalId,
      reason: 'this resource wrote no stamp: nothing to take back',
    });
    expect(store.since.get('t1')).toBe('2026-11-30T20:15:00.000000Z');
    expect(await handleStampRequest(store, del(physicalId), later(7))).toEqual({
      physicalId,
      reason:
        'took back the failure index stamp 2026-11-30T20:15:00.000000Z: freshness at T reads source by source',
    });
    expect(store.since.has('t1')).toBe(false);
    // Someone else's stamp now: not taken back.
    store.since.set('t1', '');
    expect((await handleStampRequest(store, del(physicalId), later(8))).reason).toBe(
      'the table no longer holds the stamp 2026-11-30T20:15:00.000000Z: nothing to take back',
    );
    expect(store.since.get('t1')).toBe('');
  });

  it('a failed Create claims the stamp it was writing, so its rollback takes it back if it landed', () => {
    expect(failedStampId(create, DEPLOYED)).toBe('failure-index-stamp/t1/2026-11-30T20:15:00.000000Z');
    expect(failedStampId({ ...create, drainSeconds: -1 }, DEPLOYED)).toBe('failure-index-stamp/t1/kept');
    expect(failedStampId({ ...create, request: 'Update', physicalId: 'p' }, DEPLOYED)).toBe('p');
  });

  it('a write that throws fails the request', async () => {
    const broken: StampStore = {
      write: () => Promise.reject(new Error('ResourceNotFoundException')),
      takeBack: () => Promise.reject(new Error('unused')),
    };
    await expect(handleStampRequest(broken, create, DEPLOYED)).rejects.toThrow('ResourceNotFoundException');
  });
});
