import fc from 'fast-check';
import { sourceFreshness } from '../lambda/core/freshness';
import { toFreshnessRecord } from '../lambda/core/freshness-record';
import { currentPayload, NOW, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { wire } from '../harness/stack';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

const TERMINALS = ['sync.completed', 'sync.failed', 'sync.cancelled'] as const;

/**
 * One job's transitions at increasing times: pending, running, maybe cancelling, then at most one
 * terminal state (or, rarely, a second one, as a misbehaving sender might publish).
 */
const job = (index: number) =>
  fc
    .record({
      cancelling: fc.boolean(),
      terminals: fc.subarray([...TERMINALS], { minLength: 0, maxLength: 2 }),
      start: fc.integer({ min: 0, max: 50 }),
    })
    .map(({ cancelling, terminals, start }) => {
      const types = [
        'sync.pending',
        'sync.running',
        ...(cancelling ? ['sync.cancelling'] : []),
        ...terminals,
      ];
      // Jobs may overlap in time: job i starts at minute 10*i + start/10.
      const base = Date.UTC(2026, 3, 23, 12, 0, 0) + (index * 10 * 60 + start * 6) * 1000;
      return types.map((event_type, step) =>
        currentPayload({
          event_type,
          sync_job_id: `job-${index}`,
          timestamp: new Date(base + step * 60_000).toISOString().replace('Z', '123Z'),
          error: event_type === 'sync.failed' ? `error of job ${index}` : null,
        }),
      );
    });

const history = fc
  .integer({ min: 1, max: 3 })
  .chain((jobs) => fc.tuple(...Array.from({ length: jobs }, (_, i) => job(i))));

type Delivery = { payload: ReturnType<typeof currentPayload>; id: string };

async function deliver(deliveries: Delivery[]) {
  const table = await engine.newTable();
  const { webhook } = wire(engine.client, table);
  for (const { payload, id } of deliveries) {
    const response = await webhook(signedRequest(payload, { id }));
    if (response.statusCode !== 200) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
  }
  const items = await engine.scan(table);
  // Alert bookkeeping is left out: when a sender reports two terminal states for one job, an alert sent
  // on the only one known at the time cannot be unsent; the job's own record still converges.
  const jobs = items
    .filter((i) => i.entity === 'job')
    .map(({ alert_sent_at: _sent, alerted_teams: _teams, ...job }) => job)
    .sort((a, b) => String(a.pk).localeCompare(String(b.pk)));
  const freshness = items.filter((i) => i.entity === 'freshness').map(toFreshnessRecord);
  return {
    jobs,
    // The failure log may keep already-resolved entries depending on order; what it means must not differ.
    freshness: freshness.map(({ failure_log: _log, ...record }) => record),
    view: freshness.map((record) => sourceFreshness(record, [{ collection: '*', maxAge: 86400 }], NOW)),
    auditCount: items.filter((i) => i.entity === 'event').length,
  };
}

describe('order and repetition do not matter', () => {
  it('any order, any repetition, old or new svix-ids: same job, freshness and audit as one in-order delivery', async () => {
    await fc.assert(
      fc.asyncProperty(
        history,
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 8 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        async (jobs, repeats, keys) => {
          const inOrder: Delivery[] = jobs
            .flat()
            .sort((a, b) => a.timestamp.localeCompare(b.timestamp))
            .map((payload, i) => ({ payload, id: `msg_${i}` }));
          const repeated = repeats.map(([pick, newId]) => {
            const original = inOrder[pick % inOrder.length] as Delivery;
            return { payload: original.payload, id: newId ? `${original.id}_again` : original.id };
          });
          const ordering = keys.take(inOrder.length + repeated.length);
          const shuffled = [...inOrder, ...repeated]
            .map((delivery) => ({ delivery, key: ordering.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map(({ delivery }) => delivery);

          const expected = await deliver(inOrder);
          const actual = await deliver(shuffled);
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
    // 60 histories against the engine: about 30 s alone, several times that on a machine shared by many runs.
  }, 300_000);
});
