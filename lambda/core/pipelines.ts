import { DEFAULT_TEAM, subjectLine, type Alert } from './alerts';
import type { Claimant } from './claims';
import { ClaimBusyError } from './errors';
import { alertId } from './outbound';
import type { SyncEvent } from './events';
import {
  evaluateGate,
  executionName,
  pipelinesFor,
  type GateDecision,
  type PipelineInput,
  type PipelineSpec,
} from './pipeline-gate';
import type { FreshnessReader, Notifier, PipelineGates, PipelineStarter } from './ports';

export interface PipelineDeps {
  readonly pipelines: readonly PipelineSpec[];
  readonly gates: PipelineGates;
  readonly freshness: FreshnessReader;
  readonly starter: PipelineStarter;
  readonly notifier: Notifier;
}

export interface PipelineOutcome {
  readonly pipeline: string;
  readonly decision: GateDecision['kind'] | 'started' | 'lost-race' | 'late-failure';
  readonly executionName?: string;
}

/** Claim races lost in a row before giving up (each loss means another completion made progress). */
const MAX_CLAIM_ATTEMPTS = 5;

/**
 * The pipeline gate, run after an event is recorded. A completion of a required source evaluates the
 * gate and, when ready, claims the run with a conditional update, then starts the execution under a name
 * derived from the claim; a claimed but unconfirmed execution is started again (same name, same input)
 * by the next evaluation, so a failed StartExecution is retried and never doubled. A failure of a
 * required source blocks the pipeline with one alert per failed job.
 */
export async function advancePipelines(
  deps: PipelineDeps,
  event: SyncEvent,
  claimant: Claimant,
  now: Date,
): Promise<PipelineOutcome[]> {
  const specs = pipelinesFor(deps.pipelines, event);
  if (specs.length === 0 || (event.state !== 'completed' && event.state !== 'failed')) return [];
  if (event.state === 'failed') {
    // Only a failure that is still the source's latest terminal state blocks: a retried old failure
    // arriving after a newer success must not block the pipeline or alert.
    const source = (await liveRecords(deps, event)).find((r) => r.source_key === event.source_key);
    const current =
      source?.last_terminal_state === 'failed' && source.last_failure_job_id === event.sync_job_id;
    if (!current) return specs.map((spec) => ({ pipeline: spec.name, decision: 'late-failure' as const }));
    return Promise.all(specs.map((spec) => block(deps, spec, event, claimant, now)));
  }
  // A completion reads each gate beside the collection's records, not after them: the gate needs both,
  // neither read depends on the other (the claim's version condition is what orders concurrent
  // completions, whatever either read saw), and that is one round trip less.
  const [records, gates] = await Promise.all([
    liveRecords(deps, event),
    Promise.all(specs.map((spec) => deps.gates.pipelineGate(spec.name))),
  ]);
  return Promise.all(
    specs.map((spec, i) => startIfReady(deps, spec, event, records, gates[i], claimant.message, now)),
  );
}

/** The collection's sources; a retired one (deleted in Airweave) neither blocks a pipeline nor counts towards one. */
async function liveRecords(deps: PipelineDeps, event: SyncEvent) {
  const records = await deps.freshness.collectionFreshness(event.collection_readable_id);
  return records.filter((r) => r.retired_at === null);
}

async function block(
  deps: PipelineDeps,
  spec: PipelineSpec,
  event: SyncEvent,
  claimant: Claimant,
  now: Date,
): Promise<PipelineOutcome> {
  const claim = await deps.gates.blockPipeline(spec, event.sync_job_id, claimant, now.toISOString());
  if (claim === 'busy')
    throw new ClaimBusyError(
      `the block of pipeline ${spec.name} by job ${event.sync_job_id} is held by an earlier attempt of this delivery; retry later`,
    );
  if (claim === 'done') return { pipeline: spec.name, decision: 'blocked' };
  const alert: Alert = {
    kind: 'pipeline.blocked',
    alert_id: alertId('pipeline.blocked', spec.name, event.sync_job_id),
    subject: subjectLine(
      `Pipeline ${spec.name} blocked: ${event.source_type} failed in ${event.collection_readable_id}`,
    ),
    collection_readable_id: event.collection_readable_id,
    source_type: event.source_type,
    body: { kind: 'pipeline.blocked', pipeline: spec.name, event },
  };
  try {
    await deps.notifier.publishAlert(spec.team ?? DEFAULT_TEAM, alert);
  } catch (error) {
    await deps.gates.unblockPipeline(spec.name, event.sync_job_id);
    throw error;
  }
  await deps.gates.confirmPipelineBlocked(spec.name, event.sync_job_id);
  return { pipeline: spec.name, decision: 'blocked' };
}

async function startIfReady(
  deps: PipelineDeps,
  spec: PipelineSpec,
  event: SyncEvent,
  records: Awaited<ReturnType<FreshnessReader['collectionFreshness']>>,
  firstGate: Awaited<ReturnType<PipelineGates['pipelineGate']>>,
  deliveryId: string,
  now: Date,
): Promise<PipelineOutcome> {
  let gate = firstGate;
  for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
    // A lost claim means the gate moved: read it again.
    if (attempt > 0) gate = await deps.gates.pipelineGate(spec.name);
    // An earlier claim whose start was never confirmed: finish it first, under its own name and input.
    // Stryker disable next-line ConditionalExpression: a claim writes the name and the input together (claims.pipelineRun)
    if (gate?.execution_name && gate.execution_input && gate.confirmed_execution !== gate.execution_name) {
      await deps.starter.start(spec.name, gate.execution_name, gate.execution_input);
      await deps.gates.confirmPipelineRun(spec.name, gate.execution_name);
    }
    const decision = evaluateGate(spec, event, records, gate, now);
    if (decision.kind !== 'ready') return { pipeline: spec.name, decision: decision.kind };

    const version = (gate?.version ?? 0) + 1;
    const name = executionName(spec.name, version, decision.consumed);
    const input: PipelineInput = {
      pipeline: spec.name,
      collection: spec.collection,
      consumed: decision.consumed,
      triggered_by: { sync_job_id: event.sync_job_id, svix_id: deliveryId },
    };
    const inputText = JSON.stringify(input);
    const claimed = await deps.gates.claimPipelineRun(spec, gate?.version ?? 0, {
      executionName: name,
      input: inputText,
      consumed: decision.consumed,
      now: now.toISOString(),
    });
    if (!claimed) continue;
    await deps.starter.start(spec.name, name, inputText);
    await deps.gates.confirmPipelineRun(spec.name, name);
    return { pipeline: spec.name, decision: 'started', executionName: name };
  }
  return { pipeline: spec.name, decision: 'lost-race' };
}
