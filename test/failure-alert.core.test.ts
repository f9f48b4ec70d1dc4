import { memoryStores } from '../lambda/adapters/store/stores';
import { ClaimBusyError } from '../lambda/core/errors';
import { alertFailureOnce } from '../lambda/core/failure-alert';
import { sourceFreshness } from '../lambda/core/freshness';
import { RecordingNotifier } from '../harness/recording-notifier';
import { syncEvent } from './helpers/core-fixtures';

/** A failed job's alert, sent once to every matching team (core/failure-alert.ts), on the in-memory ledger. */
const NOW = new Date('2026-04-23T14:00:00.000Z');
const rules = [{ collection: '*', maxAge: 3600 }];
const routes = [
  { team: 'eng', match: {} },
  { team: 'ops', match: {} },
];

async function failedJob() {
  const stores = memoryStores({ retentionDays: 30 });
  const notifier = new RecordingNotifier();
  const event = syncEvent({ event_type: 'sync.failed', error: 'boom', timestamp: '2026-04-23T13:59:00Z' });
  await stores.recorder.advanceJob(event);
  await stores.recorder.advanceFreshness(event);
  const deps = { ledger: stores.ledger, notifier, routes, rules };
  return { stores, notifier, event, deps };
}

describe('failure alert', () => {
  it('publishes to every matching team with the freshness the failure left, then marks the alert sent', async () => {
    const { stores, notifier, event, deps } = await failedJob();
    await alertFailureOnce(deps, event, { message: 'm1', attempt: 'a1' }, NOW);
    expect(notifier.alerts.map((a) => a.team)).toEqual(['eng', 'ops']);
    const record = await stores.ledger.sourceRecord(event.collection_readable_id, event.source_key);
    expect(notifier.alerts[0]!.alert.body).toEqual({
      kind: 'sync.failed',
      event,
      freshness: sourceFreshness(record!, rules, NOW),
    });
    // Sent for good: another delivery of the same failure alerts no one.
    await alertFailureOnce(deps, event, { message: 'm2', attempt: 'a2' }, NOW);
    expect(notifier.alerts).toHaveLength(2);
  });

  it("reads the source's record while it claims the alert: one round trip, not two", async () => {
    const { notifier, event, deps } = await failedJob();
    const order: string[] = [];
    const ledger = Object.create(deps.ledger) as typeof deps.ledger;
    // The claim answers only once the read has started: were they issued one after the other, this hangs.
    let readStarted!: () => void;
    const reading = new Promise<void>((resolve) => (readStarted = resolve));
    ledger.claimFailureAlert = async (...args) => {
      order.push('claim');
      await reading;
      return deps.ledger.claimFailureAlert(...args);
    };
    ledger.sourceRecord = (...args) => {
      order.push('read');
      readStarted();
      return deps.ledger.sourceRecord(...args);
    };
    await alertFailureOnce({ ...deps, ledger }, event, { message: 'm1', attempt: 'a1' }, NOW);
    expect(order).toEqual(['claim', 'read']);
    expect(notifier.alerts.map((a) => a.team)).toEqual(['eng', 'ops']);
  });

  it('without a freshness record, the body says so with null', async () => {
    const { stores, notifier, event, deps } = await failedJob();
    await stores.table.delete({ pk: `COLL#${event.collection_readable_id}`, sk: `SRC#${event.source_key}` });
    await alertFailureOnce(deps, event, { message: 'm1', attempt: 'a1' }, NOW);
    expect(notifier.alerts[0]!.alert.body).toMatchObject({ freshness: null });
  });

  it('a failed publish records the teams told, releases the claim and throws; the retry tells only the rest', async () => {
    const { notifier, event, deps } = await failedJob();
    notifier.failing.add('ops');
    await expect(alertFailureOnce(deps, event, { message: 'm1', attempt: 'a1' }, NOW)).rejects.toThrow(
      'topic of ops unavailable',
    );
    expect(notifier.alerts.map((a) => a.team)).toEqual(['eng']);
    notifier.failing.clear();
    await alertFailureOnce(deps, event, { message: 'm1', attempt: 'a2' }, NOW);
    expect(notifier.alerts.map((a) => a.team)).toEqual(['eng', 'ops']);
  });

  it("an attempt that finds its own message's earlier attempt holding the claim is told to retry", async () => {
    const { notifier, event, deps } = await failedJob();
    const release = notifier.hold();
    const first = alertFailureOnce(deps, event, { message: 'm1', attempt: 'a1' }, NOW);
    await expect(alertFailureOnce(deps, event, { message: 'm1', attempt: 'a2' }, NOW)).rejects.toThrow(
      new ClaimBusyError(
        `the failure alert of job ${event.sync_job_id} is held by an earlier attempt of this delivery; retry later`,
      ),
    );
    // Another message about the same job stands back without an error.
    await alertFailureOnce(deps, event, { message: 'm2', attempt: 'a3' }, NOW);
    release();
    await first;
    expect(notifier.alerts.map((a) => a.team)).toEqual(['eng', 'ops']);
  });

  it('a job that did not end in failure is not alerted', async () => {
    const stores = memoryStores({ retentionDays: 30 });
    const notifier = new RecordingNotifier();
    const completed = syncEvent({ event_type: 'sync.completed', timestamp: '2026-04-23T13:59:00Z' });
    await stores.recorder.advanceJob(completed);
    const failed = { ...completed, event_type: 'sync.failed' as const, state: 'failed' as const };
    await alertFailureOnce(
      { ledger: stores.ledger, notifier, routes, rules },
      failed,
      { message: 'm', attempt: 'a' },
      NOW,
    );
    expect(notifier.alerts).toEqual([]);
    expect(new ClaimBusyError('x').name).toBe('ClaimBusyError');
  });
});
