import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './helpers/ports';

/**
 * The README's Quick start, run as written: `npm start`, then each `npx sync-events` command of its
 * shell blocks, in order. Every output block must have the shape of what its commands print: the same
 * lines and columns once the values that differ between runs (times, ages, ids, paths, ports) are named.
 */
const ROOT = path.join(__dirname, '..');
const run = promisify(execFile);

interface Step {
  readonly commands: string[];
  /** The sample output block that follows the commands, if any. */
  readonly sample?: string;
}

/** The Quick start section's shell blocks, each with the plain block that follows it. */
function quickStart(): Step[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Quick start'),
    readme.indexOf('\n## ', readme.indexOf('## Quick start') + 3),
  );
  const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, lang, body]) => ({
    lang: lang as string,
    body: body as string,
  }));
  const steps: Step[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'sh') return;
    const next = blocks[i + 1];
    steps.push({
      commands: block.body.split('\n').filter((l) => l.trim() !== ''),
      ...(next && next.lang === '' && { sample: next.body }),
    });
  });
  return steps;
}

/** The shape of an output: run-to-run values named, column padding collapsed. */
function shape(text: string): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
    .replace(/\(\d+ (s|min|h|d) ago\)/g, '(<age>)')
    .replace(/\b\d+ (s|min|h|d) ago\b/g, '<age>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/-[0-9a-f]{12}\b/g, '-<hash>')
    .replace(/whsec_\S+/g, '<secret>')
    .replace(/ --endpoint http:\/\/127\.0\.0\.1:\d+\S*/g, '')
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, '<url>')
    .replace(/(\/[\w.@-]+)+/g, '<path>')
    .split('\n')
    .map((l) => l.replace(/ {2,}/g, '  ').trimEnd())
    .join('\n')
    .trim();
}

/** Splits a shell line into words, honouring double quotes (all the README uses). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]) as string);
}

let child: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;
let banner = '';

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-readme-'));
  env = {
    ...process.env,
    PORT: String(await freePort()),
    DYNAMODB_PORT: String(await freePort()),
    SYNC_EVENTS_DATA: dataDir,
    NO_COLOR: '1',
  };
  delete env.AIRWEAVE_WEBHOOK_SECRET;
  delete env.SYNC_EVENTS_CONFIG;
  child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.on('data', (chunk: Buffer) => (banner += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (banner += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!banner.includes('Ctrl-C stops')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`npm start did not come up:\n${banner}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  const proc = child;
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  process.kill(-(proc.pid as number), 'SIGINT');
  await exited;
});

describe('README Quick start', () => {
  it('prints what the README shows, command by command', async () => {
    const steps = quickStart();
    expect(steps.length).toBeGreaterThanOrEqual(3);
    const printed: string[] = [];
    const shown: string[] = [];
    for (const step of steps) {
      let last = '';
      for (const command of step.commands) {
        if (command === 'npm ci') continue; // this checkout is installed already
        if (command === 'npm start') {
          // Started by beforeAll; its banner, up to the blank line before "Ctrl-C stops", is its output.
          last = banner.slice(
            banner.indexOf('airweave-sync-events: local stack running'),
            banner.indexOf('\n\nCtrl-C'),
          );
          continue;
        }
        const [npx, ...args] = words(command);
        expect(npx).toBe('npx');
        const { stdout } = await run('npx', args, { cwd: ROOT, env });
        last = stdout;
      }
      if (step.sample === undefined) continue;
      printed.push(shape(last));
      shown.push(shape(step.sample));
    }
    expect(printed).toEqual(shown);
    expect(shown.length).toBeGreaterThanOrEqual(3);
  }, 240_000);
});
