import type { FreshnessRule } from '../lambda/core/config';
import { currentPayload, httpEvent, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { parseBody, wire } from '../harness/stack';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

// NOW is 13:55; the rules give github 1h and slack 10 minutes.
const rules: FreshnessRule[] = [
  { collection: 'engineering-*', sourceType: 'github', maxAge: 3600 },
  { collection: '*', sourceType: 'slack', maxAge: 10 * 60 },
  { collection: '*', sourceType: 'slack', maxAge: 2 * 3600 },
];

const SOURCE_KEYS = [
  'source_connection_id',
  'source_type',
  'status',
  'last_success_at',
  'last_failure_at',
  'last_error',
  'age_seconds',
  'last_job_id',
  'running_since',
  'consecutive_failures',
  'max_age_seconds',
  // Reconciliation (issue 11): when the API last confirmed the source, how its last success became known,
  // and when it was retired (listed only with ?all=true).
  'verified_at',
  'last_success_origin',
  'retired_at',
].sort();

function at(time: string) {
  return `2026-04-23T${time}.000000Z`;
}

async function scenario() {
  const table = await engine.newTable();
  const { webhook, query } = wire(engine.client, table, { rules });
  const send = async (overrides: Parameters<typeof currentPayload>[0]) => {
    const response = await webhook(signedRequest(currentPayload(overrides)));
    expect(response.statusCode).toBe(200);
  };
  const source = (type: string) => ({ source_type: type, source_connection_id: `conn-${type}` });
  // github: succeeded 13:50, a new job running since 13:53 -> syncing
  await send({
    ...source('github'),
    sync_job_id: 'g1',
    event_type: 'sync.completed',
    timestamp: at('13:50:00'),
  });
  await send({
    ...source('github'),
    sync_job_id: 'g2',
    event_type: 'sync.running',
    timestamp: at('13:53:00'),
  });
  // slack: succeeded 13:30, older than its strictest SLA of 10 minutes -> stale
  await send({
    ...source('slack'),
    sync_job_id: 's1',
    event_type: 'sync.completed',
    timestamp: at('13:30:00'),
  });
  // linear: succeeded, then two failed jobs -> failed, two consecutive failures
  await send({
    ...source('linear'),
    sync_job_id: 'l1',
    event_type: 'sync.completed',
    timestamp: at('12:00:00'),
  });
  await send({
    ...source('linear'),
    sync_job_id: 'l2',
    event_type: 'sync.failed',
    timestamp: at('13:00:00'),
    error: 'rate limited',
  });
  await send({
    ...source('linear'),
    sync_job_id: 'l3',
    event_type: 'sync.failed',
    timestamp: at('13:40:00'),
    error: 'token expired',
  });
  // notion: succeeded, no SLA -> fresh
  await send({
    ...source('notion'),
    sync_job_id: 'n1',
    event_type: 'sync.completed',
    timestamp: at('09:00:00'),
  });
  // jira: only a cancelled job -> unknown
  await send({
    ...source('jira'),
    sync_job_id: 'j1',
    event_type: 'sync.cancelled',
    timestamp: at('13:00:00'),
  });
  // another collection, fresh only
  await send({
    ...source('github'),
    collection_readable_id: 'marketing-xyz',
    source_connection_id: 'conn-m',
    sync_job_id: 'm1',
    timestamp: at('13:54:00'),
  });
  return { query, send, source };
}

describe('GET /freshness', () => {
  it('applies the status rule to every source of a collection, with the exact contract', async () => {
    const { query } = await scenario();
    const response = await query(httpEvent('GET', '/freshness/engineering-context-ab123', {}));
    expect(response.statusCode).toBe(200);
    const body = parseBody(response) as {
      collection_readable_id: string;
      stale: boolean;
      sources: Array<Record<string, unknown>>;
    };
    expect(body.collection_readable_id).toBe('engineering-context-ab123');
    expect(body.stale).toBe(true);
    for (const source of body.sources) expect(Object.keys(source).sort()).toEqual(SOURCE_KEYS);
    const byType = Object.fromEntries(body.sources.map((s) => [s.source_type, s]));
    expect(byType.github).toMatchObject({
      status: 'syncing',
      last_success_at: at('13:50:00'),
      age_seconds: 300,
      last_job_id: 'g2',
      running_since: at('13:53:00'),
      max_age_seconds: 3600,
    });
    expect(byType.slack).toMatchObject({
      status: 'stale',
      age_seconds: 1500,
      max_age_seconds: 600,
      running_since: null,
    });
    expect(byType.linear).toMatchObject({
      status: 'failed',
      last_error: 'token expired',
      last_failure_at: at('13:40:00'),
      consecutive_failures: 2,
      last_job_id: 'l3',
    });
    expect(byType.notion).toMatchObject({ status: 'fresh', max_age_seconds: null, age_seconds: 17700 });
    expect(byType.jira).toMatchObject({ status: 'unknown', last_success_at: null, age_seconds: null });
  });

  it('lists every collection, each with its own stale flag', async () => {
    const { query } = await scenario();
    const body = parseBody(await query(httpEvent('GET', '/freshness', {}))) as {
      collections: Array<{ collection_readable_id: string; stale: boolean; sources: unknown[] }>;
    };
    expect(body.collections.map((c) => [c.collection_readable_id, c.stale, c.sources.length])).toEqual([
      ['engineering-context-ab123', true, 5],
      ['marketing-xyz', false, 1],
    ]);
  });

  it('a success after failures clears the failed status and the failure count', async () => {
    const { query, send, source } = await scenario();
    await send({
      ...source('linear'),
      sync_job_id: 'l4',
      event_type: 'sync.completed',
      timestamp: at('13:54:00'),
    });
    const body = parseBody(await query(httpEvent('GET', '/freshness/engineering-context-ab123', {}))) as {
      sources: Array<Record<string, unknown>>;
    };
    expect(body.sources.find((s) => s.source_type === 'linear')).toMatchObject({
      status: 'fresh',
      consecutive_failures: 0,
      last_error: 'token expired',
      last_success_at: at('13:54:00'),
    });
  });

  it('404 with a message for a collection with no events, 405 for other methods', async () => {
    const { query } = await scenario();
    const missing = await query(httpEvent('GET', '/freshness/nothing-here', {}));
    expect(missing.statusCode).toBe(404);
    expect(parseBody(missing).error).toMatch(/nothing-here/);
    expect((await query(httpEvent('POST', '/freshness', {}))).statusCode).toBe(405);
  });
});
