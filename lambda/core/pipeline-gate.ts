import { createHash } from 'node:crypto';
import type { PipelineConfig } from './config';
import type { SyncEvent } from './events';
import type { FreshnessRecord } from './freshness';
import { toMillis } from './timestamp';

/** What a run consumed of one required source: the completion that made it ready. */
export interface Consumed {
  readonly source_connection_id: string | null;
  readonly source_type: string;
  readonly job_id: string;
  readonly completed_at: string;
}

/** The pipeline's gate item, as the store reads it back. */
export interface GateState {
  /** Incremented by every claim: the optimistic lock two concurrent completions race on. */
  readonly version: number;
  readonly consumed: Readonly<Record<string, Consumed>>;
  readonly last_started_at: string | null;
  /** The latest claimed execution, and whether its StartExecution is known to have succeeded. */
  readonly execution_name: string | null;
  readonly execution_input: string | null;
  readonly confirmed_execution: string | null;
  /** The failed job currently blocking the pipeline (alerted once). */
  readonly blocked_by: string | null;
}

/** The gate item as stored, read back. */
export function toGateState(item: Readonly<Record<string, unknown>>): GateState {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    version: typeof item.version === 'number' ? item.version : 0,
    consumed: (item.consumed ?? {}) as Record<string, Consumed>,
    last_started_at: text(item.last_started_at),
    execution_name: text(item.execution_name),
    execution_input: text(item.execution_input),
    confirmed_execution: text(item.confirmed_execution),
    blocked_by: text(item.blocked_by),
  };
}

/** The input every pipeline state machine receives. */
export interface PipelineInput {
  readonly pipeline: string;
  readonly collection: string;
  readonly consumed: Readonly<Record<string, Consumed>>;
  readonly triggered_by: { readonly sync_job_id: string; readonly svix_id: string };
}

export type GateDecision =
  | { readonly kind: 'waiting'; readonly missing: readonly string[] }
  | { readonly kind: 'blocked'; readonly requirement: string; readonly jobId: string }
  | { readonly kind: 'consumed' }
  | { readonly kind: 'cooldown'; readonly until: string }
  | { readonly kind: 'ready'; readonly consumed: Readonly<Record<string, Consumed>> };

export type PipelineSpec = Pick<
  PipelineConfig,
  'name' | 'collection' | 'requires' | 'window' | 'cooldown' | 'team'
>;

export function requirementMatches(
  requirement: string,
  source: { source_type: string; source_connection_id: string | null },
): boolean {
  return requirement === source.source_type || requirement === source.source_connection_id;
}

/** The pipelines an event concerns: same collection, and its source is one of the requirements. */
export function pipelinesFor(specs: readonly PipelineSpec[], event: SyncEvent): PipelineSpec[] {
  return specs.filter(
    (p) =>
      p.collection === event.collection_readable_id && p.requires.some((r) => requirementMatches(r, event)),
  );
}

/**
 * docs/DESIGN.md section 5, as a pure function of the collection's freshness and the gate: ready when every
 * required source completed within `window` of the triggering completion, at least one completion is
 * newer than what the previous run consumed, no required source's latest terminal state is a failure,
 * and the cooldown since the last start has passed.
 */
export function evaluateGate(
  spec: PipelineSpec,
  trigger: SyncEvent,
  records: readonly FreshnessRecord[],
  gate: GateState | undefined,
  now: Date,
): GateDecision {
  const windowMs = spec.window * 1000;
  const triggerMs = toMillis(trigger.timestamp);
  const consumed: Record<string, Consumed> = {};
  const missing: string[] = [];
  for (const requirement of spec.requires) {
    const candidates = records.filter((r) => requirementMatches(requirement, r));
    const failed = candidates.find((r) => r.last_terminal_state === 'failed');
    if (failed)
      return {
        kind: 'blocked',
        requirement,
        jobId: failed.last_failure_job_id ?? failed.latest_job_id ?? 'unknown',
      };
    // Several connections of one type: the most recent success stands for the type.
    const best = candidates
      .filter(
        // Stryker disable next-line ConditionalExpression: without the null check toMillis(null) is NaN, and NaN is within no window
        (r) => r.last_success_at !== null && Math.abs(triggerMs - toMillis(r.last_success_at)) <= windowMs,
      )
      .sort((a, b) => String(b.last_success_at).localeCompare(String(a.last_success_at)))[0];
    if (!best) {
      missing.push(requirement);
      continue;
    }
    consumed[requirement] = {
      source_connection_id: best.source_connection_id,
      source_type: best.source_type,
      job_id: best.last_success_job_id ?? '',
      completed_at: best.last_success_at as string,
    };
  }
  if (missing.length > 0) return { kind: 'waiting', missing };
  const newer = spec.requires.some((r) => {
    const previous = gate?.consumed[r]?.completed_at;
    return previous === undefined || (consumed[r] as Consumed).completed_at > previous;
  });
  if (!newer) return { kind: 'consumed' };
  // Stryker disable next-line ConditionalExpression,LogicalOperator: without a cooldown or a start, `until` is NaN and `now < NaN` is false: ready either way
  if (spec.cooldown !== undefined && gate?.last_started_at) {
    const until = toMillis(gate.last_started_at) + spec.cooldown * 1000;
    if (now.getTime() < until) return { kind: 'cooldown', until: new Date(until).toISOString() };
  }
  return { kind: 'ready', consumed };
}

/**
 * The execution name, derived from the claim alone (pipeline, claim number, what it consumed): a retried
 * request recomputes the same name, and Step Functions starts one execution per name.
 */
export function executionName(
  pipeline: string,
  version: number,
  consumed: Readonly<Record<string, Consumed>>,
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(Object.entries(consumed).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 12);
  return `${pipeline.slice(0, 50)}-${version}-${digest}`;
}
