import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '../cli/main';
import { CliError } from '../cli/errors';
import { httpListener } from '../local/http';
import { OTHER_SECRET, SECRET } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { wire } from '../harness/stack';

/** The command line's errors: one line that says what to do, and a non-zero exit code. */
let engine: Engine;
let server: Server;
let url: string;

beforeAll(async () => {
  engine = await startEngine();
  const { webhook } = wire(engine.client, await engine.newTable(), { now: () => new Date() });
  server = createServer(httpListener([{ matches: (p) => p === '/webhooks/airweave', handler: webhook }]));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/airweave`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await engine.stop();
});

async function failure(args: string[]): Promise<CliError> {
  const error = await main(args, () => {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('sync-events errors', () => {
  it('bad arguments exit 2 and point at --help', async () => {
    expect(await failure(['frob'])).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/unknown command "frob".*send, freshness/),
    });
    expect(await failure(['freshness'])).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/--local or --stack NAME.*--help/),
    });
    expect(await failure(['audit', '--local', '--limit', 'lots'])).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/--limit takes a number/),
    });
    expect(await failure(['audit', '--local', '--since', 'yesterday'])).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/--since takes a duration/),
    });
    expect(await failure(['send', '--local', '--bogus'])).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/bogus/),
    });
  });

  it('an unreachable local stack says to start it', async () => {
    const error = await failure(['freshness', '--local', '--endpoint', 'http://127.0.0.1:9']);
    expect(error).toMatchObject({ exitCode: 1, message: expect.stringMatching(/cannot reach .*npm start/) });
  });

  it('a rejected signature says which secret to check; the right secret is accepted', async () => {
    const error = await failure(['send', '--url', url, '--secret', OTHER_SECRET]);
    expect(error.message).toMatch(
      /rejected the signature \(no signature matches\).*--secret or AIRWEAVE_WEBHOOK_SECRET/,
    );
    const lines: string[] = [];
    expect(
      await main(['send', '--url', url, '--secret', SECRET, '--type', 'sync.failed', '--json'], (l) =>
        lines.push(l),
      ),
    ).toBe(0);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      status: 200,
      result: 'processed',
      payload: { event_type: 'sync.failed' },
    });
  });

  it('prints help for every command', async () => {
    for (const command of ['send', 'freshness', 'audit', 'jobs', 'pipelines', 'replay']) {
      const lines: string[] = [];
      expect(await main([command, '--help'], (l) => lines.push(l))).toBe(0);
      expect(lines.join('\n')).toContain(`sync-events ${command}`);
    }
  });
});
