import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAuditHistory } from '../../lambda/adapters/audit-history';
import { DynamoSyncStore } from '../../lambda/adapters/dynamo-store';
import { silentLog } from './silent-log';
import { StaticSigningKeys } from '../../lambda/adapters/signing-keys';
import type { AlertRoute, FreshnessRule } from '../../lambda/core/config';
import { type MetricsSink, noMetrics } from '../../lambda/core/metrics';
import type { PipelineSpec } from '../../lambda/core/pipeline-gate';
import type { Log } from '../../lambda/core/ports';
import { makeQueryHandler } from '../../lambda/query/app';
import { makeWebhookHandler } from '../../lambda/webhook/app';
import { NOW, SECRET } from './deliveries';
import { RecordingNotifier } from './recording-notifier';
import { RecordingStarter } from './recording-starter';

export interface Wiring {
  readonly store: DynamoSyncStore;
  readonly webhook: ReturnType<typeof makeWebhookHandler>;
  readonly query: ReturnType<typeof makeQueryHandler>;
  readonly notifier: RecordingNotifier;
  readonly starter: RecordingStarter;
}

/** The handlers wired to a real table, as the Lambda entry points wire them, with a fixed clock. */
export function wire(
  client: DynamoDBClient,
  tableName: string,
  options: {
    secrets?: string[];
    rules?: FreshnessRule[];
    routes?: Pick<AlertRoute, 'team' | 'match'>[];
    now?: () => Date;
    notifier?: RecordingNotifier;
    pipelines?: PipelineSpec[];
    starter?: RecordingStarter;
    log?: Log;
    metrics?: MetricsSink;
  } = {},
): Wiring {
  const store = new DynamoSyncStore(client, { tableName, retentionDays: 30 });
  const now = options.now ?? (() => NOW);
  const notifier = options.notifier ?? new RecordingNotifier();
  const rules = options.rules ?? [];
  const starter = options.starter ?? new RecordingStarter();
  return {
    store,
    notifier,
    starter,
    webhook: makeWebhookHandler({
      recorder: store,
      ledger: store,
      gates: store,
      freshness: store,
      starter,
      pipelines: options.pipelines ?? [],
      notifier,
      routes: options.routes ?? [],
      rules,
      keys: new StaticSigningKeys(options.secrets ?? [SECRET]),
      now,
      log: options.log ?? silentLog,
      metrics: options.metrics ?? noMetrics,
    }),
    query: makeQueryHandler({
      freshness: store,
      pipelines: { specs: options.pipelines ?? [], reader: store },
      rules,
      history: new DynamoAuditHistory(client, tableName),
      retentionDays: 30,
      now,
      log: silentLog,
    }),
  };
}

export function parseBody(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}
