import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { version } from '../package.json';
import { CliError } from '../cli/errors';
import { EXIT, main } from '../cli/main';
import { collect } from '../cli/output';
import { awsClientConfig } from '../cli/target';
import { ensureTable } from '../local/engine';
import { LOCAL } from '../local/defaults';
import { httpListener } from '../local/http';
import { SECRET } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { wire } from '../harness/stack';

/** The command line's shared flags: --version, --check, --watch, one target flag, AWS region and profile. */
let engine: Engine;
let server: Server;
let webhookUrl: string;

beforeAll(async () => {
  engine = await startEngine();
  // `--local --endpoint` reads the local stack's table name, as `npm start` creates it.
  await ensureTable(engine.client, LOCAL.tableName);
  // Statuses come from the CLI's config (config/default.json: github and linear within 6 h).
  const { webhook } = wire(engine.client, LOCAL.tableName, { now: () => new Date() });
  server = createServer(httpListener([{ matches: (p) => p === '/webhooks/airweave', handler: webhook }]));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/airweave`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await engine.stop();
});

const local = () => ['--local', '--endpoint', engine.endpoint];

async function run(args: string[]): Promise<{ code: number; lines: string[]; notes: string[] }> {
  const out = collect();
  const code = await main(args, out);
  return { code, lines: out.lines, notes: out.notes };
}

async function send(...args: string[]): Promise<void> {
  const { code } = await run(['send', '--endpoint', webhookUrl, '--secret', SECRET, '--json', ...args]);
  expect(code).toBe(0);
}

describe('sync-events flags', () => {
  it('--version prints the package version; --help lists the exit codes', async () => {
    expect((await run(['--version'])).lines).toEqual([version]);
    expect((await run(['--help'])).lines.join('\n')).toMatch(/3 freshness --check/);
  });

  it('send takes --endpoint, and --url as its alias, but not both', async () => {
    await send('--collection', 'flags-a', '--source-type', 'github');
    const alias = await run(['send', '--url', webhookUrl, '--secret', SECRET, '--collection', 'flags-a']);
    expect(alias.code).toBe(0);
    await expect(
      main(['send', '--url', webhookUrl, '--endpoint', webhookUrl, '--secret', SECRET], () => {}),
    ).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/alias of --endpoint/) });
  });

  it('freshness --check exits 0 when every source is fresh and 3 when one is failed', async () => {
    await send('--collection', 'flags-check', '--source-type', 'github');
    const fresh = await run(['freshness', ...local(), '--collection', 'flags-check', '--check']);
    expect(fresh.code).toBe(EXIT.ok);
    await send('--collection', 'flags-check', '--source-type', 'linear', '--type', 'sync.failed');
    const failed = await run(['freshness', ...local(), '--collection', 'flags-check', '--check']);
    expect(failed.code).toBe(EXIT.stale);
    // The same answer with --json, and without --check the exit code stays 0.
    expect((await run(['freshness', ...local(), '--check', '--json'])).code).toBe(EXIT.stale);
    expect((await run(['freshness', ...local()])).code).toBe(EXIT.ok);
    await expect(main(['freshness', ...local(), '--check', '--watch'], () => {})).rejects.toMatchObject({
      exitCode: 2,
    });
  });

  it('human output writes times one way: ISO 8601 UTC with Z, and an age', async () => {
    await send('--collection', 'flags-time', '--source-type', 'github');
    const outputs = [
      await run(['freshness', ...local(), '--collection', 'flags-time']),
      await run(['audit', ...local(), '--collection', 'flags-time']),
      await run(['jobs', ...local(), '--collection', 'flags-time']),
    ].map((r) => r.lines.join('\n'));
    for (const text of outputs) {
      expect(text).toMatch(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\b/);
      // No second format: no space-separated date-time, no fractions of a second, no offsets.
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
      expect(text).not.toMatch(/:\d{2}\.\d+/);
    }
    expect(outputs[0]).toMatch(/\d{2}Z \(\d+ s ago\)/);
  });

  it('--watch answers again at each interval until stopped', async () => {
    const out = collect();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 2500);
    const code = await main(
      ['freshness', ...local(), '--collection', 'flags-a', '--json', '--watch', '1s'],
      out,
      controller.signal,
    );
    expect(code).toBe(0);
    expect(out.lines.length).toBeGreaterThanOrEqual(2);
    for (const l of out.lines) expect(JSON.parse(l)).toMatchObject({ collection_readable_id: 'flags-a' });
    // A bare --watch takes the default interval rather than the next flag as its value.
    const bare = new AbortController();
    setTimeout(() => bare.abort(), 200);
    expect(await main(['pipelines', '--watch', ...local()], () => {}, bare.signal)).toBe(0);
    await expect(main(['pipelines', ...local(), '--watch', 'often'], () => {})).rejects.toMatchObject({
      exitCode: 2,
    });
  });

  it('an unreachable deployed stack is not sent to npm start', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://127.0.0.1:9',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_MAX_ATTEMPTS: '1',
    });
    try {
      const error = (await main(['freshness', '--stack', 'Nowhere'], () => {}).catch(
        (e: unknown) => e,
      )) as CliError;
      expect(error).toBeInstanceOf(CliError);
      expect(error.message).toMatch(/cannot reach reading stack Nowhere/);
      expect(error.message).not.toMatch(/npm start/);
    } finally {
      process.env = saved;
    }
  });

  it('region and profile: flags first, then AWS_REGION, AWS_DEFAULT_REGION and the named profile', async () => {
    expect(awsClientConfig({}, { AWS_DEFAULT_REGION: 'ap-south-1' })).toEqual({ region: 'ap-south-1' });
    expect(awsClientConfig({}, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'ap-south-1' })).toEqual({
      region: 'eu-west-1',
    });
    expect(awsClientConfig({ region: 'us-west-2', profile: 'team' }, { AWS_REGION: 'eu-west-1' })).toEqual({
      region: 'us-west-2',
      profile: 'team',
    });

    // The SDK resolves a named profile's region and keys from the shared files, as the AWS CLI does.
    const dir = mkdtempSync(path.join(tmpdir(), 'sync-events-aws-'));
    writeFileSync(path.join(dir, 'config'), '[profile team]\nregion = eu-west-3\n');
    writeFileSync(
      path.join(dir, 'credentials'),
      '[team]\naws_access_key_id = AKIATEAMEXAMPLE\naws_secret_access_key = secret\n',
    );
    const saved = { ...process.env };
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID'])
      delete process.env[name];
    process.env.AWS_CONFIG_FILE = path.join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'credentials');
    try {
      const client = new CloudFormationClient(awsClientConfig({ profile: 'team' }));
      expect(await client.config.region()).toBe('eu-west-3');
      expect((await client.config.credentials()).accessKeyId).toBe('AKIATEAMEXAMPLE');
      client.destroy();
    } finally {
      process.env = saved;
    }
  });
});
