/**
 * How long a `sync-events` command takes from the shell's point of view: process start to exit, median
 * of interleaved runs, next to Node's own start (`node -e 0`) and to the same command run from the
 * TypeScript sources through tsx (how the CLI ran before it was compiled). Run alone with
 * `npx tsx bench/cli.ts`; `npm run bench` includes it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readConfigFile } from '../bin/config-file';
import { buildPayload } from '../cli/commands/send';
import { signedHeaders } from '../lambda/core/signature';
import { ROUTES } from '../lambda/core/stack-contract';
import { DEFAULT_CONFIG_PATH } from '../local/defaults';
import { startLocalStack } from '../local/stack';

const ROOT = path.join(__dirname, '..');
const SECRET = `whsec_${Buffer.from('cli-benchmark-signing-secret-32b!').toString('base64')}`;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildCli } = require('../scripts/build-cli.cjs') as { buildCli(): string };

/**
 * Preloaded into every timed process: its CPU time (user + system) on stderr at exit. Waiting for a core
 * on a loaded machine inflates the wall time, not this.
 */
const CPU_PRELOAD = `process.on('exit', () => { const u = process.resourceUsage(); require('fs').writeSync(2, '\\nCPU_MS ' + (u.userCPUTime + u.systemCPUTime) / 1000 + '\\n'); });`;

function timed(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  preload: string,
): Promise<{ wall: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--require', preload, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 || code === 3
        ? resolve({ wall: performance.now() - started, cpu: Number(/CPU_MS ([\d.]+)/.exec(stderr)?.[1]) })
        : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

/** The section's markdown lines: medians of `runs` interleaved rounds. */
export async function cliStartup(runs = 15): Promise<string[]> {
  buildCli();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-cli-'));
  const stack = await startLocalStack({
    config: readConfigFile(DEFAULT_CONFIG_PATH),
    secrets: [SECRET],
    dataDir,
    port: 0,
    dynamodbPort: 0,
    print: () => {},
  });
  try {
    // Something to show: three sources of one collection, one of them failed.
    for (const [sourceType, type] of [
      ['github', 'sync.completed'],
      ['linear', 'sync.completed'],
      ['slack', 'sync.failed'],
    ] as const) {
      const body = JSON.stringify(buildPayload({ type, sourceType, error: 'token expired' }, new Date()));
      const headers = signedHeaders(SECRET, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body);
      const response = await fetch(`${stack.url}${ROUTES.webhook}`, { method: 'POST', headers, body });
      if (!response.ok) throw new Error(`seeding answered ${response.status}: ${await response.text()}`);
    }
    const env = {
      ...process.env,
      DYNAMODB_PORT: new URL(stack.dynamodbEndpoint).port,
      SYNC_EVENTS_DATA: dataDir,
      NO_COLOR: '1',
    };
    // The CLI as it ran before it was compiled: the TypeScript sources through tsx, at every start.
    const fromSources = path.join(dataDir, 'from-sources.js');
    writeFileSync(fromSources, `require(${JSON.stringify(path.join(ROOT, 'cli', 'main.ts'))}).run();\n`);
    const tsx = ['--import', 'tsx', fromSources];
    const compiled = path.join(ROOT, 'cli', 'sync-events.js');
    const cases: Array<[string, string[]]> = [
      ['node -e 0 (Node start, the floor)', ['-e', '0']],
      ['sync-events --help', [compiled, '--help']],
      ['sync-events freshness --local', [compiled, 'freshness', '--local']],
      ['from sources (tsx): --help', [...tsx, '--help']],
      ['from sources (tsx): freshness --local', [...tsx, 'freshness', '--local']],
    ];
    const preload = path.join(dataDir, 'cpu-time.cjs');
    writeFileSync(preload, CPU_PRELOAD);
    const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    const cpu = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    // A warm-up round fills V8's compile cache, as any earlier use of the command would.
    for (const [, args] of cases) await timed(args, env, preload);
    for (let round = 0; round < runs; round++)
      for (const [name, args] of cases) {
        const { wall, cpu: used } = await timed(args, env, preload);
        samples.get(name)?.push(wall);
        cpu.get(name)?.push(used);
      }

    const floor = median(samples.get(cases[0]![0]) ?? []);
    const rows = cases.map(([name]) => {
      const value = median(samples.get(name) ?? []);
      return `| ${name} | ${value.toFixed(0)} ms | ${(value / floor).toFixed(1)}x | ${median(cpu.get(name) ?? []).toFixed(0)} ms |`;
    });
    const help = median(samples.get(cases[1]![0]) ?? []);
    const fresh = median(samples.get(cases[2]![0]) ?? []);
    const cpuOf = (i: number) => median(cpu.get(cases[i]![0]) ?? []).toFixed(0);
    return [
      '## CLI start',
      '',
      `Process start to exit, median of ${runs} interleaved rounds after one warm-up, on this shared machine (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores: every figure includes waiting for a core, so the ratio to Node's own start is the steadier measure). The compiled CLI (\`dist/cli.js\`, built by \`npm ci\`) against the same commands run from the TypeScript sources.`,
      '',
      '| command | median | vs. Node start | CPU (user + system), median |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
      `- Budget 300 ms: \`--help\` ${help.toFixed(0)} ms (${help < 300 ? 'met' : 'missed'}), local \`freshness\` ${fresh.toFixed(0)} ms (${fresh < 300 ? 'met' : 'missed'}).`,
      `- In CPU time, which waiting for a core does not inflate: Node ${cpuOf(0)} ms, \`--help\` ${cpuOf(1)} ms, a local \`freshness\` ${cpuOf(2)} ms. What \`freshness\` costs beyond Node's start is mostly loading the AWS SDK's DynamoDB client (its module graph, HTTP/1, HTTP/2 and TLS handlers included); the config is parsed with zod/mini, bundled and tree-shaken. \`--help\` loads neither.`,
    ];
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module)
  cliStartup(Number(process.argv[2] ?? 15)).then(
    (lines) => console.log(lines.join('\n')),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
