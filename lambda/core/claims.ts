import { applyChange, cond, evaluate, type Item, type Rule } from './conditions';
import type { Consumed } from './pipeline-gate';
import type { EpisodeKind } from './ports';
import { keys } from './table-schema';

/**
 * The once-only rules (docs/DESIGN.md section 4): the failure alert's claim on the job, the watchdog's
 * episodes on the source, and the pipeline gate's claims. Each is one conditional write to one item;
 * a condition that does not hold is an answer ("someone else has it"), not an error.
 */
export interface KeyedRule extends Rule {
  readonly key: Readonly<Record<string, string>>;
}

/** A claim older than this was left by an attempt that died (the function times out long before). */
export const CLAIM_TTL_MS = 60_000;

function expiredBefore(now: string): string {
  return new Date(Date.parse(now) - CLAIM_TTL_MS).toISOString();
}

/**
 * Who holds a once-only claim: the message (its svix-id, the same on every retry) and this attempt at it
 * (unique), so a retry of the same message never mistakes a live earlier attempt's claim for its own.
 */
export interface Claimant {
  readonly message: string;
  readonly attempt: string;
}

/**
 * A claim that could not be taken: `busy` when an earlier attempt of the same message holds it and the
 * effect is not done yet, so this attempt must fail and be retried (docs/DESIGN.md section 4): answering
 * 2xx would end the sender's retries, and the effect would be lost if that earlier attempt had died.
 * A claim held by another message is `done` for this one: if its holder died, the holder's own message is
 * retried by its sender and finishes the effect.
 */
export type Standoff = 'busy' | 'done';

export function failureAlertStandoff(job: Item | undefined, message: string): Standoff {
  return job?.state === 'failed' && job.alert_sent_at === undefined && job.alert_claim_message === message
    ? 'busy'
    : 'done';
}

export function pipelineBlockStandoff(gate: Item | undefined, jobId: string, message: string): Standoff {
  return gate?.blocked_by === jobId && gate.blocked_alerted !== jobId && gate.blocked_message === message
    ? 'busy'
    : 'done';
}

export const claims = {
  /**
   * Claims a job's failure alert for one attempt: the job's final state is `failed`, the alert was not
   * sent, and no live claim is held (a claim older than `CLAIM_TTL_MS` was left by an attempt that died).
   */
  failureAlert: (jobId: string, claimant: Claimant, now: string): KeyedRule => ({
    key: keys.job(jobId),
    when: cond.all(
      cond.eq('state', 'failed'),
      cond.absent('alert_sent_at'),
      cond.any(cond.absent('alert_claim'), cond.lt('alert_claim_at', expiredBefore(now))),
    ),
    set: { alert_claim: claimant.attempt, alert_claim_message: claimant.message, alert_claim_at: now },
  }),

  /** Records the teams alerted and releases the claim; `complete` marks the alert sent for good. */
  settleFailureAlert: (
    jobId: string,
    claimant: Claimant,
    alerted: readonly string[],
    complete: boolean,
    now: string,
  ): KeyedRule => ({
    key: keys.job(jobId),
    when: cond.eq('alert_claim', claimant.attempt),
    ...(complete && { set: { alert_sent_at: now } }),
    ...(alerted.length > 0 && { add: { alerted_teams: new Set(alerted) } }),
    remove: ['alert_claim', 'alert_claim_message', 'alert_claim_at'],
  }),

  /** Opens a watchdog episode on an existing source unless that very episode is already open. */
  openEpisode: (collection: string, source: string, kind: EpisodeKind, episode: string): KeyedRule => ({
    key: keys.freshness(collection, source),
    when: cond.all(
      cond.present('pk'),
      cond.any(cond.absent(`${kind}_episode`), cond.ne(`${kind}_episode`, episode)),
    ),
    set: { [`${kind}_episode`]: episode },
  }),

  /** Closes an episode if it is still the one given. */
  closeEpisode: (collection: string, source: string, kind: EpisodeKind, episode: string): KeyedRule => ({
    key: keys.freshness(collection, source),
    when: cond.eq(`${kind}_episode`, episode),
    remove: [`${kind}_episode`],
  }),

  /** Claims the next run if the gate is still at `expectedVersion` (0: no gate yet): the optimistic lock. */
  pipelineRun: (
    spec: { readonly name: string; readonly collection: string },
    expectedVersion: number,
    claim: {
      readonly executionName: string;
      readonly input: string;
      readonly consumed: Readonly<Record<string, Consumed>>;
      readonly now: string;
    },
  ): KeyedRule => ({
    key: keys.pipelineGate(spec.name),
    when: expectedVersion === 0 ? cond.absent('version') : cond.eq('version', expectedVersion),
    set: {
      version: expectedVersion + 1,
      consumed: claim.consumed,
      last_started_at: claim.now,
      execution_name: claim.executionName,
      execution_input: claim.input,
      pipeline: spec.name,
      collection_readable_id: spec.collection,
      entity: 'pipeline',
    },
  }),

  /** Records that StartExecution accepted the claimed execution (unconditional). */
  confirmPipelineRun: (name: string, executionName: string): KeyedRule => ({
    key: keys.pipelineGate(name),
    when: cond.always(),
    set: { confirmed_execution: executionName },
  }),

  /**
   * Blocks a pipeline for a failed job: a new blocking job, or the same one whose alert was claimed by an
   * attempt that died before it was confirmed (the claim expired); a concurrent duplicate finds a fresh
   * claim and stands back (`pipelineBlockStandoff` says whether it must be retried).
   */
  blockPipeline: (
    spec: { readonly name: string; readonly collection: string },
    jobId: string,
    claimant: Claimant,
    now: string,
  ): KeyedRule => ({
    key: keys.pipelineGate(spec.name),
    when: cond.any(
      cond.absent('blocked_by'),
      cond.ne('blocked_by', jobId),
      cond.all(
        cond.any(cond.absent('blocked_alerted'), cond.ne('blocked_alerted', jobId)),
        cond.lt('blocked_at', expiredBefore(now)),
      ),
    ),
    set: {
      blocked_by: jobId,
      blocked_message: claimant.message,
      blocked_at: now,
      pipeline: spec.name,
      collection_readable_id: spec.collection,
      entity: 'pipeline',
    },
  }),

  /** Records that the block's alert went out, so an expired claim is not taken again. */
  confirmPipelineBlocked: (name: string, jobId: string): KeyedRule => ({
    key: keys.pipelineGate(name),
    when: cond.eq('blocked_by', jobId),
    set: { blocked_alerted: jobId },
  }),

  unblockPipeline: (name: string, jobId: string): KeyedRule => ({
    key: keys.pipelineGate(name),
    when: cond.eq('blocked_by', jobId),
    remove: ['blocked_by'],
  }),
};

/** The executable spec of a claim: the item after it, or undefined when its condition does not hold. */
export function applyRule(item: Item | undefined, rule: KeyedRule): Item | undefined {
  return evaluate(item, rule.when) ? applyChange(item, rule.key, rule) : undefined;
}
