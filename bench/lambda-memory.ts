/**
 * The webhook's latency and compute cost at each memory size, with Lambda's CPU share enforced. Lambda
 * gives a function CPU in proportion to its memory: the equivalent of one vCPU at 1,769 MB (AWS Lambda
 * documentation, "Configuring function memory"). The latency section runs the handler on a whole core,
 * as a function of 1,769 MB or more would; a smaller function spends its CPU more slowly.
 *
 * STAND-IN for that share: each memory size runs the handler (`lambda-memory-child.ts`) in its own process,
 * put in a Linux cgroup whose CPU quota is memory / 1,769 of one CPU per enforcement period. AWS does not
 * publish the period it enforces the share over, so two are measured: 20 ms (the share holds within a
 * delivery) and 100 ms, Linux's default (a lone delivery can burst through the period's quota). Every AWS
 * call is answered after 5 ms as in the latency section; the engine runs outside the cgroup.
 *
 * Needs write access to a cgroup CPU controller (root, v1 `cpu` or v2 `cpu.max`); elsewhere it says it
 * was skipped.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MemorySample } from './lambda-memory-child';
import { markdownTable, quantile } from './latency';

/** One vCPU's worth of CPU at this memory (MB), AWS's documented figure. */
const ONE_VCPU_MB = 1769;
/** Lambda on ARM (us-east-1): per GB-second and per request, as in the README's cost table. */
const GB_SECOND_USD = 0.0000133334;
const REQUEST_USD = 0.2 / 1e6;
const SIZES = [256, 512, 1024, 1769];
const PERIODS_US = [20_000, 100_000];

interface Controller {
  /** Creates a group limited to `share` of one CPU per `periodUs`; returns its directory. */
  create(name: string, share: number, periodUs: number): string;
}

/** The CPU controller this machine lets us write, v1 or v2; undefined when there is none. */
function cpuController(): Controller | undefined {
  const v1 = '/sys/fs/cgroup/cpu';
  if (existsSync(path.join(v1, 'cpu.cfs_quota_us'))) {
    return {
      create(name, share, periodUs) {
        const dir = path.join(v1, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(periodUs));
        writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(periodUs * share)));
        return dir;
      },
    };
  }
  const v2 = '/sys/fs/cgroup';
  const controllers = path.join(v2, 'cgroup.subtree_control');
  if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('cpu')) {
    return {
      create(name, share, periodUs) {
        const dir = path.join(v2, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'cpu.max'), `${Math.round(periodUs * share)} ${periodUs}`);
        return dir;
      },
    };
  }
  return undefined;
}

function once<T>(child: ChildProcess, accept: (message: unknown) => message is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!accept(message)) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`the measuring process exited with ${code}`)));
  });
}

async function measure(
  controller: Controller,
  endpoint: string,
  memory: number,
  periodUs: number,
  rounds: number,
): Promise<MemorySample> {
  // The group first: a process left waiting for a `go` that never comes would keep the bench alive.
  const dir = controller.create(`airweave-bench-${memory}-${periodUs}`, memory / ONE_VCPU_MB, periodUs);
  const child = fork(path.join(__dirname, 'lambda-memory-child.ts'), [endpoint, String(rounds)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    await once(child, (m): m is 'ready' => m === 'ready');
    // The whole process (every thread) moves into the group before it measures anything.
    writeFileSync(path.join(dir, 'cgroup.procs'), String(child.pid));
    const sample = once(child, (m): m is MemorySample => typeof m === 'object' && m !== null);
    child.send('go');
    return await sample;
  } finally {
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    rmdirSync(dir);
  }
}

const median = (values: readonly number[]) => quantile(values, 0.5);
const ms = (value: number) => `${value.toFixed(1)} ms`;
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export async function lambdaMemorySection(endpoint: string, rounds = 200): Promise<string[]> {
  const title = "## Webhook memory size: latency and compute cost with Lambda's CPU share";
  const controller = cpuController();
  if (!controller) return [title, '', 'Skipped: no writable cgroup CPU controller on this machine.', ''];
  const rows: string[][] = [];
  let wrong = 0;
  for (const periodUs of PERIODS_US) {
    for (const memory of SIZES) {
      const sample = await measure(controller, endpoint, memory, periodUs, rounds);
      wrong += sample.wrong;
      // Lambda bills each invocation's duration rounded up to the millisecond.
      const billedSeconds = mean(sample.plain.map((t) => Math.ceil(t))) / 1000;
      const perMillion = (REQUEST_USD + billedSeconds * (memory / 1024) * GB_SECOND_USD) * 1e6;
      rows.push([
        `${memory} MB`,
        `${periodUs / 1000} ms`,
        `${((100 * memory) / ONE_VCPU_MB).toFixed(0)}%`,
        ms(median(sample.plain)),
        ms(quantile(sample.plain, 0.99)),
        ms(median(sample.naive)),
        `${(median(sample.plain) / median(sample.naive)).toFixed(2)}x`,
        `$${perMillion.toFixed(2)}`,
      ]);
    }
  }
  return [
    title,
    '',
    'Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB. STAND-IN for that share: ' +
      'the handler runs in a process whose cgroup CPU quota is memory / 1,769 of one CPU per period ' +
      '(`bench/lambda-memory.ts`). AWS does not publish its period, so two are shown. Every AWS call is ' +
      `answered after 5 ms as above; ${rounds} plain events and ${rounds} naive deliveries per row, interleaved. ` +
      'Compute cost is per million plain events: requests plus GB-seconds of the mean billed duration (ARM prices).',
    '',
    ...markdownTable(
      [
        'memory',
        'period',
        'CPU share',
        'plain p50',
        'plain p99',
        'naive p50',
        'plain / naive',
        'Lambda $ per million',
      ],
      rows,
    ),
    '',
    `- Wrong answers: ${wrong}.`,
    '',
  ];
}

/** `npx tsx bench/lambda-memory.ts`: this section alone (as root). */
if (require.main === module) {
  void (async () => {
    const { startEngineProcess } = await import('../local/engine');
    const engine = await startEngineProcess({ host: '127.0.0.1', port: 0 });
    try {
      const lines = await lambdaMemorySection(engine.endpoint, Number(process.env.BENCH_ITERATIONS ?? 200));
      console.log(lines.join('\n'));
    } finally {
      await engine.stop();
    }
  })();
}
