import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AirweaveHttpClient } from '../lambda/adapters/airweave-client';
import { DynamoSourceRegistry } from '../lambda/adapters/dynamo-source-registry';
import { dynamoStores } from '../lambda/adapters/store';
import { compose } from '../lambda/compose';
import { StaticSigningKeys } from '../lambda/adapters/signing-keys';
import type { AlertRoute, FreshnessRule } from '../lambda/core/config';
import type { SyncEvent } from '../lambda/core/events';
import { type MetricName, type MetricsSink } from '../lambda/core/metrics';
import type { PipelineSpec } from '../lambda/core/pipeline-gate';
import { makeQueryHandler } from '../lambda/query/app';
import { reconcileOnSuspicion, type ReconcileDeps, type SourceReport } from '../lambda/core/reconcile';
import type { WatchdogDeps } from '../lambda/core/watchdog';
import { makeWebhookHandler } from '../lambda/webhook/app';
import { NOW, SECRET } from './deliveries';
import { RecordingNotifier } from './recording-notifier';
import { RecordingStarter } from './recording-starter';
import { silentLog } from './silent-log';

/** Counts what the code under test emits, so a test can assert on the metrics the alarms read. */
export class RecordingMetrics implements MetricsSink {
  readonly counts: { name: MetricName; dimensions: Record<string, string>; value: number }[] = [];
  count(name: MetricName, dimensions: Readonly<Record<string, string>> = {}, value = 1): void {
    this.counts.push({ name, dimensions: { ...dimensions }, value });
  }
  seconds(): void {}
  sum(name: MetricName, dimensions: Record<string, string> = {}): number {
    return this.counts
      .filter((c) => c.name === name && Object.entries(dimensions).every(([k, v]) => c.dimensions[k] === v))
      .reduce((total, c) => total + c.value, 0);
  }
}

/** Everything the reconciler touches, wired as the Lambda entry points wire it, on one real table. */
export function reconcileWiring(
  client: DynamoDBClient,
  tableName: string,
  options: {
    apiUrl?: string;
    apiKey?: string;
    rules?: FreshnessRule[];
    routes?: Pick<AlertRoute, 'team' | 'match'>[];
    pipelines?: PipelineSpec[];
    now?: () => Date;
    jobs?: number;
    stuckAfterSeconds?: number;
  } = {},
) {
  const stores = dynamoStores(client, { tableName, retentionDays: 30 });
  const registry = new DynamoSourceRegistry(client, tableName);
  const notifier = new RecordingNotifier();
  const starter = new RecordingStarter();
  const metrics = new RecordingMetrics();
  const operations: { subject: string; body: Record<string, unknown> }[] = [];
  const reconcileSoon: SyncEvent[] = [];
  const suspicions: (SourceReport | undefined)[] = [];
  const checks: Promise<void>[] = [];
  const now = options.now ?? (() => NOW);
  const common = compose(
    {
      stores,
      settings: {
        retentionDays: 30,
        freshness: options.rules ?? [],
        alerts: options.routes ?? [],
        pipelines: options.pipelines ?? [],
        watchdog: { every: 5 * 60, stuckAfter: 6 * 3600 },
      },
      now,
      log: silentLog,
      metrics,
    },
    { starter, notifier, registry },
  );
  const reconcile: ReconcileDeps = {
    ...common,
    api:
      options.apiUrl === undefined
        ? undefined
        : new AirweaveHttpClient({ apiUrl: options.apiUrl, apiKey: options.apiKey ?? 'aw-test-key' }),
    operations: { notify: async (subject, body) => void operations.push({ subject, body }) },
    jobs: options.jobs ?? 5,
  };
  const watchdog: WatchdogDeps = {
    ...common,
    stuckAfterSeconds: options.stuckAfterSeconds ?? 6 * 3600,
  };
  return {
    stores,
    registry,
    notifier,
    starter,
    metrics,
    operations,
    reconcileSoon,
    suspicions,
    /** Resolves when every suspicion check handed over so far has finished (they may outlive the delivery). */
    settled: () => Promise.all(checks),
    reconcile,
    watchdog,
    webhook: makeWebhookHandler({
      ...common,
      keys: new StaticSigningKeys([SECRET]),
      reconcileSoon: (event) => {
        reconcileSoon.push(event);
        const check = reconcileOnSuspicion(reconcile, event).then((report) => void suspicions.push(report));
        checks.push(check.catch(() => undefined));
        return check;
      },
    }),
    query: makeQueryHandler(common),
  };
}
