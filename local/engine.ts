import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { createTableInput } from '../lambda/adapters/table-definition';

/** A DynamoDB client for an engine on loopback: any credentials do, and a failed call is not retried. */
export function localDynamoClient(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
  });
}

export interface LocalEngine {
  readonly endpoint: string;
  /** The in-process server (tests reach into it); absent when the engine runs in its own process. */
  readonly server: Server;
  stop(): Promise<void>;
}

/**
 * The engine in a child process (local mode and the benchmark): the same dynalite, persisted under
 * `dataDir`, but with a core of its own instead of sharing the HTTP handlers' event loop.
 */
export async function startEngineProcess(options: {
  dataDir?: string;
  host: string;
  port: number;
}): Promise<Omit<LocalEngine, 'server'>> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child = fork(
    path.join(__dirname, 'engine-process.cjs'),
    [JSON.stringify({ path: options.dataDir, host: options.host, port: options.port })],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port?: number; error?: string; code?: string }) =>
      message.port !== undefined
        ? resolve(message.port)
        : reject(Object.assign(new Error(message.error), { code: message.code })),
    );
    child.once('exit', (code) =>
      reject(new Error(`the engine process exited (${code}) before it was ready`)),
    );
  });
  return {
    endpoint: `http://${options.host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
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
    if (Table?.TableStatus === 'ACTIVE') return 'created';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become active`);
}
