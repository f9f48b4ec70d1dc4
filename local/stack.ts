import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { dynamoStores } from '../lambda/adapters/store';
import { StaticSigningKeys } from '../lambda/adapters/signing-keys';
import { type AppConfig, runtimeSettings } from '../lambda/core/config';
import type { Log } from '../lambda/core/ports';
import { isQueryPath, ROUTES } from '../lambda/core/stack-contract';
import { compose } from '../lambda/compose';
import { runWatchdog } from '../lambda/core/watchdog';
import { makeQueryHandler } from '../lambda/query/app';
import { makeWebhookHandler } from '../lambda/webhook/app';
import { boardRoutes, notificationsFeed } from './board';
import { LOCAL } from './defaults';
import { ensureTable, localDynamoClient, startEngineProcess } from './engine';
import { httpListener, limitInFlight } from './http';
import { LocalNotifier } from './local-notifier';
import { LocalPipelineStarter, localPipelines } from './pipeline-runner';
import { type LocalAirweave, localReconciler } from './reconcile';
import { DynamoSourceRegistry } from '../lambda/adapters/dynamo-source-registry';
import { visible } from '../cli/terminal';

export interface LocalStackOptions {
  /** As `readConfigFile` returns it: handler steps' paths are absolute. */
  readonly config: AppConfig;
  readonly secrets: readonly string[];
  readonly dataDir: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly dynamodbPort?: number;
  readonly print?: (line: string) => void;
  /**
   * The embedded engine died and could not be restarted: the stack cannot serve any more.
   * @default - printed
   */
  readonly onEngineLost?: (error: Error) => void;
  /**
   * Airweave's API for reconciliation (`AIRWEAVE_API_URL`, `AIRWEAVE_API_KEY`).
   * @default - off
   */
  readonly airweave?: LocalAirweave;
}

export interface LocalStack {
  readonly url: string;
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  /** Resolves when every pipeline execution started so far has finished. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole stack on one machine: the embedded engine persisted under the data folder, the same
 * handlers as the Lambda functions behind a local HTTP server, notifications to the console and a file,
 * and the watchdog on a timer. Nothing here reads the environment: `server.ts` does.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? LOCAL.host;
  // Every console line carries data from deliveries (collection ids, errors): shown, never obeyed.
  const print = (line: string) => (options.print ?? console.log)(visible(line));
  const settings = runtimeSettings(options.config);
  const engine = await startEngineProcess({
    dataDir: path.join(options.dataDir, 'dynamodb'),
    host,
    port: options.dynamodbPort ?? LOCAL.dynamodbPort,
    onRestart: (reason) => print(`engine ${reason}; deliveries get 503 (Svix retries them) until it is back`),
    onRestarted: () => print('engine restarted: serving again'),
    onFatal: (error) => (options.onEngineLost ?? ((e: Error) => print(`engine lost: ${e.message}`)))(error),
  });
  const client = localDynamoClient(engine.endpoint);
  await ensureTable(client, LOCAL.tableName);

  const notifier = new LocalNotifier(path.join(options.dataDir, LOCAL.notificationsFile), print);
  const starter = new LocalPipelineStarter(localPipelines(options.config, LOCAL.tableName), {
    client,
    notifier,
    print,
  });
  // No metrics: they are for CloudWatch; locally the console log says the same.
  const deps = compose(
    {
      stores: dynamoStores(client, { tableName: LOCAL.tableName, retentionDays: settings.retentionDays }),
      settings,
      log: printLog(print),
    },
    {
      notifier,
      starter,
      keys: new StaticSigningKeys(options.secrets),
      registry: new DynamoSourceRegistry(client, LOCAL.tableName),
    },
  );
  const reconciler = localReconciler({
    deps,
    settings,
    airweave: options.airweave ?? { apiUrl: settings.airweave?.apiUrl ?? '', apiKey: undefined },
    print,
  });
  const webhook = makeWebhookHandler({ ...deps, ...reconciler.hooks.webhook });
  const query = makeQueryHandler(deps);

  const server: Server = createServer(
    httpListener([
      { matches: (p) => p === ROUTES.webhook, handler: limitInFlight(webhook, LOCAL.deliveriesInFlight) },
      {
        matches: isQueryPath,
        handler: query,
      },
      // The freshness board at `/`, reading the routes above and the alerts this stack wrote to its file.
      ...boardRoutes({
        target: 'local stack',
        feed: notificationsFeed(path.join(options.dataDir, LOCAL.notificationsFile)),
        now: deps.now,
      }),
    ]),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? LOCAL.port, host, () => resolve());
  });

  const everyMs = settings.watchdog.every * 1000;
  const watchdog = setInterval(() => {
    runWatchdog({ ...deps, ...reconciler.hooks.watchdog }).catch((error: unknown) =>
      print(`watchdog: ${(error as Error).message}`),
    );
  }, everyMs);
  watchdog.unref();
  reconciler.start();

  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    dynamodbEndpoint: engine.endpoint,
    tableName: LOCAL.tableName,
    idle: () => starter.idle(),
    async stop() {
      clearInterval(watchdog);
      await reconciler.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await starter.idle();
      await notifier.close();
      client.destroy();
      await engine.stop();
    },
  };
}

/** Request logs for a person at a terminal: one short line per delivery, problems in full. */
function printLog(print: (line: string) => void): Log {
  const line =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      const details = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      print(`${level.padEnd(6)} ${message}${details ? `  ${details}` : ''}`);
    };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}
