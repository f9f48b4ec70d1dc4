/**
 * `npm start`: the local stack. Like `bin/app.ts` for the CDK app, this is the one place local mode reads
 * the environment and files; it builds the options and hands them to `startLocalStack`.
 *
 *   SYNC_EVENTS_CONFIG        app config path (default: config/default.json)
 *   AIRWEAVE_WEBHOOK_SECRET   signing secret(s), comma-separated (default: generated, kept in the data folder)
 *   AIRWEAVE_API_KEY          Airweave API key: turns reconciliation on (default: off)
 *   AIRWEAVE_API_URL          Airweave's API (default: the config's airweave.apiUrl)
 *   SYNC_EVENTS_DATA          data folder (default: .sync-events/)
 *
 * Relative paths are relative to the project's folder, wherever the command was started.
 *   PORT, DYNAMODB_PORT       loopback ports (default: 3000, 8000)
 */
// The engine's LevelDB and the notifications file both use libuv's thread pool; its default of four
// threads queues them under load. Must be set before the first asynchronous file operation.
process.env.UV_THREADPOOL_SIZE ??= '16';

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readConfigFile } from '../bin/config-file';
import { ConfigError } from '../lambda/core/config';
import { formatDuration } from '../lambda/core/duration';
import { splitSecrets } from '../lambda/core/signature';
import { ROUTES } from '../lambda/core/stack-contract';
import { DEFAULT_CONFIG_PATH, fromProjectRoot, LOCAL, localDataDir } from './defaults';
import { batchedLines, drained } from '../cli/output';
import { DataFolderInUse, lockDataFolder } from './data-lock';
import { type LocalStack, startLocalStack } from './stack';

function port(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    fail(`${name} must be a port number, got "${text}"`);
  return value;
}

/** A reason not to start (or to stop) that the user can act on: printed as one line, exit code 1. */
class StackError extends Error {}

function fail(message: string): never {
  throw new StackError(message);
}

function loadConfig(file: string) {
  try {
    return readConfigFile(file);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

/** The secret from the environment, else the one generated on an earlier start, else a new one. */
function loadSecrets(dataDir: string): { secrets: string[]; origin: string } {
  const fromEnv = splitSecrets(process.env.AIRWEAVE_WEBHOOK_SECRET ?? '');
  if (fromEnv.length > 0) return { secrets: fromEnv, origin: 'from AIRWEAVE_WEBHOOK_SECRET' };
  const file = path.join(dataDir, LOCAL.secretFile);
  if (existsSync(file))
    return { secrets: splitSecrets(readFileSync(file, 'utf8')), origin: `kept in ${file}` };
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secrets: [secret], origin: `generated, kept in ${file}` };
}

// Every line the stack prints goes through one batched writer, so lines keep their order; whatever is
// pending is written when the process exits, however it exits.
const stdout = batchedLines((text) => void process.stdout.write(text));
process.on('exit', stdout.flush);

async function main(): Promise<void> {
  const configPath = process.env.SYNC_EVENTS_CONFIG
    ? fromProjectRoot(process.env.SYNC_EVENTS_CONFIG)
    : DEFAULT_CONFIG_PATH;
  const config = loadConfig(configPath);
  const dataDir = localDataDir();
  mkdirSync(dataDir, { recursive: true });
  let release: () => void;
  try {
    release = lockDataFolder(dataDir);
  } catch (error) {
    if (error instanceof DataFolderInUse) fail(error.message);
    throw error;
  }
  const { secrets, origin } = loadSecrets(dataDir);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stack?.stop();
    release();
    process.exitCode = code;
    // Everything said is written before the process ends: the last lines are the ones that matter.
    stdout.flush();
    await drained();
    process.exit(code);
  };

  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      config,
      secrets,
      dataDir,
      port: port('PORT', LOCAL.port),
      dynamodbPort: port('DYNAMODB_PORT', LOCAL.dynamodbPort),
      print: stdout.print,
      airweave: {
        apiUrl: process.env.AIRWEAVE_API_URL || config.airweave.apiUrl,
        apiKey: process.env.AIRWEAVE_API_KEY || undefined,
      },
      onEngineLost: (error) => {
        console.error(
          `sync-events: the local stack stopped: the embedded DynamoDB engine is gone (${error.message}); ` +
            `the data is kept in ${dataDir}`,
        );
        void stop(1);
      },
    });
  } catch (error) {
    release();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      fail(`a port is already in use (${(error as Error).message}); set PORT or DYNAMODB_PORT`);
    throw error;
  }

  const sendCommand = `npx sync-events send --local --type sync.completed --collection engineering-context-ab123 --source-type github`;
  stdout.print(
    [
      'airweave-sync-events: local stack running',
      `  webhook    POST ${stack.url}${ROUTES.webhook}`,
      `  freshness  GET  ${stack.url}/freshness`,
      `  board      GET  ${stack.url}/`,
      `  dynamodb   ${stack.dynamodbEndpoint}  table ${stack.tableName}  data ${dataDir}`,
      `  config     ${configPath}`,
      `  secret     ${secrets[0]}  (${origin})`,
      `  reconcile  ${process.env.AIRWEAVE_API_KEY ? `${process.env.AIRWEAVE_API_URL || config.airweave.apiUrl} every ${formatDuration(config.airweave.reconcile.every)}` : "off (set AIRWEAVE_API_KEY to reconcile with Airweave's API)"}`,
      '',
      'Send a signed test event, then look at freshness:',
      `  ${sendCommand}${stack.url.endsWith(`:${LOCAL.port}`) ? '' : ` --endpoint ${stack.url}${ROUTES.webhook}`}`,
      `  npx sync-events freshness --local${stack.dynamodbEndpoint.endsWith(`:${LOCAL.dynamodbPort}`) ? '' : ` --endpoint ${stack.dynamodbEndpoint}`}`,
      '',
      'Ctrl-C stops; the data stays for the next start.',
    ].join('\n'),
  );

  let stoppingSince = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches this process twice (from the terminal, and forwarded by npm): a repeat within two
    // seconds is that echo. A later one means stop waiting; the engine process exits with its parent.
    if (stopping) {
      if (Date.now() - stoppingSince > 2000) process.exit(130);
      return;
    }
    stoppingSince = Date.now();
    stdout.print(`\n${signal}: stopping`);
    void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The stack never outlives what started it: if npm (or the shell) is gone, this process was re-parented.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      stdout.print('the process that started the local stack exited: stopping');
      void stop(0);
    }
  }, 1000).unref();
}

main().catch(async (error: unknown) => {
  console.error(
    `sync-events: ${error instanceof StackError ? error.message : ((error as Error).stack ?? error)}`,
  );
  process.exitCode = 1;
  await drained();
  process.exit(1);
});
