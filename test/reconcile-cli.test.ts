import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { main } from '../cli/main';
import { CliError } from '../cli/errors';
import { collect } from '../cli/output';
import { createTableInput } from '../lambda/adapters/table-definition';
import { LOCAL } from '../local/defaults';
import { AirweaveStandIn } from './helpers/airweave-stand-in';
import { type Engine, startEngine } from './helpers/engine';

let engine: Engine;
let api: AirweaveStandIn;
const env = { ...process.env };
beforeAll(async () => {
  engine = await startEngine();
  await engine.client.send(new CreateTableCommand(createTableInput(LOCAL.tableName)));
  api = new AirweaveStandIn();
  process.env.AIRWEAVE_API_URL = await api.start();
  api.collections.push({ id: 'c1', readable_id: 'eng-ab123', name: 'Engineering' });
  api.sources.push({ id: 'sc-gh', short_name: 'github', readable_collection_id: 'eng-ab123' });
  api.jobs.push({
    id: 'job-1',
    source_connection_id: 'sc-gh',
    status: 'FAILED',
    created_at: '2026-04-23T13:40:00Z',
    started_at: '2026-04-23T13:41:00Z',
    completed_at: null,
    failed_at: '2026-04-23T13:45:00Z',
    error: 'token expired',
  });
});
afterAll(async () => {
  process.env = env;
  await api.stop();
  await engine.stop();
});

const run = async (args: string[]) => {
  const out = collect();
  const code = await main(['reconcile', '--local', '--endpoint', engine.endpoint, ...args], out);
  return { code, out };
};

describe('sync-events reconcile', () => {
  it('says it is not configured without a key', async () => {
    delete process.env.AIRWEAVE_API_KEY;
    const error = await run([]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(/not configured: set AIRWEAVE_API_KEY/);
  });

  it('--dry-run --json: jobs checked and states that would be recovered, nothing written', async () => {
    process.env.AIRWEAVE_API_KEY = api.apiKey;
    const { code, out } = await run(['--dry-run', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out.lines.join('\n')) as Record<string, unknown>;
    expect(report).toMatchObject({
      outcome: 'ok',
      dry_run: true,
      jobs_checked: 1,
      states_recovered: 3,
      sources: [
        {
          source_connection_id: 'sc-gh',
          recovered: [{ event_type: 'sync.pending' }, {}, { event_type: 'sync.failed' }],
        },
      ],
    });
    expect(await engine.scan(LOCAL.tableName)).toEqual([]);
  });

  it('records what was missing, per source, then finds nothing left; --collection narrows', async () => {
    process.env.AIRWEAVE_API_KEY = api.apiKey;
    const { code, out } = await run(['--collection', 'eng-ab123']);
    expect(code).toBe(0);
    const text = out.lines.join('\n');
    expect(text).toMatch(/eng-ab123\s+sc-gh\s+github\s+1\s+pending job-1, running job-1, failed job-1/);
    expect(text).toMatch(/ok: 1 collections, 1 sources, 1 jobs checked, 3 states recovered/);
    const items = await engine.scan(LOCAL.tableName);
    expect(items.filter((i) => i.entity === 'event').every((i) => i.origin === 'reconciled')).toBe(true);
    const again = await run(['--json']);
    expect(JSON.parse(again.out.lines.join('\n'))).toMatchObject({ states_recovered: 0 });
  });

  it('a refused key exits 1 with the outcome', async () => {
    process.env.AIRWEAVE_API_KEY = 'wrong';
    const { code, out } = await run(['--dry-run']);
    expect(code).toBe(1);
    expect(out.lines.join('\n')).toMatch(/unauthorized/);
  });
});
