import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../lambda/adapters/store';
import { StaticSigningKeys } from '../lambda/adapters/signing-keys';
import { compose } from '../lambda/compose';
import type { AlertRoute, FreshnessRule } from '../lambda/core/config';
import type { MetricsSink } from '../lambda/core/metrics';
import type { PipelineSpec } from '../lambda/core/pipeline-gate';
import type { Log, SigningKeys, Stores } from '../lambda/core/ports';
import { makeQueryHandler } from '../lambda/query/app';
import { makeWebhookHandler } from '../lambda/webhook/app';
import { NOW, SECRET } from './deliveries';
import { RecordingNotifier } from './recording-notifier';
import { RecordingStarter } from './recording-starter';
import { silentLog } from './silent-log';

export interface Wiring {
  readonly stores: Stores;
  readonly webhook: ReturnType<typeof makeWebhookHandler>;
  readonly query: ReturnType<typeof makeQueryHandler>;
  readonly notifier: RecordingNotifier;
  readonly starter: RecordingStarter;
}

/** The handlers wired to a real table by the same composition root as the Lambda entry points, with a fixed clock. */
export function wire(
  client: DynamoDBClient,
  tableName: string,
  options: {
    secrets?: string[];
    rules?: FreshnessRule[];
    routes?: Pick<AlertRoute, 'team' | 'match'>[];
    now?: () => Date;
    retentionDays?: number;
    notifier?: RecordingNotifier;
    pipelines?: PipelineSpec[];
    starter?: RecordingStarter;
    log?: Log;
    metrics?: MetricsSink;
    stores?: Stores;
    /** Default: the static keys of `secrets`. */
    keys?: SigningKeys;
  } = {},
): Wiring {
  // Long enough for the fixtures' April 2026 events to be within retention by the real clock (cli tests).
  const retentionDays = options.retentionDays ?? 400;
  const stores = options.stores ?? dynamoStores(client, { tableName, retentionDays });
  const notifier = options.notifier ?? new RecordingNotifier();
  const starter = options.starter ?? new RecordingStarter();
  const deps = compose(
    {
      stores,
      settings: {
        retentionDays,
        freshness: options.rules ?? [],
        alerts: options.routes ?? [],
        pipelines: options.pipelines ?? [],
        watchdog: { every: 5 * 60, stuckAfter: 6 * 3600 },
      },
      log: options.log ?? silentLog,
      now: options.now ?? (() => NOW),
      ...(options.metrics && { metrics: options.metrics }),
    },
    { notifier, starter, keys: options.keys ?? new StaticSigningKeys(options.secrets ?? [SECRET]) },
  );
  return {
    stores,
    notifier,
    starter,
    webhook: makeWebhookHandler(deps),
    query: makeQueryHandler({ ...deps, log: silentLog }),
  };
}

export function parseBody(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}
