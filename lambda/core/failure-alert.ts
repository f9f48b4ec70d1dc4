import { failureAlert, teamsFor } from './alerts';
import type { Claimant } from './claims';
import type { AlertRoute, FreshnessRule } from './config';
import { ClaimBusyError } from './errors';
import type { SyncEvent } from './events';
import { sourceFreshness } from './freshness';
import type { AlertLedger, Notifier } from './ports';

export interface FailureAlertDeps {
  readonly ledger: AlertLedger;
  readonly notifier: Notifier;
  readonly routes: readonly Pick<AlertRoute, 'team' | 'match'>[];
  readonly rules: readonly FreshnessRule[];
}

/**
 * Sends a failed job's alert to every matching team exactly once, whichever of its deliveries (retried,
 * duplicated, resent with a new svix-id, concurrent) gets here. Claim, publish to the teams not yet
 * alerted, settle; a failed publish releases the claim and throws, so the sender's retry finishes the job
 * without alerting a team twice. An attempt that finds an earlier attempt of its own message holding the
 * claim throws `ClaimBusyError` (503): answering 2xx would stop the retries that finish the alert if that
 * attempt died. Only a death between a publish and its settle sends that team's alert twice.
 */
export async function alertFailureOnce(
  deps: FailureAlertDeps,
  event: SyncEvent,
  claimant: Claimant,
  now: Date,
): Promise<void> {
  // The source's record is read beside the claim, not after it: the alert's body needs it whatever the
  // claim says, and one round trip less is 5 ms or so off a failure's answer (a wasted read when the
  // alert was already sent costs half a read unit).
  const [claim, record] = await Promise.all([
    deps.ledger.claimFailureAlert(event.sync_job_id, claimant, now.toISOString()),
    deps.ledger.sourceRecord(event.collection_readable_id, event.source_key),
  ]);
  if (claim === 'done') return;
  if (claim === 'busy')
    throw new ClaimBusyError(
      `the failure alert of job ${event.sync_job_id} is held by an earlier attempt of this delivery; retry later`,
    );
  const alert = failureAlert(event, record ? sourceFreshness(record, deps.rules, now) : null);
  const teams = teamsFor(event, deps.routes).filter((team) => !claim.alreadyAlerted.includes(team));
  const results = await Promise.allSettled(teams.map((team) => deps.notifier.publishAlert(team, alert)));
  const alerted = teams.filter((_, i) => results[i]?.status === 'fulfilled');
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  await deps.ledger.settleFailureAlert(
    event.sync_job_id,
    claimant,
    alerted,
    failure === undefined,
    now.toISOString(),
  );
  if (failure) throw failure.reason;
}
