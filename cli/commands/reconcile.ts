import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { AirweaveHttpClient } from '../../lambda/adapters/airweave-client';
import { SecretsManagerApiKey } from '../../lambda/adapters/airweave-key';
import { SnsOperationsNotifier } from '../../lambda/adapters/operations-notifier';
import { compose } from '../../lambda/compose';
import { runtimeSettings } from '../../lambda/core/config';
import { noMetrics } from '../../lambda/core/metrics';
import type { Log } from '../../lambda/core/ports';
import { type OperationsNotifier, type ReconcileReport, runReconcile } from '../../lambda/core/reconcile';
import { STACK_OUTPUTS } from '../../lambda/core/stack-contract';
import { CliError } from '../errors';
import { line, status, table, truncate } from '../format';
import type { Output } from '../output';
import type { Target } from '../target';
import { notifierFor, starterFor } from './replay';

/**
 * The API key: AIRWEAVE_API_KEY, else (for a deployed stack) the stack's secret, the one its reconcile
 * function reads. Undefined while neither holds a key.
 */
async function apiKey(target: Target): Promise<string | undefined> {
  const fromEnv = process.env.AIRWEAVE_API_KEY?.trim();
  if (fromEnv) return fromEnv;
  const secret = target.outputs[STACK_OUTPUTS.airweaveApiKeySecretArn];
  if (target.kind !== 'stack' || !secret) return undefined;
  const client = new SecretsManagerClient(target.aws);
  try {
    return await new SecretsManagerApiKey(client, secret).current();
  } finally {
    client.destroy();
  }
}

function operationsFor(target: Target, out: Output): OperationsNotifier {
  const topic = target.outputs[STACK_OUTPUTS.operationsTopicArn];
  if (target.kind === 'stack' && topic) return new SnsOperationsNotifier(new SNSClient(target.aws), topic);
  return { notify: async (subject) => out.note(line`operations: ${subject}`) };
}

/** Problems go to stderr as they happen; the report is the result. */
function noteLog(out: Output): Log {
  const quiet = () => {};
  return { info: quiet, warn: quiet, error: (message) => out.note(message) };
}

/**
 * One reconciliation pass, now, from this machine: the same use case as the scheduled function, against the
 * local stack or a deployed stack's table. `--dry-run` reads Airweave and the table and writes nothing.
 */
export async function reconcile(
  target: Target,
  options: { collection?: string; dryRun?: boolean; json?: boolean },
  out: Output,
): Promise<number> {
  const key = await apiKey(target);
  if (key === undefined)
    throw new CliError(
      target.kind === 'stack'
        ? `reconciliation is not configured: put the Airweave API key in the secret ${target.outputs[STACK_OUTPUTS.airweaveApiKeySecretArn] ?? `(${STACK_OUTPUTS.airweaveApiKeySecretArn} output)`}, or set AIRWEAVE_API_KEY`
        : 'reconciliation is not configured: set AIRWEAVE_API_KEY (and AIRWEAVE_API_URL for another API than the config apiUrl)',
    );
  const apiUrl = process.env.AIRWEAVE_API_URL || target.config.airweave.apiUrl;
  const notifier = options.dryRun ? undefined : notifierFor(target, out);
  const starter = notifier && starterFor(target, notifier, out.note);
  const silent = { publishEvent: async () => {}, publishAlert: async () => {} };
  const report = await runReconcile(
    {
      ...compose(
        {
          stores: target.stores,
          settings: runtimeSettings(target.config),
          log: noteLog(out),
          metrics: noMetrics,
        },
        {
          notifier: notifier ?? silent,
          starter: starter ?? { start: async () => {} },
          registry: target.registry,
        },
      ),
      operations: operationsFor(target, out),
      api: new AirweaveHttpClient({ apiUrl, apiKey: key }),
      jobs: target.config.airweave.reconcile.jobs,
    },
    {
      ...(options.collection !== undefined && { collection: options.collection }),
      dryRun: options.dryRun ?? false,
    },
  );
  await starter?.idle?.();
  await notifier?.close?.();
  print(report, options.json ?? false, out, apiUrl);
  return report.outcome === 'ok' ? 0 : 1;
}

function print(report: ReconcileReport, json: boolean, out: Output, apiUrl: string): void {
  if (json) return out.print(JSON.stringify(report));
  if (report.sources.length > 0)
    out.print(
      table(
        ['COLLECTION', 'SOURCE', 'TYPE', 'JOBS', report.dry_run ? 'WOULD RECOVER' : 'RECOVERED', 'PROBLEMS'],
        report.sources.map((s) => [
          s.collection_readable_id,
          s.source_connection_id,
          s.source_type,
          s.jobs_checked,
          s.recovered.length === 0
            ? s.registered
              ? 'listed (awaiting first sync)'
              : '-'
            : s.recovered
                .map((r) => `${r.event_type.slice('sync.'.length)} ${r.sync_job_id.slice(0, 8)}`)
                .join(', '),
          truncate(s.problems.join('; '), 60),
        ]),
      ),
    );
  out.print('');
  out.print(
    line`${status(report.outcome)}: ${String(report.collections)} collections, ${String(report.sources.length)} sources, ${String(report.jobs_checked)} jobs checked, ${String(report.states_recovered)} states ${report.dry_run ? 'to recover (dry run: nothing written)' : 'recovered'} from ${apiUrl}`,
  );
  for (const problem of report.problems.slice(0, 20)) out.note(line`problem: ${problem}`);
  const errors = Object.entries(report.api_errors);
  if (errors.length > 0) out.note(line`API errors: ${errors.map(([s, n]) => `${s} x${n}`).join(', ')}`);
}
