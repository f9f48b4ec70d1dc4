import { TableSourceRegistry } from '../lambda/adapters/store/source-registry';
import { memoryStores } from '../lambda/adapters/store/stores';
import type { Claimant } from '../lambda/core/claims';
import { ClaimBusyError } from '../lambda/core/errors';
import type { SyncEvent } from '../lambda/core/events';
import { alertId } from '../lambda/core/outbound';
import type { PipelineSpec } from '../lambda/core/pipeline-gate';
import { advancePipelines } from '../lambda/core/pipelines';
import type { PipelineGates } from '../lambda/core/ports';
import { RecordingNotifier } from '../harness/recording-notifier';
import { RecordingStarter } from '../harness/recording-starter';
import { syncEvent } from './helpers/core-fixtures';

/** The pipeline gate use case on the in-memory stores: what happens after an event is recorded. */
const COLLECTION = 'docs-ab12';
const NOW = new Date('2026-04-23T14:00:00.000Z');
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const spec: PipelineSpec = {
  name: 'analysis',
  collection: COLLECTION,
  requires: ['github', 'linear'],
  window: 3600,
  team: 'data',
};

function setup(gates?: (real: PipelineGates) => PipelineGates) {
  const stores = memoryStores({ retentionDays: 30 });
  const notifier = new RecordingNotifier();
  const starter = new RecordingStarter();
  const deps = {
    pipelines: [spec],
    gates: gates ? gates(stores.gates) : stores.gates,
    freshness: stores.freshness,
    starter,
    notifier,
  };
  let n = 0;
  /** Records the event's freshness as the webhook does, then runs the gate as its delivery would. */
  const deliver = async (
    event: SyncEvent,
    claimant: Claimant = { message: `msg_${++n}`, attempt: `a${n}` },
  ) => {
    await stores.recorder.advanceFreshness(event);
    return advancePipelines(deps, event, claimant, NOW);
  };
  return { stores, notifier, starter, deps, deliver };
}

const event = (type: string, source: string, job: string, time: string, sourceType = source) =>
  syncEvent({
    event_type: type,
    source_type: sourceType,
    source_connection_id: `sc-${source}`,
    sync_job_id: job,
    collection_readable_id: COLLECTION,
    timestamp: at(time),
    error: type === 'sync.failed' ? 'boom' : undefined,
  });

describe('advancePipelines', () => {
  it('starts the pipeline once every required source completed within the window, and again on newer completions', async () => {
    const { deliver, starter, stores } = setup();
    expect(await deliver(event('sync.completed', 'github', 'g1', '13:00:00'))).toEqual([
      { pipeline: 'analysis', decision: 'waiting' },
    ]);
    const [first] = await deliver(event('sync.completed', 'linear', 'l1', '13:10:00'));
    expect(first).toMatchObject({ pipeline: 'analysis', decision: 'started' });
    expect(first?.executionName).toMatch(/^analysis-1-/);
    await deliver(event('sync.completed', 'github', 'g2', '13:20:00'));
    const gate = await stores.gates.pipelineGate('analysis');
    expect(gate?.version).toBe(2);
    expect([...starter.executions.keys()].map((name) => name.split('-')[1])).toEqual(['1', '2']);
    expect(starter.inputs('analysis')[1]).toMatchObject({
      pipeline: 'analysis',
      collection: COLLECTION,
      triggered_by: { sync_job_id: 'g2', svix_id: 'msg_3' },
    });
  });

  it('only completions and failures of a required source in its collection concern a pipeline', async () => {
    const { deliver, starter, notifier } = setup();
    expect(await deliver(event('sync.running', 'github', 'g1', '13:00:00'))).toEqual([]);
    expect(await deliver(event('sync.cancelled', 'github', 'g1', '13:01:00'))).toEqual([]);
    expect(await deliver(event('sync.failed', 'slack', 's1', '13:02:00'))).toEqual([]);
    expect(starter.calls).toBe(0);
    expect(notifier.alerts).toEqual([]);
  });

  it('an event no pipeline concerns reads nothing', async () => {
    const { deps, stores } = setup();
    let reads = 0;
    const counted = {
      ...deps,
      pipelines: [],
      freshness: { ...stores.freshness, collectionFreshness: async () => (reads++, []) },
    };
    const done = event('sync.completed', 'github', 'g1', '13:00:00');
    expect(await advancePipelines(counted, done, { message: 'm', attempt: 'a' }, NOW)).toEqual([]);
    expect(reads).toBe(0);
  });

  it("a required source's failure blocks the pipeline with one alert to its team, naming the job", async () => {
    const { deliver, notifier, stores } = setup();
    const failure = event('sync.failed', 'github', 'g1', '13:00:00');
    expect(await deliver(failure)).toEqual([{ pipeline: 'analysis', decision: 'blocked' }]);
    expect(notifier.alerts).toEqual([
      {
        team: 'data',
        alert: expect.objectContaining({
          kind: 'pipeline.blocked',
          alert_id: alertId('pipeline.blocked', 'analysis', 'g1'),
          subject: `Pipeline analysis blocked: github failed in ${COLLECTION}`,
          collection_readable_id: COLLECTION,
          source_type: 'github',
          body: { kind: 'pipeline.blocked', pipeline: 'analysis', event: failure },
        }),
      },
    ]);
    expect(await stores.gates.pipelineGate('analysis')).toMatchObject({ blocked_by: 'g1' });
    // Another message about the same failure: blocked already, no second alert.
    expect(await deliver(failure)).toEqual([{ pipeline: 'analysis', decision: 'blocked' }]);
    expect(notifier.alerts).toHaveLength(1);
  });

  it("a failure reads no gate: blocking needs only the collection's sources", async () => {
    let gateReads = 0;
    const { deliver, notifier } = setup((real) =>
      Object.assign(Object.create(real) as PipelineGates, {
        pipelineGate: (name: string) => (gateReads++, real.pipelineGate(name)),
      }),
    );
    expect(await deliver(event('sync.failed', 'github', 'g1', '13:00:00'))).toEqual([
      { pipeline: 'analysis', decision: 'blocked' },
    ]);
    expect(notifier.alerts).toHaveLength(1);
    expect(gateReads).toBe(0);
  });

  it('a pipeline without a team alerts the default team', async () => {
    const { deliver, notifier, deps } = setup();
    deps.pipelines = [{ ...spec, team: undefined }];
    await deliver(event('sync.failed', 'github', 'g1', '13:00:00'));
    expect(notifier.alerts.map((a) => a.team)).toEqual(['default']);
  });

  it('a retry of the message whose earlier attempt still holds the block must be retried later', async () => {
    const { deliver, stores, notifier } = setup();
    const failure = event('sync.failed', 'github', 'g1', '13:00:00');
    await stores.recorder.advanceFreshness(failure);
    await stores.gates.blockPipeline(spec, 'g1', { message: 'msg_x', attempt: 'first' }, NOW.toISOString());
    const retry = deliver(failure, { message: 'msg_x', attempt: 'second' });
    await expect(retry).rejects.toThrow(ClaimBusyError);
    await expect(deliver(failure, { message: 'msg_x', attempt: 'third' })).rejects.toThrow(
      'the block of pipeline analysis by job g1 is held by an earlier attempt of this delivery; retry later',
    );
    expect(notifier.alerts).toEqual([]);
  });

  it('a block whose alert cannot be sent is undone, so the retry alerts', async () => {
    const { deliver, notifier, stores } = setup();
    const failure = event('sync.failed', 'github', 'g1', '13:00:00');
    notifier.failing.add('data');
    await expect(deliver(failure)).rejects.toThrow('topic of data unavailable');
    expect((await stores.gates.pipelineGate('analysis'))?.blocked_by).toBeNull();
    notifier.failing.clear();
    await deliver(failure);
    expect(notifier.alerts).toHaveLength(1);
  });

  it("an old failure redelivered after the source's newer success, or another job's, does not block", async () => {
    const { deliver, notifier } = setup();
    const old = event('sync.failed', 'github', 'g1', '13:00:00');
    await deliver(old);
    await deliver(event('sync.completed', 'github', 'g2', '13:10:00'));
    expect(await deliver(old)).toEqual([{ pipeline: 'analysis', decision: 'late-failure' }]);
    await deliver(event('sync.failed', 'github', 'g3', '13:20:00'));
    expect(await deliver(old)).toEqual([{ pipeline: 'analysis', decision: 'late-failure' }]);
    expect(notifier.alerts.map((a) => a.alert.alert_id)).toEqual([
      alertId('pipeline.blocked', 'analysis', 'g1'),
      alertId('pipeline.blocked', 'analysis', 'g3'),
    ]);
  });

  it("the failing source is found by its own key among the collection's sources", async () => {
    const { deliver, notifier } = setup();
    // `a-github` sorts before `sc-linear` and completed: the failure of linear is still linear's.
    await deliver(event('sync.completed', 'a-github', 'g1', '13:00:00', 'github'));
    expect(await deliver(event('sync.failed', 'linear', 'l1', '13:05:00'))).toEqual([
      { pipeline: 'analysis', decision: 'blocked' },
    ]);
    expect(notifier.alerts).toHaveLength(1);
  });

  it('a retired source neither blocks the pipeline nor counts towards it', async () => {
    const { deliver, stores, deps, starter, notifier } = setup();
    await stores.recorder.advanceFreshness(event('sync.completed', 'linear', 'l0', '13:00:00', 'linear'));
    // Two github connections: the retired one failed; the live one completes.
    const retired = event('sync.failed', 'old-github', 'g0', '13:01:00', 'github');
    await stores.recorder.advanceFreshness(retired);
    await new TableSourceRegistry(stores.table).retireSource(COLLECTION, 'sc-old-github', at('13:02:00'));
    expect(await advancePipelines(deps, retired, { message: 'm', attempt: 'a' }, NOW)).toEqual([
      { pipeline: 'analysis', decision: 'late-failure' },
    ]);
    expect(notifier.alerts).toEqual([]);
    expect((await deliver(event('sync.completed', 'github', 'g1', '13:05:00')))[0]?.decision).toBe('started');
    expect(starter.calls).toBe(1);
  });

  it('an earlier claim whose start was never confirmed is started first, under its own name and input', async () => {
    const { deliver, starter, stores } = setup();
    await deliver(event('sync.completed', 'github', 'g1', '13:00:00'));
    starter.failing = true;
    await expect(deliver(event('sync.completed', 'linear', 'l1', '13:10:00'))).rejects.toThrow(
      'states unavailable',
    );
    const claimed = await stores.gates.pipelineGate('analysis');
    expect(claimed?.confirmed_execution).toBeNull();
    starter.failing = false;
    // A repeated completion finds the claim consumed: it only finishes the unconfirmed start.
    expect(await deliver(event('sync.completed', 'linear', 'l1', '13:10:00'))).toEqual([
      { pipeline: 'analysis', decision: 'consumed' },
    ]);
    expect([...starter.executions.entries()]).toEqual([
      [claimed?.execution_name, { pipeline: 'analysis', input: claimed?.execution_input }],
    ]);
    expect((await stores.gates.pipelineGate('analysis'))?.confirmed_execution).toBe(claimed?.execution_name);
  });

  it("a completion reads the gate while it reads the collection's sources: one round trip, not two", async () => {
    // The sources' read answers only once the gate's read has started: were they issued one after the
    // other, this hangs.
    let gateRead!: () => void;
    const reading = new Promise<void>((resolve) => (gateRead = resolve));
    const { deps, stores, starter } = setup((real) =>
      Object.assign(Object.create(real) as PipelineGates, {
        pipelineGate: (name: string) => {
          gateRead();
          return real.pipelineGate(name);
        },
      }),
    );
    const watched = {
      ...deps,
      freshness: {
        ...stores.freshness,
        collectionFreshness: async (collection: string) => {
          await reading;
          return stores.freshness.collectionFreshness(collection);
        },
      },
    };
    const github = event('sync.completed', 'github', 'g1', '13:00:00');
    const linear = event('sync.completed', 'linear', 'l1', '13:10:00');
    await stores.recorder.advanceFreshness(github);
    await stores.recorder.advanceFreshness(linear);
    const [outcome] = await advancePipelines(watched, linear, { message: 'm', attempt: 'a' }, NOW);
    expect(outcome?.decision).toBe('started');
    expect(starter.calls).toBe(1);
  });

  it('gives up after 5 lost claim races in a row, starting nothing', async () => {
    let claims = 0;
    let gateReads = 0;
    const { deliver, starter } = setup((real) =>
      Object.assign(Object.create(real) as PipelineGates, {
        claimPipelineRun: async () => {
          claims++;
          return false;
        },
        pipelineGate: (name: string) => (gateReads++, real.pipelineGate(name)),
      }),
    );
    await deliver(event('sync.completed', 'github', 'g1', '13:00:00'));
    expect(await deliver(event('sync.completed', 'linear', 'l1', '13:10:00'))).toEqual([
      { pipeline: 'analysis', decision: 'lost-race' },
    ]);
    expect(claims).toBe(5);
    // github's delivery reads the gate once (waiting); linear's reads it beside the sources, then again
    // after each of its first 4 lost races.
    expect(gateReads).toBe(1 + 1 + 4);
    expect(starter.calls).toBe(0);
  });
});
