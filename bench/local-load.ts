/**
 * The local stack under load: `npm start` (its own process, as a user runs it) receives 10,000 signed
 * deliveries at 50 concurrent requests, 75% distinct lifecycle events and 25% duplicates; then the table
 * and the notifications file are read back to count what was lost or doubled.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { signedHeaders } from '../lambda/core/signature';
import { LOCAL } from '../local/defaults';
import { localDynamoClient, scanTable } from '../local/engine';
import { currentPayload } from '../examples/payloads';
import { quantile } from './latency';

const ROOT = path.join(__dirname, '..');
const SECRET = `whsec_${Buffer.from('benchmark-signing-secret-32-bytes!').toString('base64')}`;
const median = (values: readonly number[]) => quantile(values, 0.5);

/**
 * CPU seconds used so far by a process tree, split into the engine process and the rest (the local
 * server), from /proc (Linux): where the local stack spends its CPU under load. Undefined elsewhere.
 */
function treeCpu(pid: number): { engine: number; server: number } | undefined {
  if (!existsSync(`/proc/${pid}/stat`)) return undefined;
  const tick = 100; // USER_HZ on Linux
  const totals = { engine: 0, server: 0 };
  const visit = (id: number) => {
    try {
      const stat = readFileSync(`/proc/${id}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / tick;
      const command = readFileSync(`/proc/${id}/cmdline`, 'utf8');
      totals[command.includes('engine-process') ? 'engine' : 'server'] += seconds;
      for (const task of readdirSync(`/proc/${id}/task`))
        for (const child of readFileSync(`/proc/${id}/task/${task}/children`, 'utf8').trim().split(' '))
          if (child) visit(Number(child));
    } catch {
      // The process ended meanwhile.
    }
  };
  visit(pid);
  return totals;
}

/** The test fixtures' payload (Airweave's current format), for a new job at the current time. */
function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...currentPayload(),
    timestamp: `${new Date().toISOString().slice(0, 23)}000Z`,
    sync_job_id: randomUUID(),
    ...overrides,
  };
}

// ---------------------------------------------------------------- local server under load

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `warmup` deliveries go first, at the same concurrency, off the clock: a server just started runs its
 * code cold (V8 compiles the hot paths as they run) and that cost is paid once per `npm start`, not per
 * request. They are part of the data set (every check below counts them), and their latencies are
 * reported on their own.
 */
export async function localServerLoad(total: number, concurrency: number, warmup: number) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-local-'));
  const port = await freePort();
  const dynamodbPort = await freePort();
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DYNAMODB_PORT: String(dynamodbPort),
      SYNC_EVENTS_DATA: dataDir,
      AIRWEAVE_WEBHOOK_SECRET: SECRET,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) =>
    child.stdout?.on('data', (c: Buffer) => c.toString().includes('local stack running') && resolve()),
  );
  child.stdout?.resume();

  // 75% distinct lifecycle events (jobs of pending, running, completed, every tenth failed), 25% duplicates:
  // half Svix retries (same svix-id), half republished transitions (new svix-id).
  const distinctTarget = Math.round((total + warmup) * 0.75);
  const jobs = Math.ceil(distinctTarget / 3);
  const deliveries: Array<{ id: string; body: Record<string, unknown> }> = [];
  for (let j = 0; j < jobs && deliveries.length < distinctTarget; j++) {
    const job = randomUUID();
    const source = ['github', 'linear', 'slack', 'notion'][j % 4] as string;
    const base = {
      sync_job_id: job,
      source_type: source,
      source_connection_id: `bench-${source}`,
      collection_readable_id: `bench-${j % 10}`,
    };
    const terminal = j % 10 === 9 ? 'sync.failed' : 'sync.completed';
    ['sync.pending', 'sync.running', terminal].forEach((type, step) =>
      deliveries.push({
        id: `msg_${job}_${step}`,
        body: payload({ ...base, event_type: type, error: type === 'sync.failed' ? 'bench failure' : null }),
      }),
    );
  }
  const distinct = deliveries.slice(0, distinctTarget);
  const all = [...distinct];
  for (let d = 0; all.length < total + warmup; d++) {
    const original = distinct[(d * 7919) % distinct.length] as (typeof distinct)[number];
    all.push({ id: d % 2 === 0 ? original.id : `${original.id}_again`, body: original.body });
  }
  for (let i = all.length - 1; i > 0; i--) {
    const k = (i * 48271) % (i + 1);
    [all[i], all[k]] = [all[k] as (typeof all)[number], all[i] as (typeof all)[number]];
  }

  // The sender shares this machine's two cores with the stack, so it does as little as a sender can while
  // the clock runs: every delivery is serialized and signed beforehand (the signatures stay well inside
  // Svix's five-minute tolerance for a run of this length), and goes out over node:http keep-alive
  // sockets, which cost less CPU per request than fetch. Its CPU is measured and reported beside the stack's.
  const signedAt = Math.floor(Date.now() / 1000);
  const prepared = all.map((delivery) => {
    const text = JSON.stringify(delivery.body);
    return { text, headers: signedHeaders(SECRET, delivery.id, signedAt, text) };
  });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (delivery: (typeof prepared)[number]) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/webhooks/airweave',
          method: 'POST',
          agent,
          headers: { ...delivery.headers, 'content-length': Buffer.byteLength(delivery.text) },
        },
        (response) => {
          response.on('error', reject).on('end', () => resolve(response.statusCode ?? 0));
          response.resume();
        },
      );
      req.on('error', reject);
      req.end(delivery.text);
    });
  const statuses = new Map<number, number>();
  /** Sends `deliveries` with `concurrency` requests always outstanding; each one's latency, in order. */
  const drive = async (deliveries: typeof prepared) => {
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < deliveries.length) {
          const delivery = deliveries[next++] as (typeof prepared)[number];
          const t0 = performance.now();
          const status = await post(delivery);
          latencies.push(performance.now() - t0);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    return latencies;
  };
  const warm = await drive(prepared.slice(0, warmup));
  const cpuBefore = treeCpu(child.pid as number);
  const senderBefore = process.cpuUsage();
  const started = performance.now();
  const latencies = await drive(prepared.slice(warmup));
  const seconds = (performance.now() - started) / 1000;
  const sender = process.cpuUsage(senderBefore);
  agent.destroy();
  const cpuAfter = treeCpu(child.pid as number);
  const cpu =
    cpuBefore && cpuAfter
      ? {
          engine: cpuAfter.engine - cpuBefore.engine,
          server: cpuAfter.server - cpuBefore.server,
          sender: (sender.user + sender.system) / 1e6,
        }
      : undefined;

  const client = localDynamoClient(`http://127.0.0.1:${dynamodbPort}`);
  const items = await scanTable(client, LOCAL.tableName);
  client.destroy();
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));

  const recorded = items.filter((i) => i.entity === 'event').length;
  const failedJobs = new Set(
    distinct.filter((d) => d.body.event_type === 'sync.failed').map((d) => d.body.sync_job_id),
  );
  const notifications = readFileSync(path.join(dataDir, LOCAL.notificationsFile), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const alertsPerJob = new Map<string, number>();
  for (const n of notifications.filter((n) => n.channel === 'alert' && n.kind === 'sync.failed')) {
    const job = (n.message as { event: { sync_job_id: string } }).event.sync_job_id;
    alertsPerJob.set(job, (alertsPerJob.get(job) ?? 0) + 1);
  }
  const duplicateAlerts = [...alertsPerJob.values()].reduce((n, c) => n + (c - 1), 0);
  const missingAlerts = [...failedJobs].filter((j) => !alertsPerJob.has(String(j))).length;
  rmSync(dataDir, { recursive: true, force: true });
  return {
    cpu,
    total: all.length,
    distinct: distinct.length,
    warmup: { requests: warm.length, p50: median(warm), p99: quantile(warm, 0.99) },
    measured: latencies.length,
    seconds,
    throughput: latencies.length / seconds,
    p50: median(latencies),
    p99: quantile(latencies, 0.99),
    statuses,
    lost: distinct.length - recorded,
    duplicateEffects: duplicateAlerts + Math.max(0, recorded - distinct.length),
    missingAlerts,
    failedJobs: failedJobs.size,
  };
}

/**
 * `npx tsx bench/local-load.ts`: this section alone (BENCH_EVENTS deliveries, default 10,000, after a tenth
 * as many to warm up).
 */
if (require.main === module) {
  const total = Number(process.env.BENCH_EVENTS ?? 10_000);
  void localServerLoad(total, 50, Math.round(total / 10)).then((load) => {
    console.log({ ...load, statuses: Object.fromEntries(load.statuses) });
  });
}
