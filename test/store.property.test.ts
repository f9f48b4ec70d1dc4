import fc from 'fast-check';
import { DynamoSourceRegistry } from '../lambda/adapters/dynamo-source-registry';
import { dynamoStores, memoryStores } from '../lambda/adapters/store';
import { TableSourceRegistry } from '../lambda/adapters/store/source-registry';
import { classifyPayload, type SyncEvent } from '../lambda/core/events';
import { LIFECYCLE_EVENT_TYPES } from '../lambda/core/job-state';
import type { Claimant } from '../lambda/core/claims';
import type { Stores } from '../lambda/core/ports';
import type { SourceRegistry } from '../lambda/core/reconcile';
import { currentPayload } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

const JOBS = ['job-0', 'job-1', 'job-2'];
const SOURCES = ['src-a', 'src-b'];
// Two attempts of one message and one of another: a claim is the attempt's, its standoff the message's.
const CLAIMANTS = [
  { message: 'msg_1', attempt: 'a1' },
  { message: 'msg_1', attempt: 'a2' },
  { message: 'msg_2', attempt: 'a3' },
];
const TEAMS = ['platform', 'data'];
/** Few distinct times, so equal event times (the tie-breaks) come up often. */
const at = (minute: number) => `2026-04-23T13:0${minute}:00.000000Z`;
const nowAt = (second: number) => `2026-04-23T14:00:${String(second * 12).padStart(2, '0')}.000Z`;
const spec = { name: 'analysis', collection: 'coll' };

function lifecycle(job: number, type: number, minute: number): SyncEvent {
  const classified = classifyPayload(
    JSON.stringify(
      currentPayload({
        event_type: LIFECYCLE_EVENT_TYPES[type] as string,
        sync_job_id: JOBS[job] as string,
        source_connection_id: SOURCES[job % 2] as string,
        collection_readable_id: 'coll',
        timestamp: at(minute),
        error: `error ${job}/${minute}`,
      }),
    ),
  );
  if (classified.kind !== 'lifecycle') throw new Error('the fixture is not a lifecycle event');
  return classified.event;
}

const index = (n: number) => fc.nat({ max: n - 1 });
const event = fc
  .tuple(index(JOBS.length), index(LIFECYCLE_EVENT_TYPES.length), fc.nat({ max: 3 }))
  .map(([job, type, minute]) => lifecycle(job, type, minute));

/** Every port, and the source registry (reconciliation and the source lifecycle) on the same table. */
type Ports = Stores & { readonly registry: SourceRegistry };
type Operation = { name: string; run: (stores: Ports) => Promise<unknown> };
const op = (name: string, run: Operation['run']): Operation => ({ name, run });

/** The source registry's writes and reads, on the same sources and jobs as the events above. */
const registryOperation: fc.Arbitrary<Operation> = fc.oneof(
  fc.tuple(index(SOURCES.length), fc.nat({ max: 3 })).map(([src, minute]) =>
    op(`register ${src} ${minute}`, (s) =>
      s.registry.registerSource(
        {
          collection_readable_id: 'coll',
          collection_name: 'Coll',
          collection_id: null,
          source_connection_id: SOURCES[src] as string,
          source_type: 'github',
          source_key: SOURCES[src] as string,
        },
        at(minute),
      ),
    ),
  ),
  fc
    .tuple(fc.boolean(), index(SOURCES.length), fc.nat({ max: 3 }))
    .map(([retire, src, minute]) =>
      op(`${retire ? 'retire' : 'verify'} ${src} ${minute}`, (s) =>
        retire
          ? s.registry.retireSource('coll', SOURCES[src] as string, at(minute))
          : s.registry.markVerified('coll', SOURCES[src] as string, at(minute)),
      ),
    ),
  fc
    .subarray([...JOBS, 'job-unknown'])
    .map((jobs) => op(`recorded states ${jobs.join('+')}`, (s) => s.registry.recordedStates(jobs))),
  fc
    .tuple(index(SOURCES.length), index(JOBS.length))
    .map(([src, job]) =>
      op(`previous job ${src} ${job}`, (s) =>
        s.registry.previousJob(SOURCES[src] as string, JOBS[job] as string),
      ),
    ),
  fc
    .tuple(fc.boolean(), fc.nat({ max: 3 }))
    .map(([open, minute]) =>
      op(`${open ? 'open' : 'close'} notice`, (s) =>
        open ? s.registry.openNotice('unauthorized', at(minute)) : s.registry.closeNotice('unauthorized'),
      ),
    ),
);

/** Every write of every port, with arguments drawn from small pools so they collide. */
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 3,
    arbitrary: event.map((e) =>
      op(`audit ${e.sync_job_id} ${e.state}`, (s) =>
        s.recorder.putAuditEvent(e, { id: `m-${e.state}`, receivedAt: e.timestamp }),
      ),
    ),
  },
  {
    weight: 6,
    arbitrary: event.map((e) =>
      op(
        `job ${e.sync_job_id} ${e.state} ${e.timestamp}`,
        async (s) => (await s.recorder.advanceJob(e)) !== undefined,
      ),
    ),
  },
  {
    weight: 6,
    arbitrary: event.map((e) =>
      op(`freshness ${e.source_key} ${e.state} ${e.timestamp}`, (s) => s.recorder.advanceFreshness(e)),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(index(JOBS.length), index(CLAIMANTS.length), fc.nat({ max: 4 }))
      .map(([j, c, n]) =>
        op(`claim alert ${j} ${c} ${n}`, (s) =>
          s.ledger.claimFailureAlert(JOBS[j] as string, CLAIMANTS[c] as Claimant, nowAt(n)),
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        index(JOBS.length),
        index(CLAIMANTS.length),
        fc.subarray(TEAMS),
        fc.boolean(),
        fc.nat({ max: 4 }),
      )
      .map(([j, c, teams, complete, n]) =>
        op(`settle alert ${j} ${c} ${teams.join('+')} ${complete}`, (s) =>
          s.ledger.settleFailureAlert(JOBS[j] as string, CLAIMANTS[c] as Claimant, teams, complete, nowAt(n)),
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.boolean(),
        index(SOURCES.length),
        fc.constantFrom('stale' as const, 'stuck' as const),
        fc.constantFrom('e1', 'e2'),
      )
      .map(([open, src, kind, episode]) =>
        op(`${open ? 'open' : 'close'} ${kind} ${src} ${episode}`, (s) =>
          (open ? s.ledger.openEpisode : s.ledger.closeEpisode).call(
            s.ledger,
            'coll',
            SOURCES[src] as string,
            kind,
            episode,
          ),
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 4 })).map(([version, n]) =>
      op(`claim run v${version}`, (s) =>
        s.gates.claimPipelineRun(spec, version, {
          executionName: `analysis-${version + 1}`,
          input: '{}',
          consumed: {
            github: {
              source_connection_id: 'g',
              source_type: 'github',
              job_id: 'j',
              completed_at: at(n % 4),
            },
          },
          now: nowAt(n),
        }),
      ),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .nat({ max: 2 })
      .map((v) => op(`confirm run ${v}`, (s) => s.gates.confirmPipelineRun(spec.name, `analysis-${v}`))),
  },
  { weight: 4, arbitrary: registryOperation },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('block', 'confirm', 'unblock'),
        index(JOBS.length),
        index(CLAIMANTS.length),
        fc.nat({ max: 4 }),
      )
      .map(([what, j, c, n]) =>
        op(`${what} ${j} ${c} ${n}`, (s) =>
          what === 'block'
            ? s.gates.blockPipeline(spec, JOBS[j] as string, CLAIMANTS[c] as Claimant, nowAt(n))
            : what === 'confirm'
              ? s.gates.confirmPipelineBlocked(spec.name, JOBS[j] as string)
              : s.gates.unblockPipeline(spec.name, JOBS[j] as string),
        ),
      ),
  },
);

/** What every read model returns, for comparison. */
async function reads(stores: Stores) {
  const history = { collection: 'coll', limit: 5 };
  return {
    all: await stores.freshness.allFreshness(),
    collection: await stores.freshness.collectionFreshness('coll'),
    jobs: await stores.reads.jobs(history),
    events: await stores.reads.events({ ...history, source: 'src-a', since: at(1) }),
    job: await stores.reads.job('job-0'),
    pipeline: await stores.reads.pipeline(spec.name),
    gate: await stores.gates.pipelineGate(spec.name),
    // Page cursors are each store's own; the events on the pages must agree.
    history: (
      await stores.history.sourceHistory({ collection: 'coll', sourceKey: 'src-a', until: at(2), limit: 3 })
    ).events,
    collectionHistory: (
      await stores.history.collectionHistory({ collection: 'coll', until: at(2), limit: 4 })
    ).events,
    // The sparse failure index: only failures, in event time order, with what it projects.
    failures: (await stores.history.failures({ collection: 'coll', from: '', until: at(3), limit: 3 }))
      .entries,
    first: await stores.history.firstEvent('coll', 'src-b'),
    audit: (
      await stores.history.auditEvents([
        { jobId: 'job-1', eventType: 'sync.failed' },
        { jobId: 'job-0', eventType: 'sync.running' },
      ])
    ).sort((a, b) => a.event_type.localeCompare(b.event_type)),
  };
}

const byKey = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  `${String(a.pk)} ${String(a.sk)}`.localeCompare(`${String(b.pk)} ${String(b.sk)}`);

describe('the DynamoDB adapter and the in-memory store obey the same rules', () => {
  it('the same random history of writes gives the same answers, the same items and the same reads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 30 }), async (operations) => {
        const table = await engine.newTable();
        const dynamo: Ports = {
          ...dynamoStores(engine.client, { tableName: table, retentionDays: 30 }),
          registry: new DynamoSourceRegistry(engine.client, table),
        };
        const stores = memoryStores({ retentionDays: 30 });
        const memory: Ports & { table: typeof stores.table } = {
          ...stores,
          registry: new TableSourceRegistry(stores.table),
        };
        for (const { name, run } of operations) {
          const [expected, actual] = [await run(memory), await run(dynamo)];
          expect({ name, answer: actual }).toEqual({ name, answer: expected });
        }
        expect((await engine.scan(table)).sort(byKey)).toEqual(memory.table.items().sort(byKey));
        expect(await reads(dynamo)).toEqual(await reads(memory));
      }),
      { numRuns: 25 },
    );
  }, 300_000);
});
