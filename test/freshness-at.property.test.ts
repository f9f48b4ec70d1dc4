import fc from 'fast-check';
import type { FreshnessRule } from '../lambda/core/config';
import type { CollectionFreshness, SourceFreshness } from '../lambda/core/freshness';
import type { CollectionFreshnessAt, SourceFreshnessAt } from '../lambda/core/freshness-at';
import { currentPayload, httpEvent, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { parseBody, wire } from '../harness/stack';
import { stampFailureIndex } from '../local/engine';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

const rules: FreshnessRule[] = [
  { collection: '*', sourceType: 'github', maxAge: 30 * 60 },
  { collection: '*', sourceType: 'slack', maxAge: 2 * 3600 },
];
const START = Date.UTC(2026, 3, 23, 12, 0, 0);
const SOURCES = ['github', 'slack'] as const;
const TERMINALS = ['sync.completed', 'sync.failed', 'sync.cancelled'] as const;

interface Delivery {
  readonly payload: ReturnType<typeof currentPayload>;
  readonly id: string;
  /** When the stack received it, in milliseconds: the event's time plus the delivery's delay. */
  readonly received: number;
}

/** A job's transitions a minute apart; a unique microsecond per job keeps event times distinct. */
const job = (source: number, index: number) =>
  fc
    .record({
      cancelling: fc.boolean(),
      terminals: fc.subarray([...TERMINALS], { minLength: 0, maxLength: 1 }),
      start: fc.integer({ min: 0, max: 60 }),
      delays: fc.array(fc.integer({ min: 0, max: 90 * 60 }), { minLength: 5, maxLength: 5 }),
    })
    .map(({ cancelling, terminals, start, delays }) => {
      const types = [
        'sync.pending',
        'sync.running',
        ...(cancelling ? ['sync.cancelling'] : []),
        ...terminals,
      ];
      const base = START + (index * 15 * 60 + start * 30) * 1000;
      return types.map((event_type, step) => {
        const eventMs = base + step * 60_000;
        return {
          payload: currentPayload({
            event_type,
            source_type: SOURCES[source],
            source_connection_id: `conn-${SOURCES[source]}`,
            sync_job_id: `${SOURCES[source]}-${index}`,
            timestamp: new Date(eventMs).toISOString().replace('Z', `${source}${index}0Z`),
            error: event_type === 'sync.failed' ? `error of job ${index}` : null,
          }),
          eventMs,
          delay: (delays[step] as number) * 1000,
        };
      });
    });

const sourceHistory = (source: number) =>
  fc
    .integer({ min: 1, max: 4 })
    .chain((jobs) => fc.tuple(...Array.from({ length: jobs }, (_, i) => job(source, i))));

/** Random histories of two sources, delivered late by up to 90 minutes each, some of them twice. */
const scenario = fc
  .tuple(
    sourceHistory(0),
    fc.option(sourceHistory(1), { nil: undefined }),
    fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.integer({ min: 1, max: 3600 })), { maxLength: 5 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    // A table created with the failure index, or one whose failure index is not relied on (older tables).
    fc.boolean(),
  )
  .map(([first, second, repeats, pick, indexed]) => {
    const events = [...first.flat(), ...(second ?? []).flat()];
    const originals: Delivery[] = events.map((e, i) => ({
      payload: e.payload,
      id: `msg_${i}`,
      received: e.eventMs + e.delay,
    }));
    // Svix retries (same svix-id) and Airweave re-publishing a transition (new id), received later.
    const again: Delivery[] = repeats.map(([n, newId, later]) => {
      const original = originals[n % originals.length] as Delivery;
      return {
        ...original,
        id: newId ? `${original.id}_again` : original.id,
        received: original.received + later * 1000,
      };
    });
    const deliveries = [...originals, ...again].sort((a, b) => a.received - b.received);
    const earliest = Math.min(...events.map((e) => e.eventMs)) - 10 * 60_000;
    const last = (deliveries.at(-1) as Delivery).received;
    // T anywhere from before the first event to the last delivery, to the millisecond.
    return { deliveries, at: Math.floor(earliest + pick * (last - earliest)), end: last + 60_000, indexed };
  });

async function feed(deliveries: readonly Delivery[], indexed = false) {
  const table = await engine.newTable();
  if (indexed) await stampFailureIndex(engine.client, table);
  let clock = new Date(START);
  const stack = wire(engine.client, table, { rules, now: () => clock });
  for (const d of deliveries) {
    clock = new Date(d.received);
    const response = await stack.webhook(
      signedRequest(d.payload, { id: d.id, timestamp: Math.floor(d.received / 1000) }),
    );
    if (response.statusCode !== 200) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
  }
  return {
    setClock: (ms: number) => (clock = new Date(ms)),
    get: async (path: string, at?: string) => {
      const event = httpEvent('GET', path, {});
      const response = await stack.query(
        at === undefined ? event : { ...event, queryStringParameters: { at } },
      );
      if (response.statusCode !== 200) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
      return parseBody(response);
    },
  };
}

/** The live view's fields of an as-of source. */
function liveFields(
  source: SourceFreshnessAt | SourceFreshness | undefined,
  like: SourceFreshness,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(like).map((k) => [k, (source as unknown as Record<string, unknown> | undefined)?.[k]]),
  );
}

function bySource<T extends { source_type: string }>(collections: ReadonlyArray<{ sources: readonly T[] }>) {
  return new Map(collections.flatMap((c) => c.sources.map((s) => [s.source_type, s] as const)));
}

describe('freshness at T, against a stack replayed up to T', () => {
  it("what the stack was told at T is the live view of a fresh stack fed exactly the deliveries received by T; what was true is the live view of one fed every event of T's past", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ deliveries, at, end, indexed }) => {
        const atText = new Date(at).toISOString();
        // The stored form: six fraction digits, so it compares with event times as text.
        const normalizedAt = atText.replace('Z', '000Z');
        const full = await feed(deliveries, indexed);
        full.setClock(end);
        const asOf = bySource(
          ((await full.get('/freshness', atText)) as unknown as { collections: CollectionFreshnessAt[] })
            .collections,
        );

        // What an agent asking at T was told: a fresh stack, fed the deliveries received by T in order.
        const told = await feed(deliveries.filter((d) => d.received <= at));
        told.setClock(at);
        const live = bySource(
          ((await told.get('/freshness')) as unknown as { collections: CollectionFreshness[] }).collections,
        );
        const toldAsOf = new Map(
          [...asOf]
            .filter(([, s]) => s.reason === undefined && s.as_known_at_t !== null)
            .map(([type, s]) => [type, s.as_known_at_t ?? s]),
        );
        expect([...toldAsOf.keys()].sort()).toEqual([...live.keys()].sort());
        for (const [type, view] of live) expect(liveFields(toldAsOf.get(type), view)).toEqual(view);
        // known_at_t says exactly whether every deciding event had arrived by T.
        const sources = [...asOf.values()];
        expect(sources.map((s) => s.known_at_t)).toEqual(
          sources.map((s) => s.evidence.every((e) => e.received_at <= normalizedAt)),
        );

        // What was true: a fresh stack fed every event that happened by T (whenever it was received).
        const truth = await feed(deliveries.filter((d) => d.payload.timestamp <= normalizedAt));
        truth.setClock(at);
        const happened = bySource(
          ((await truth.get('/freshness')) as unknown as { collections: CollectionFreshness[] }).collections,
        );
        const trueAsOf = new Map([...asOf].filter(([, s]) => s.reason === undefined));
        expect([...trueAsOf.keys()].sort()).toEqual([...happened.keys()].sort());
        for (const [type, view] of happened) expect(liveFields(trueAsOf.get(type), view)).toEqual(view);
      }),
      { numRuns: 10 },
    );
  }, 600_000);
});
