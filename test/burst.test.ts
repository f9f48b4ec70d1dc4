import type { PipelineSpec } from '../lambda/core/pipeline-gate';
import { currentPayload, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { RecordingStarter } from '../harness/recording-starter';
import { parseBody, wire } from '../harness/stack';

/**
 * The burst of docs/DESIGN.md's scale section, on the local engine: one collection whose 500 sources all
 * complete at once (a scheduled sync of every source at the top of the hour). Every delivery is recorded,
 * and a pipeline that requires all of them starts exactly once, although up to 500 gate evaluations race
 * on its gate item. A delivery answered with a 5xx is sent again, as Svix would.
 */
let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

const SOURCES = 500;
const COLLECTION = 'burst-collection';
const TYPES = ['github', 'slack', 'linear', 'notion'];
const source = (i: number) => ({
  id: `conn-${String(i).padStart(3, '0')}`,
  type: TYPES[i % TYPES.length] as string,
});

it('500 sources of one collection completing at once: none lost, each pipeline over them starts once', async () => {
  const table = await engine.newTable();
  // Two pipelines over the burst: one requiring two named connections (both complete in it), one requiring a
  // source type that 125 of the 500 connections share, with a cooldown: every one of those 125 completions
  // evaluates the gate and races for its claim.
  const pair: PipelineSpec = {
    name: 'pair',
    collection: COLLECTION,
    requires: [source(10).id, source(490).id],
    window: 30 * 60,
  };
  const everyGithub: PipelineSpec = {
    name: 'every-github',
    collection: COLLECTION,
    requires: ['github'],
    window: 30 * 60,
    cooldown: 3600,
  };
  const starter = new RecordingStarter();
  const { webhook, stores } = wire(engine.client, table, { pipelines: [pair, everyGithub], starter });
  const completion = (i: number) =>
    signedRequest(
      currentPayload({
        source_connection_id: source(i).id,
        source_type: source(i).type,
        collection_readable_id: COLLECTION,
        sync_job_id: `job-${source(i).id}`,
        // All within one second, as a scheduled sync of every source finishes.
        timestamp: `2026-04-23T13:50:00.${String(i).padStart(3, '0')}000Z`,
      }),
      { id: `msg_${source(i).id}` },
    );

  const answers = await Promise.all(
    Array.from({ length: SOURCES }, async (_, i) => {
      // A 5xx is retried, as Svix would; anything else is the final answer.
      for (let attempt = 1; ; attempt++) {
        const response = await webhook(completion(i));
        if ((response.statusCode ?? 500) < 500 || attempt === 5) return response;
      }
    }),
  );

  expect(answers.map((a) => a.statusCode)).toEqual(Array.from({ length: SOURCES }, () => 200));
  const items = await engine.scan(table);
  expect(items.filter((i) => i.entity === 'event')).toHaveLength(SOURCES);
  const freshness = await stores.freshness.collectionFreshness(COLLECTION);
  expect(freshness).toHaveLength(SOURCES);
  expect(freshness.every((f) => f.last_success_at !== null && f.latest_state === 'completed')).toBe(true);
  // Each pipeline ran exactly once.
  expect(starter.inputs('pair')).toHaveLength(1);
  expect(starter.inputs('every-github')).toHaveLength(1);
  expect(starter.executions.size).toBe(2);
  // A Svix retry of one completion afterwards: a duplicate, and nothing starts again.
  expect(parseBody(await webhook(completion(10)))).toEqual({ result: 'duplicate' });
  expect(starter.executions.size).toBe(2);
}, 180_000);
