import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SfnStarter } from '../../lambda/adapters/sfn-starter';
import { LocalPipelineStarter, localPipelines } from '../../local/pipeline-runner';
import path from 'node:path';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import { classifyPayload } from '../../lambda/core/events';
import { compose } from '../../lambda/compose';
import { runtimeSettings } from '../../lambda/core/config';
import { processDelivery } from '../../lambda/core/ingest';
import type { Log, Notifier, PipelineStarter } from '../../lambda/core/ports';
import { STACK_OUTPUTS } from '../../lambda/core/stack-contract';
import { LOCAL } from '../../local/defaults';
import { LocalNotifier } from '../../local/local-notifier';
import { CliError } from '../errors';
import { line, status, table, time, truncate } from '../format';
import type { Output } from '../output';
import type { Target } from '../target';

type Print = (line: string) => void;

/** The report table says what happened to each delivery; the use case's own log lines would repeat it. */
const silent: Log = { info: () => {}, warn: () => {}, error: () => {} };

export function starterFor(
  target: Target,
  notifier: Notifier,
  print: Print,
): PipelineStarter & { idle?: () => Promise<void> } {
  if (target.kind === 'local')
    return new LocalPipelineStarter(localPipelines(target.config, LOCAL.tableName), {
      client: target.client,
      notifier,
      print,
    });
  const machines = target.outputs[STACK_OUTPUTS.pipelineStateMachineArns];
  if (!machines)
    throw new CliError(`${target.name} has no ${STACK_OUTPUTS.pipelineStateMachineArns} output: redeploy it`);
  return new SfnStarter(new SFNClient(target.aws), JSON.parse(machines) as Record<string, string>);
}

export function notifierFor(target: Target, out: Output): Notifier & { close?: () => Promise<void> } {
  if (target.kind === 'local')
    return new LocalNotifier(path.join(target.dataDir, LOCAL.notificationsFile), () => {});
  const events = target.outputs[STACK_OUTPUTS.eventsTopicArn];
  const alerts = target.outputs[STACK_OUTPUTS.alertTopicArns];
  if (!events || !alerts)
    throw new CliError(
      `${target.name} has no ${STACK_OUTPUTS.eventsTopicArn} / ${STACK_OUTPUTS.alertTopicArns} outputs: redeploy it`,
    );
  out.note(line`publishing to ${events}`);
  return new SnsNotifier(new SNSClient(target.aws), events, JSON.parse(alerts) as Record<string, string>);
}

/**
 * Re-processes quarantined deliveries: each was verified when it arrived, so it goes straight to the
 * same processing as a live delivery (records, events topic, alerts). A delivery that is now recorded
 * leaves the quarantine; one that still cannot be parsed stays, with its reason.
 */
export async function replay(
  target: Target,
  options: { dryRun?: boolean; json?: boolean },
  out: Output,
): Promise<number> {
  const { print } = out;
  const items = await target.store.quarantined();
  const notifier = options.dryRun ? undefined : notifierFor(target, out);
  const starter = notifier && starterFor(target, notifier, out.note);
  const report: Array<{ svix_id: string; received_at: string; result: string; reason?: string }> = [];
  const deps =
    notifier && starter
      ? compose(
          { stores: target.stores, settings: runtimeSettings(target.config), log: silent },
          { notifier, starter, registry: target.registry },
        )
      : undefined;
  try {
    for (const item of items) report.push(await replayOne(item));
  } finally {
    // A replayed completion may have started a local pipeline run, and the notifications file is
    // written asynchronously: the command ends only once both are done, so nothing it started is cut off.
    await starter?.idle?.();
    await notifier?.close?.();
  }
  if (options.json) return (print(JSON.stringify({ replayed: report })), 0);
  if (report.length === 0) return (print(line`No quarantined deliveries in ${target.name}.`), 0);
  print(
    table(
      ['SVIX-ID', 'RECEIVED', 'RESULT', 'REASON'],
      report.map((r) => [r.svix_id, time(r.received_at), status(r.result), truncate(r.reason, 80)]),
    ),
  );
  return 0;

  async function replayOne(item: Record<string, unknown>): Promise<(typeof report)[number]> {
    const id = String(item.svix_id);
    const body = Buffer.from(item.body as Uint8Array);
    if (!deps) {
      const classified = classifyPayload(body.toString('utf8'));
      const result =
        classified.kind === 'lifecycle'
          ? 'would process'
          : classified.kind === 'ignored'
            ? 'would ignore'
            : 'quarantined';
      return {
        svix_id: id,
        received_at: String(item.received_at),
        result,
        ...(classified.kind === 'unparseable' && { reason: classified.reason }),
      };
    }
    const outcome = await processDelivery(
      deps,
      { id, receivedAt: String(item.received_at) },
      body,
      (item.headers ?? {}) as Record<string, string>,
      new Date(),
    );
    if (outcome.result !== 'quarantined') await target.stores.recorder.resolveQuarantine(id);
    return {
      svix_id: id,
      received_at: String(item.received_at),
      result: outcome.result,
      ...(outcome.reason && { reason: outcome.reason }),
    };
  }
}
