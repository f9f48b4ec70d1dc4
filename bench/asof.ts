/**
 * Freshness at T (issue 12) on the local engine: one collection of 100 sources with 1,000 audit events
 * each, asked as of several times. The shipped rebuild reads the collection's partition newest first from
 * T, each source's latest failure from the failure index and the events it names in one batch, and stops
 * once the answer is determined; next to it, in the same run, the same answer read source by source (the
 * previous design, and the fallback for the few sources a collection read leaves undecided) and by reading
 * every event at or before T (what a rebuild without the stopping rule would cost). Run alone with
 * `npx tsx bench/asof.ts`; `npm run bench` includes it.
 */
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { performance } from 'node:perf_hooks';
import { dynamoStores, memoryStores } from '../lambda/adapters/store';
import { toWire } from '../lambda/adapters/store/dynamo-table';
import type { FreshnessRule } from '../lambda/core/config';
import type { SyncEvent } from '../lambda/core/events';
import { collectionFreshnessAt, type FreshnessAtDeps } from '../lambda/core/freshness-at';
import { stateOf, type LifecycleEventType } from '../lambda/core/job-state';
import { sourceKey } from '../lambda/core/table-schema';
import { fromDate } from '../lambda/core/timestamp';
import { LOCAL } from '../local/defaults';
import { ensureTable, localDynamoClient, startEngineProcess } from '../local/engine';
import { answerJson, aroundTheWire } from '../harness/wire';

const COLLECTION = 'bench-asof';
const TYPES = ['github', 'slack', 'linear', 'notion'];
const RULES: FreshnessRule[] = [{ collection: '*', maxAge: 6 * 3600 }];
const RETENTION_DAYS = 400;

/** A small deterministic generator: the same history on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * One source's history, newest job ending near `now`: a job every two hours (pending, running, then
 * completed 90%, failed 8%, cancelled 2%), received within seconds, one in a hundred an hour late.
 */
function history(source: number, events: number, now: number) {
  const next = random(source + 1);
  const type = TYPES[source % TYPES.length] as string;
  const connection = `bench-source-${String(source).padStart(3, '0')}`;
  const jobs = Math.ceil(events / 3);
  const out: Array<{ event: SyncEvent; id: string; receivedAt: string }> = [];
  for (let j = 0; j < jobs && out.length < events; j++) {
    const start = now - (jobs - j) * 2 * 3_600_000 + Math.floor(next() * 600_000);
    const roll = next();
    const outcome: LifecycleEventType =
      roll < 0.9 ? 'sync.completed' : roll < 0.98 ? 'sync.failed' : 'sync.cancelled';
    const steps: Array<[LifecycleEventType, number]> = [
      ['sync.pending', start],
      ['sync.running', start + 60_000],
      [outcome, start + 60_000 + Math.floor(300_000 + next() * 1_500_000)],
    ];
    for (const [type_, at] of steps) {
      if (out.length >= events) break;
      const job = `${connection}-job-${j}`;
      const late = next() < 0.01 ? 3_600_000 : Math.floor(next() * 5_000);
      out.push({
        event: {
          event_type: type_,
          state: stateOf(type_),
          timestamp: fromDate(new Date(at)),
          sync_job_id: job,
          sync_id: null,
          organization_id: null,
          collection_readable_id: COLLECTION,
          collection_id: null,
          collection_name: 'Bench',
          source_connection_id: connection,
          source_type: type,
          source_key: sourceKey(connection, type),
          entities_inserted: 0,
          entities_updated: 0,
          entities_deleted: 0,
          entities_skipped: 0,
          chunks_written: 0,
          error: type_ === 'sync.failed' ? 'bench failure' : null,
          payload_format: 'current',
          origin: 'webhook',
        },
        id: `msg_${job}_${type_}`,
        receivedAt: fromDate(new Date(Math.min(at + late, now))),
      });
    }
  }
  return out;
}

/**
 * The table as the webhook would have left it: every event through the real recorder (audit item, job,
 * freshness) on the in-memory table, then copied to the engine in batches, which is far faster than
 * 300,000 conditional writes and gives the same items.
 */
export async function load(
  client: DynamoDBClient,
  tableName: string,
  sources: number,
  events: number,
  now: number,
) {
  const memory = memoryStores({ retentionDays: RETENTION_DAYS });
  for (let s = 0; s < sources; s++)
    for (const { event, id, receivedAt } of history(s, events, now)) {
      await memory.recorder.putAuditEvent(event, { id, receivedAt });
      await memory.recorder.advanceJob(event);
      await memory.recorder.advanceFreshness(event);
    }
  const items = memory.table.items().map(toWire);
  const batches: Array<typeof items> = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        let requests = (batches[next++] as typeof items).map((Item) => ({ PutRequest: { Item } }));
        while (requests.length > 0) {
          const out = await client.send(
            new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }),
          );
          requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
        }
      }
    }),
  );
  return items.length;
}

/**
 * DynamoDB calls and items read (ScannedCount, 1 per item a GetItem returned, each item a BatchGetItem
 * returned), counted on the client's HTTP handler.
 */
function countCalls(client: DynamoDBClient) {
  const counts = { calls: 0, items: 0 };
  aroundTheWire(client, async (_call, send) => {
    const response = await send();
    const output = (await answerJson(response)) as {
      ScannedCount?: number;
      Item?: unknown;
      Responses?: Record<string, unknown[]>;
    };
    counts.calls++;
    counts.items +=
      output.ScannedCount ??
      (output.Item ? 1 : 0) + Object.values(output.Responses ?? {}).reduce((n, items) => n + items.length, 0);
    return response;
  });
  return counts;
}

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

export async function asOfFreshness(
  options: { sources?: number; events?: number; rounds?: number } = {},
): Promise<string[]> {
  const sources = options.sources ?? Number(process.env.ASOF_SOURCES ?? 100);
  const events = options.events ?? Number(process.env.ASOF_EVENTS ?? 1000);
  const rounds = options.rounds ?? Number(process.env.ASOF_ROUNDS ?? 11);
  const engine = await startEngineProcess({ host: LOCAL.host, port: 0 });
  const client = localDynamoClient(engine.endpoint);
  try {
    const tableName = 'bench-asof';
    await ensureTable(client, tableName);
    const now = Date.now();
    const loadStarted = performance.now();
    const items = await load(client, tableName, sources, events, now);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const counts = countCalls(client);
    const stores = dynamoStores(client, { tableName, retentionDays: RETENTION_DAYS });
    const deps: FreshnessAtDeps = {
      freshness: stores.freshness,
      history: stores.history,
      rules: RULES,
      retentionDays: RETENTION_DAYS,
      now: () => new Date(now),
    };
    // Source by source, as before the collection read (and as its fallback reads the few it leaves open).
    const bySource: FreshnessAtDeps = { ...deps, bySource: true };
    // Reading every event at or before T: one page as large as a Query allows (1 MB) and on.
    const whole: FreshnessAtDeps = { ...deps, bySource: true, firstPage: 10_000 };
    const measure = async (d: FreshnessAtDeps, at: string, times_ = rounds) => {
      const times: number[] = [];
      let calls = 0;
      let read = 0;
      let answer = '';
      for (let r = 0; r < times_; r++) {
        counts.calls = 0;
        counts.items = 0;
        const started = performance.now();
        answer = JSON.stringify(await collectionFreshnessAt(d, COLLECTION, at));
        times.push(performance.now() - started);
        calls = counts.calls;
        read = counts.items;
      }
      return { p50: quantile(times, 0.5), p90: quantile(times, 0.9), calls, read, answer };
    };
    const rows: string[] = [];
    const budget: number[] = [];
    const differing: string[] = [];
    // The history spans a job every two hours: ask at its end, its middle, and near its start.
    const span = Math.ceil(events / 3) * 2 * 3_600_000;
    for (const [label, agoMs] of [
      ['now (end of history)', 0],
      ['middle of history', span / 2],
      ['near its start', span * 0.9],
    ] as const) {
      const at = fromDate(new Date(now - agoMs));
      // One after the other at each T, so all see about the same machine load. Reading everything takes
      // seconds a round: three rounds of it are enough to price it.
      const shipped = await measure(deps, at);
      const sources_ = await measure(bySource, at);
      const full = await measure(whole, at, Math.min(rounds, 3));
      budget.push(shipped.p50);
      if (shipped.answer !== sources_.answer || shipped.answer !== full.answer) differing.push(label);
      const count = (n: number) => n.toLocaleString('en-US');
      rows.push(
        `| ${label} | ${ms(shipped.p50)} | ${ms(shipped.p90)} | ${shipped.calls} | ${count(shipped.read)} | ${ms(sources_.p50)} | ${sources_.calls} | ${count(sources_.read)} | ${ms(full.p50)} | ${count(full.read)} | ${(sources_.p50 / shipped.p50).toFixed(1)}x |`,
      );
    }
    const worst = Math.max(...budget);
    return [
      '## Freshness at T',
      '',
      `One collection of ${sources} sources with ${events.toLocaleString('en-US')} audit events each (${items.toLocaleString('en-US')} items with jobs and freshness, loaded in ${loadSeconds.toFixed(0)} s), on the local engine in its own process; \`GET /freshness/{collection}?at=T\`'s use case, ${rounds} rounds per T (3 for the whole history). "By collection" is the shipped rebuild: the collection's partition newest first from T (a first page of 5 events a source, then doubling), each source's latest failure from the failure index, the events those name read by key in one batch, and the few sources left undecided read one by one. "By source" is the previous design (each source's own partition, pages of 24 then doubling, 32 sources at a time); "whole history" reads every event at or before T. All three give the same answer; calls and items are per collection, and items count index entries and items read by key.`,
      '',
      '| T | by collection p50 | p90 | calls | items | by source p50 | calls | items | whole history p50 | items | by source / by collection |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `Budget: p50 per collection under 200 ms: ${worst < 200 ? 'met' : 'NOT met'} (worst p50 ${ms(worst)}). The three reads give the same answer, evidence included: ${differing.length === 0 ? 'yes, at every T' : `NO, at ${differing.join(', ')}`}.`,
    ];
  } finally {
    client.destroy();
    await engine.stop();
  }
}

if (require.main === module)
  asOfFreshness().then(
    (lines) => console.log(lines.join('\n')),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
