import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SECRET } from '../harness/deliveries';
import { freePort } from './helpers/ports';

/**
 * The whole local product from the outside: `npm start` as a child process on free ports, driven only
 * through the sync-events command line and HTTP, then restarted on the same data.
 */
const ROOT = path.join(__dirname, '..');
const run = promisify(execFile);

const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-e2e-'));
const configFile = path.join(dataDir, 'config.json');
let env: NodeJS.ProcessEnv;
let child: ChildProcess | undefined;
let output = '';

async function start(): Promise<void> {
  output = '';
  child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('local stack running')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  const proc = child;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // npm runs the server in a child of its own: signal the whole process group, as Ctrl-C does.
  process.kill(-(proc.pid as number), 'SIGINT');
  return exited;
}

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'cli', 'sync-events.js'), ...args], {
    cwd: ROOT,
    env,
  });
  return stdout;
}

async function cliJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await cli(...args, '--json')) as T;
}

const send = (...args: string[]) =>
  cliJson<{ status: number; result: string; svix_id: string }>('send', '--local', ...args);

beforeAll(async () => {
  const config = JSON.parse(readFileSync(path.join(ROOT, 'config', 'default.json'), 'utf8')) as {
    pipelines: Array<{ steps: Array<{ handler: string }> }>;
  };
  config.pipelines[0]!.steps = [{ handler: path.join(ROOT, 'examples', 'error-analysis.ts') }];
  writeFileSync(configFile, JSON.stringify(config));
  env = {
    ...process.env,
    PORT: String(await freePort()),
    DYNAMODB_PORT: String(await freePort()),
    SYNC_EVENTS_CONFIG: configFile,
    SYNC_EVENTS_DATA: dataDir,
    AIRWEAVE_WEBHOOK_SECRET: SECRET,
    NO_COLOR: '1',
  };
  await start();
}, 90_000);

afterAll(async () => {
  await stop();
});

type Freshness = { collection_readable_id: string; stale: boolean; sources: Array<Record<string, unknown>> };

describe('local mode end to end', () => {
  const collection = 'engineering-context-ab123';

  it('answers HEAD and refuses unsigned deliveries over real HTTP', async () => {
    const url = `http://127.0.0.1:${env.PORT}/webhooks/airweave`;
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    const unsigned = await fetch(url, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(401);
    const tooBig = await fetch(url, { method: 'POST', body: 'x'.repeat(300 * 1024) });
    expect(tooBig.status).toBe(413);
  });

  it('records sends, duplicates, out-of-order events, a failure and a pipeline run', async () => {
    expect(await send('--type', 'sync.running', '--source-type', 'github', '--job', 'gh-1')).toMatchObject({
      status: 200,
      result: 'processed',
    });
    expect(await send('--type', 'sync.completed', '--source-type', 'github', '--job', 'gh-1')).toMatchObject({
      result: 'processed',
    });
    // A Svix retry of the same delivery, and Airweave republishing it under a new svix-id.
    expect(await cliJson('send', '--local', '--resend')).toMatchObject({ status: 200, result: 'duplicate' });
    expect(await send('--type', 'sync.completed', '--source-type', 'github', '--job', 'gh-1')).toMatchObject({
      result: 'duplicate',
    });
    // Out of order: linear's completion before its running.
    await send('--type', 'sync.completed', '--source-type', 'linear', '--job', 'li-1');
    await send(
      '--type',
      'sync.running',
      '--source-type',
      'linear',
      '--job',
      'li-1',
      '--timestamp',
      new Date(Date.now() - 60_000).toISOString(),
    );
    await send(
      '--type',
      'sync.failed',
      '--source-type',
      'slack',
      '--job',
      'sl-1',
      '--error',
      'token expired',
    );

    const freshness = await cliJson<Freshness>('freshness', '--local', '--collection', collection);
    const byType = Object.fromEntries(freshness.sources.map((s) => [s.source_type, s]));
    expect(byType.github).toMatchObject({ status: 'fresh', last_job_id: 'gh-1' });
    expect(byType.linear).toMatchObject({ status: 'fresh', last_job_id: 'li-1' });
    expect(byType.slack).toMatchObject({
      status: 'failed',
      last_error: 'token expired',
      consecutive_failures: 1,
    });
    expect(freshness.stale).toBe(true);

    const { events } = await cliJson<{ events: Array<Record<string, unknown>> }>(
      'audit',
      '--local',
      '--collection',
      collection,
    );
    expect(events).toHaveLength(5);
    expect(events.map((e) => e.event_type)).toContain('sync.failed');
    expect(Object.keys(events[0]!)).toEqual(
      expect.arrayContaining(['event_type', 'sync_job_id', 'svix_id', 'timestamp']),
    );
    const slack = await cliJson<{ events: unknown[] }>('audit', '--local', '--source', 'slack');
    expect(slack.events).toHaveLength(1);

    const job = await cliJson<Record<string, unknown>>('jobs', 'li-1', '--local');
    expect(job).toMatchObject({ state: 'completed' });
    expect(job.running_at).toBeDefined();

    // github and linear both completed within 30 minutes: the error-analysis pipeline ran once.
    let pipelines: {
      pipelines: Array<{
        name: string;
        runs: Array<{ status: string; consumed: Record<string, { job_id: string }> }>;
      }>;
    };
    const deadline = Date.now() + 20_000;
    do {
      pipelines = await cliJson('pipelines', '--local');
    } while (pipelines.pipelines[0]?.runs[0]?.status !== 'succeeded' && Date.now() < deadline);
    const runs = pipelines.pipelines.find((p) => p.name === 'error-analysis')?.runs ?? [];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: 'succeeded',
      consumed: { github: { job_id: 'gh-1' }, linear: { job_id: 'li-1' } },
    });

    const notifications = readFileSync(path.join(dataDir, 'notifications.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(notifications.filter((n) => n.channel === 'alert' && n.kind === 'sync.failed')).toHaveLength(1);
  }, 120_000);

  it('stops cleanly on Ctrl-C and keeps the data for the next start', async () => {
    const before = await cli('audit', '--local', '--json');
    const exit = await stop();
    // The server exits 0 after closing the engine; npm then ends itself with the signal it forwarded.
    expect(output).toContain('SIGINT: stopping');
    expect([0, null]).toContain(exit?.code);
    expect(output).not.toMatch(/Error|error:/);
    await expect(cli('freshness', '--local')).rejects.toMatchObject({
      stderr: expect.stringMatching(/npm start/),
    });
    await start();
    expect(await cli('audit', '--local', '--json')).toBe(before);
    const freshness = await cliJson<{ collections: Freshness[] }>('freshness', '--local');
    expect(freshness.collections.map((c) => c.collection_readable_id)).toEqual([collection]);
  }, 120_000);
});
