import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildPayload } from '../cli/commands/send';
import { signedHeaders } from '../lambda/core/signature';
import { SECRET } from '../harness/deliveries';
import { freePort } from './helpers/ports';

/**
 * `npm start` as an operator meets it: its engine process killed, a second stack on the same data,
 * SIGTERM to npm itself, the CLI run from a subdirectory. Free ports, real processes, real HTTP.
 */
const ROOT = path.join(__dirname, '..');
const run = promisify(execFile);

/** Whether a loopback port can be bound, i.e. nothing holds it any more. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Stack {
  readonly child: ChildProcess;
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function environment(dataDir: string): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    PORT: String(await freePort()),
    DYNAMODB_PORT: String(await freePort()),
    SYNC_EVENTS_DATA: dataDir,
    AIRWEAVE_WEBHOOK_SECRET: SECRET,
    NO_COLOR: '1',
  };
}

function spawnStack(env: NodeJS.ProcessEnv, dataDir: string): Stack {
  let output = '';
  // Its own process group, so a test can signal npm alone (as a process manager would) or the group.
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, env, dataDir, output: () => output, exited };
}

async function startStack(env: NodeJS.ProcessEnv, dataDir: string): Promise<Stack> {
  const stack = spawnStack(env, dataDir);
  const deadline = Date.now() + 90_000;
  while (!stack.output().includes('local stack running')) {
    if (Date.now() > deadline || stack.child.exitCode !== null)
      throw new Error(`npm start did not come up:\n${stack.output()}`);
    await sleep(100);
  }
  return stack;
}

/** The engine process serving a data folder, by its command line. */
function enginePid(dataDir: string): number | undefined {
  const lines = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  const line = lines.find((l) => l.includes('engine-process.cjs') && l.includes(dataDir));
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** One signed delivery, posted until it is accepted, as Svix retries: the statuses it got on the way. */
async function deliver(url: string, body: string, id: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 200; attempt++) {
    const headers = signedHeaders(SECRET, id, Math.floor(Date.now() / 1000), body);
    const status = await fetch(url, { method: 'POST', headers, body }).then(
      (r) => r.status,
      () => 0,
    );
    statuses.push(status);
    if (status === 200) return statuses;
    await sleep(100);
  }
  throw new Error(`delivery ${id} was never accepted: ${statuses.join(',')}`);
}

async function cli(env: NodeJS.ProcessEnv, cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'cli', 'sync-events.js'), ...args], {
    cwd,
    env,
  });
  return stdout;
}

const stacks: Stack[] = [];
afterAll(async () => {
  for (const stack of stacks)
    if (stack.child.exitCode === null && stack.child.signalCode === null) {
      process.kill(-(stack.child.pid as number), 'SIGKILL');
      await stack.exited;
    }
});

describe('the supervised local stack', () => {
  it('restarts a killed engine: 503 meanwhile, then service again, nothing lost; a crash loop stops it with one line', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-supervise-'));
    const stack = await startStack(await environment(dataDir), dataDir);
    stacks.push(stack);
    const url = `http://127.0.0.1:${stack.env.PORT}/webhooks/airweave`;

    // A second stack on the same data folder is refused in one line, before it binds anything.
    const second = spawnStack({ ...(await environment(dataDir)), SYNC_EVENTS_DATA: dataDir }, dataDir);
    stacks.push(second);
    const refused = await second.exited;
    expect(refused.code).not.toBe(0);
    const complaint = second
      .output()
      .split('\n')
      .filter((l) => l.startsWith('sync-events:'));
    expect(complaint).toEqual([
      expect.stringMatching(
        new RegExp(
          `^sync-events: the data folder ${dataDir} is in use by another local stack.*SYNC_EVENTS_DATA`,
        ),
      ),
    ]);
    expect(second.output()).not.toMatch(/\n\s+at /);

    // A burst of deliveries, with the engine killed in the middle of it.
    const bodies = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify(buildPayload({ collection: 'supervised', sourceType: `source-${i % 4}` }, new Date())),
    );
    const first = enginePid(dataDir) as number;
    expect(first).toBeGreaterThan(0);
    const burst = bodies.map(async (body, i) => {
      await sleep(i * 25);
      return deliver(url, body, `msg_${randomUUID().replace(/-/g, '')}`);
    });
    await sleep(300);
    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    const restarted = await waitFor('a new engine process', () => {
      const pid = enginePid(dataDir);
      return pid !== undefined && pid !== first ? pid : undefined;
    });
    const statuses = (await Promise.all(burst)).flat();
    // Only "retry later" while the engine was down; never a 500 or a lost answer.
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    await waitFor('the restart line', () => (stack.output().includes('engine restarted') ? true : undefined));
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    const { events } = JSON.parse(
      await cli(
        stack.env,
        ROOT,
        'audit',
        '--local',
        '--collection',
        'supervised',
        '--json',
        '--limit',
        '100',
      ),
    ) as { events: unknown[] };
    expect(events).toHaveLength(bodies.length);

    // Killed again and again: the stack gives up, says so in one line and exits non-zero.
    expect(restarted).not.toBe(first);
    for (let kill = 0; kill < 4; kill++) {
      const current = await waitFor('an engine, or the end', () =>
        stack.child.exitCode !== null ? 0 : enginePid(dataDir),
      );
      if (current === 0) break;
      process.kill(current, 'SIGKILL');
      await waitFor('that engine to go', () => (enginePid(dataDir) !== current ? true : undefined));
    }
    const end = await stack.exited;
    expect(end.code).toBe(1);
    const fatal = stack
      .output()
      .split('\n')
      .filter((l) => l.startsWith('sync-events:'));
    expect(fatal).toEqual([
      expect.stringMatching(
        /^sync-events: the local stack stopped: the embedded DynamoDB engine is gone \(.*died/,
      ),
    ]);
    expect(enginePid(dataDir)).toBeUndefined();
    expect(await portFree(Number(stack.env.PORT))).toBe(true);
  }, 240_000);

  it('finds its data from a subdirectory, and SIGTERM to npm stops everything and frees the ports', async () => {
    const absolute = mkdtempSync(path.join(tmpdir(), 'sync-events-sigterm-'));
    // A relative SYNC_EVENTS_DATA is relative to the project's folder, for the stack and the CLI alike.
    const env: NodeJS.ProcessEnv = {
      ...(await environment(absolute)),
      SYNC_EVENTS_DATA: path.relative(ROOT, absolute),
    };
    delete env.AIRWEAVE_WEBHOOK_SECRET;
    const stack = await startStack(env, absolute);
    stacks.push(stack);
    const sent = JSON.parse(
      await cli(env, path.join(ROOT, 'test'), 'send', '--local', '--json', '--collection', 'from-a-subdir'),
    ) as { status: number };
    expect(sent.status).toBe(200);

    const engine = enginePid(absolute) as number;
    expect(engine).toBeGreaterThan(0);
    // npm alone, as a process manager stops a service; not the whole group as Ctrl-C would.
    process.kill(stack.child.pid as number, 'SIGTERM');
    await stack.exited;
    await waitFor('the engine to exit', () => (enginePid(absolute) === undefined ? true : undefined), 15_000);
    await waitFor('the ports to be free', async () =>
      (await portFree(Number(env.PORT))) && (await portFree(Number(env.DYNAMODB_PORT))) ? true : undefined,
    );
    expect(stack.output()).toContain('SIGTERM: stopping');
    expect(stack.output()).not.toMatch(/ERR_IPC_CHANNEL_CLOSED|\n\s+at /);
  }, 180_000);
});
