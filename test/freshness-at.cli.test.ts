import { CliError } from '../cli/errors';
import { main } from '../cli/main';
import { collect } from '../cli/output';
import type { CollectionFreshnessAt } from '../lambda/core/freshness-at';
import { ensureTable } from '../local/engine';
import { LOCAL } from '../local/defaults';
import { currentPayload, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { wire } from '../harness/stack';

/**
 * `sync-events freshness --at` against the local engine, with the CLI's own clock (real time) and config
 * (config/default.json: github and linear within 6 h, audit kept 400 days). The deliveries are stamped
 * relative to now, and the webhook's clock is moved to each one's receipt, so late delivery is real.
 */
let engine: Engine;
const COLLECTION = 'engineering-context-ab123';
const NOW = Date.now();
const minutesAgo = (m: number) => NOW - m * 60_000;
const stamp = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

beforeAll(async () => {
  engine = await startEngine();
  await ensureTable(engine.client, LOCAL.tableName);
  let clock = new Date(NOW);
  const { webhook } = wire(engine.client, LOCAL.tableName, { now: () => clock });
  const send = async (id: string, receivedMs: number, overrides: Parameters<typeof currentPayload>[0]) => {
    clock = new Date(receivedMs);
    const request = signedRequest(currentPayload(overrides), {
      id,
      timestamp: Math.floor(receivedMs / 1000),
    });
    expect((await webhook(request)).statusCode).toBe(200);
  };
  const github = { source_type: 'github', source_connection_id: 'conn-github' };
  const at = (m: number) => ({ timestamp: stamp(minutesAgo(m)) });
  await send('msg_g1', minutesAgo(180), {
    ...github,
    sync_job_id: 'g1',
    event_type: 'sync.completed',
    ...at(180),
  });
  await send('msg_g2r', minutesAgo(120), {
    ...github,
    sync_job_id: 'g2',
    event_type: 'sync.running',
    ...at(120),
  });
  await send('msg_l1', minutesAgo(20), {
    source_type: 'linear',
    source_connection_id: 'conn-linear',
    sync_job_id: 'l1',
    event_type: 'sync.completed',
    ...at(20),
  });
  // g2 failed 100 minutes ago; Svix delivered it 70 minutes late.
  await send('msg_g2f', minutesAgo(30), {
    ...github,
    sync_job_id: 'g2',
    event_type: 'sync.failed',
    error: 'token expired',
    ...at(100),
  });
});
afterAll(() => engine.stop());

const local = () => ['--local', '--endpoint', engine.endpoint];

async function run(...args: string[]): Promise<{ code: number; text: string }> {
  const out = collect();
  const code = await main(['freshness', ...local(), ...args], out);
  return { code, text: out.lines.join('\n') };
}

async function failure(...args: string[]): Promise<CliError> {
  const error = await run(...args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('sync-events freshness --at', () => {
  it('--json gives each source as it was, what the stack said then, and the evidence', async () => {
    const { code, text } = await run('--at', '90m', '--collection', COLLECTION, '--json');
    expect(code).toBe(0);
    const body = JSON.parse(text) as CollectionFreshnessAt;
    const [github, linear] = body.sources;
    expect(github).toMatchObject({
      source_type: 'github',
      status: 'failed',
      known_at_t: false,
      as_known_at_t: { status: 'syncing' },
      deciding_event: { sync_job_id: 'g2', event_type: 'sync.failed', svix_id: 'msg_g2f', known_at_t: false },
    });
    expect(github?.evidence.map((e) => e.svix_id)).toEqual(['msg_g2f', 'msg_g2r', 'msg_g1']);
    expect(linear).toMatchObject({
      source_type: 'linear',
      status: 'unknown',
      reason: { code: 'before_first_event' },
    });
  });

  it('the human output names the deciding event, late delivery and the reason for unknown', async () => {
    const { text } = await run('--at', '90m');
    expect(text).toMatch(/^Freshness at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, as it was/);
    const github = text.split('\n').find((l) => l.includes(' github ')) as string;
    expect(github).toMatch(
      /failed .* syncing .*sync\.failed job g2 at .*\(svix msg_g2f, received .*Z, after T\)/,
    );
    const linear = text.split('\n').find((l) => l.includes(' linear ')) as string;
    expect(linear).toMatch(
      /unknown .*no event at or before T; the first recorded is at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    const now = await run('--at', new Date().toISOString());
    expect(now.text.split('\n').find((l) => l.includes(' github '))).toMatch(
      /failed .* same .*sync\.failed job g2 .*\(svix msg_g2f\)/,
    );
  });

  it('--check exits 3 when a source was stale or failed at T', async () => {
    expect((await run('--at', '90m', '--check')).code).toBe(3);
    expect((await run('--at', '150m', '--check', '--collection', COLLECTION)).code).toBe(0);
  });

  it('bounds: a future T or a time without a zone is a usage error; an unknown collection fails; before retention is unknown', async () => {
    expect(await failure('--at', '2099-01-01T00:00:00Z')).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/in the future/) as string,
    });
    expect(await failure('--at', '2026-04-23T13:00:00')).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/with a zone/) as string,
    });
    expect(await failure('--at', 'soon')).toMatchObject({ exitCode: 2 });
    expect(await failure('--at', '1h', '--collection', 'nothing-here')).toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/no events recorded for collection nothing-here/) as string,
    });
    const old = JSON.parse((await run('--at', '401d', '--json')).text) as {
      collections: CollectionFreshnessAt[];
    };
    expect(old.collections[0]?.sources.map((s) => [s.status, s.reason?.code])).toEqual([
      ['unknown', 'before_retention'],
      ['unknown', 'before_retention'],
    ]);
  });
});
