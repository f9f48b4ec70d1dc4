import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { SDK_CLIENT_CONFIG, withoutSdkLogging } from '../lambda/adapters/sdk-clients';
import { fromWire, toWire } from '../lambda/adapters/store/dynamo-table';
import { createTableInput, failureIndexSinceItem } from '../lambda/adapters/table-definition';

/**
 * A DynamoDB client for an engine on loopback: any credentials do, and a failed call is not retried.
 *
 * It does not compute SigV4 signatures. The local engine (dynalite, like DynamoDB Local) checks that a
 * request carries an Authorization header of SigV4's form, with a date, and never checks the signature
 * itself; under load the signing (canonical request, body hash, HMACs) was about 7% of the local
 * server's CPU. The header below has that form and says what it is: a stand-in signature of zeros.
 * Otherwise it is made as the functions' clients are (`SDK_CLIENT_CONFIG`, no SDK logger middleware), so
 * the local stack pays what they pay per call.
 */
export function localDynamoClient(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return withoutSdkLogging(
    new DynamoDBClient({
      ...SDK_CLIENT_CONFIG,
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts,
      signer: { sign: unsignedForLoopback },
    }),
  );
}

/** The stand-in header of the current second (see `unsignedForLoopback`). */
let stamp = { second: -1, date: '', authorization: '' };

/** SigV4's header shape for an engine that reads it but never verifies it (see `localDynamoClient`). */
export async function unsignedForLoopback<R extends { headers: Record<string, string> }>(
  request: R,
): Promise<R> {
  const second = Math.floor(Date.now() / 1000);
  // The same header for every call within a second: built once, not per call.
  if (second !== stamp.second) {
    const date = new Date(second * 1000).toISOString().replace(/[-:]|\.\d{3}/g, ''); // 20261130T223045Z
    stamp = {
      second,
      date,
      authorization:
        `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/local/dynamodb/aws4_request, ` +
        `SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    };
  }
  request.headers['x-amz-date'] = stamp.date;
  request.headers.authorization = stamp.authorization;
  return request;
}

export interface LocalEngine {
  readonly endpoint: string;
  /** The in-process server (tests reach into it); absent when the engine runs in its own process. */
  readonly server: Server;
  stop(): Promise<void>;
}

/** What a supervised engine process tells its owner. */
export interface EngineEvents {
  /** The process died and is being started again; requests meanwhile fail and are worth a retry. */
  readonly onRestart?: (reason: string) => void;
  /** A restarted engine is serving again. */
  readonly onRestarted?: () => void;
  /** The engine is gone for good: it could not be started again, or keeps dying. */
  readonly onFatal?: (error: Error) => void;
}

/** More exits than this within `CRASH_WINDOW_MS` is a crash loop, not bad luck: give up. */
const MAX_RESTARTS = 3;
const CRASH_WINDOW_MS = 60_000;

export interface EngineProcess {
  readonly endpoint: string;
  /** The current engine process (it changes when the engine is restarted). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

function launch(options: { dataDir?: string; host: string; port: number }) {
  const child = fork(
    path.join(__dirname, 'engine-process.cjs'),
    [JSON.stringify({ path: options.dataDir, host: options.host, port: options.port })],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
      // LevelDB takes one writer at a time, and every get and put goes through libuv's thread pool: more
      // threads than two only contend for LevelDB's lock. Measured with 50 callers doing get + put on
      // this engine's LevelDB: 16 threads cost 68-75 us of CPU per pair, 2 threads 48 us, and finish
      // sooner. (The local server keeps its own, larger pool: `server.ts`.)
      env: { ...process.env, UV_THREADPOOL_SIZE: '2' },
    },
  );
  const ready = new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port?: number; error?: string; code?: string }) =>
      message.port !== undefined
        ? resolve(message.port)
        : reject(Object.assign(new Error(message.error), { code: message.code })),
    );
    child.once('exit', (code, signal) =>
      reject(new Error(`the engine process exited (${signal ?? code}) before it was ready`)),
    );
  });
  return { child, ready };
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/**
 * The engine in a child process (local mode and the benchmark): the same dynalite, persisted under
 * `dataDir`, but with a core of its own instead of sharing the HTTP handlers' event loop.
 *
 * Supervised: when the process dies it is started again on the same port and data, so requests fail
 * (the webhook answers 503, which Svix retries) only while it restarts. LevelDB's lock dies with the
 * process, and every write the engine acknowledged is on disk. A process that keeps dying, or cannot be
 * started again, is reported once through `onFatal`.
 */
export async function startEngineProcess(
  options: { dataDir?: string; host: string; port: number } & EngineEvents,
): Promise<EngineProcess> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const first = launch(options);
  let child = first.child;
  // The first start may pick a free port; every restart takes that same one, so clients keep their endpoint.
  const port = await first.ready;
  let stopping = false;
  let gaveUp = false;
  const exits: number[] = [];

  // Any exit counts, whether the engine was serving or still starting: a process killed while it starts,
  // or a port someone else took, is tried again within the same budget.
  const supervise = (current: ChildProcess, ready: Promise<number>) => {
    let startFailure: string | undefined;
    ready.then(
      () => !stopping && current !== first.child && options.onRestarted?.(),
      (error: Error) => (startFailure = error.message),
    );
    current.once('exit', (code, signal) => {
      if (stopping || gaveUp) return;
      const now = Date.now();
      exits.push(now);
      while (exits.length > 0 && (exits[0] as number) < now - CRASH_WINDOW_MS) exits.shift();
      const how = startFailure ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
      if (exits.length > MAX_RESTARTS) {
        gaveUp = true;
        return options.onFatal?.(
          new Error(`the engine process died ${exits.length} times within a minute (last: ${how})`),
        );
      }
      options.onRestart?.(`the engine process died (${how}); restarting it`);
      // A little longer after each exit, so a failure that repeats does not spin.
      setTimeout(
        () => {
          if (stopping) return;
          const next = launch({ ...options, port });
          child = next.child;
          supervise(next.child, next.ready);
        },
        200 * (exits.length - 1),
      );
    });
  };
  supervise(child, first.ready);

  return {
    endpoint: `http://${options.host}:${port}`,
    pid: () => (alive(child) ? child.pid : undefined),
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        // A process that already died has no IPC channel left to send to.
        if (!alive(child) || !child.connected) return resolve();
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

/**
 * The embedded DynamoDB-compatible engine (dynalite), persisted under `dataDir` when given (LevelDB)
 * or in memory, served on loopback so the CLI reaches it through the ordinary DynamoDB API.
 */
export async function startEngine(options: {
  dataDir?: string;
  host: string;
  port: number;
}): Promise<LocalEngine> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // dynalite is CommonJS without types; required here, not at the top, so the CLI (which only needs
  // `localDynamoClient` from this module) does not load the engine.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  // The engine process's memoized parsing, table cache and LevelDB options, here too, so every test
  // against this engine runs them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./expression-memo.cjs') as { installExpressionMemo(): void }).installExpressionMemo();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./table-cache.cjs') as { installTableCache(): void }).installTableCache();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./level-options.cjs') as { installLevelOptions(): void }).installLevelOptions();
  const server = dynalite({
    ...(options.dataDir ? { path: options.dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    endpoint: `http://${options.host}:${port}`,
    server,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Creates the table from the shared key schema unless it is already there (a restart on the same data). */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<'created' | 'existing'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existing';
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  // The persisted engine finishes creating a table asynchronously: serve nothing until it is ACTIVE.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') {
      await stampFailureIndex(client, tableName);
      return 'created';
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become active`);
}

/** Marks a table created with the failure index as holding every failure (see `failureIndexSinceItem`). */
export async function stampFailureIndex(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new PutItemCommand({ TableName: tableName, Item: toWire(failureIndexSinceItem()) }));
}

/** Every item of a table, as plain values (every page: a Scan stops at 1 MB). For tests and the benchmark. */
export async function scanTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: ScanCommandInput['ExclusiveStartKey'];
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []).map(fromWire));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
