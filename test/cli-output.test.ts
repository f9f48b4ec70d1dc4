import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildPayload } from '../cli/commands/send';
import { dynamoStores } from '../lambda/adapters/store';
import { classifyPayload } from '../lambda/core/events';
import { LOCAL } from '../local/defaults';
import { ensureTable } from '../local/engine';
import { type Engine, startEngine } from './helpers/engine';

/**
 * The compiled command line as a process whose output goes through a pipe to a slow reader, over more
 * events than one DynamoDB page holds (a Query page stops at 1 MB, about a thousand audit events).
 */
const ROOT = path.join(__dirname, '..');
const TOTAL = 10_000;
let engine: Engine;

beforeAll(async () => {
  engine = await startEngine();
  await ensureTable(engine.client, LOCAL.tableName);
  const stores = dynamoStores(engine.client, { tableName: LOCAL.tableName, retentionDays: 30 });
  const base = Date.parse('2026-11-30T08:00:00Z');
  const record = async (i: number) => {
    const at = new Date(base + i * 1000);
    const classified = classifyPayload(
      JSON.stringify(
        buildPayload(
          { collection: 'bulk', sourceType: 'github', job: `job-${i}`, timestamp: at.toISOString() },
          at,
        ),
      ),
    );
    if (classified.kind !== 'lifecycle') throw new Error(`seed event ${i} is ${classified.kind}`);
    await stores.recorder.putAuditEvent(classified.event, { id: `msg_${i}`, receivedAt: at.toISOString() });
  };
  // Twenty writers at a time: the engine is the bottleneck, not the test.
  for (let next = 0; next < TOTAL; next += 20)
    await Promise.all(Array.from({ length: Math.min(20, TOTAL - next) }, (_, j) => record(next + j)));
}, 600_000);
afterAll(() => engine.stop());

/** Runs `sync-events` with its stdout on a pipe that is not read for the first half second. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'cli', 'sync-events.js'), ...args, '--local', '--endpoint', engine.endpoint],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 500);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr }));
  });
}

describe('complete output', () => {
  it('pipes all 10,000 events of audit --json to a slow reader, and says nothing is left', async () => {
    const { code, stdout, stderr } = await cli(
      'audit',
      '--collection',
      'bulk',
      '--limit',
      String(TOTAL),
      '--json',
    );
    expect(code).toBe(0);
    expect(stdout.length).toBeGreaterThan(1024 * 1024);
    const { events, truncated } = JSON.parse(stdout) as {
      events: Array<{ sync_job_id: string }>;
      truncated: boolean;
    };
    expect(events).toHaveLength(TOTAL);
    expect(new Set(events.map((e) => e.sync_job_id)).size).toBe(TOTAL);
    expect(events[0]?.sync_job_id).toBe(`job-${TOTAL - 1}`);
    expect(truncated).toBe(false);
    expect(stderr).toBe('');
  }, 120_000);

  it('reads past the 1 MB page to --limit, and says on stderr when more remain', async () => {
    const human = await cli('audit', '--collection', 'bulk', '--limit', '2200');
    expect(human.code).toBe(0);
    const rows = human.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(2200 + 1);
    expect(rows[1]).toContain(`job-${TOTAL - 1}`);
    expect(rows[2200]).toContain(`job-${TOTAL - 2200}`);
    expect(human.stderr).toMatch(/^sync-events: showing the newest 2200 events; more match: raise --limit/);

    const json = await cli('audit', '--collection', 'bulk', '--limit', '1500', '--json');
    const page = JSON.parse(json.stdout) as { events: unknown[]; truncated: boolean };
    expect(page.events).toHaveLength(1500);
    expect(page.truncated).toBe(true);
  }, 120_000);

  it('jobs say the same when cut at --limit', async () => {
    const stores = dynamoStores(engine.client, { tableName: LOCAL.tableName, retentionDays: 30 });
    for (const job of ['cut-1', 'cut-2']) {
      const classified = classifyPayload(
        JSON.stringify(buildPayload({ collection: 'cut', sourceType: 'linear', job }, new Date())),
      );
      if (classified.kind !== 'lifecycle') throw new Error(`seed job ${job} is ${classified.kind}`);
      // As the webhook records it: jobs are listed from their audit events.
      await stores.recorder.putAuditEvent(classified.event, {
        id: `msg_${job}`,
        receivedAt: new Date().toISOString(),
      });
      await stores.recorder.advanceJob(classified.event);
    }
    const cut = await cli('jobs', '--collection', 'cut', '--limit', '1', '--json');
    expect(JSON.parse(cut.stdout)).toMatchObject({ jobs: [expect.anything()], truncated: true });
    expect(cut.stderr).toMatch(/showing the newest 1 jobs; more match/);
    const all = await cli('jobs', '--collection', 'cut', '--json');
    expect(JSON.parse(all.stdout)).toMatchObject({ truncated: false });
    expect((JSON.parse(all.stdout) as { jobs: unknown[] }).jobs).toHaveLength(2);
  }, 60_000);
});
