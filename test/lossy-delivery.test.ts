import { AirweaveStandIn } from '../harness/airweave-stand-in';
import { type Engine, startEngine } from './helpers/engine';
import { lossyChannel, playLossyRun, scriptTruth } from '../harness/lossy-run';

/**
 * Issue 11's acceptance: the seeded lossy-delivery run (harness/lossy-run.ts) through the real webhook
 * handler on the local engine, with the reconciler asking the Airweave stand-in. After one reconcile period
 * `/freshness` tells the truth where the channel alone cannot. The run's roles make each promise bite on
 * every seed: a source whose every webhook is lost, a last failure lost, a last completion lost. The same
 * run without reconciliation breaks each promise; `bench/reconcile.ts` plays it beside this one and prints
 * both (kept out of CI for time).
 */
const SEED = 11;

let engine: Engine;
let api: AirweaveStandIn;
let apiUrl: string;
beforeAll(async () => {
  engine = await startEngine();
  api = new AirweaveStandIn();
  apiUrl = await api.start();
});
afterAll(async () => {
  await api.stop();
  await engine.stop();
});

it('after one reconcile period, /freshness tells the truth the lossy channel hid', async () => {
  const truth = scriptTruth(SEED);
  const channel = lossyChannel(truth, SEED);
  // The channel is as lossy as the issue says (and the seed fixes it): losses, repeats and re-publishes.
  expect(channel.lost).toBeGreaterThan(channel.sent * 0.1);
  expect(channel.duplicated).toBeGreaterThan(0);
  expect(channel.republished).toBeGreaterThan(0);
  // The roles' webhooks never arrive, so the promises below hold only if the reconciler keeps them.
  const role = (name: string) => truth.find((s) => s.role === name)!;
  const arrived = (source: string, type?: string, job?: string) =>
    channel.deliveries.some(
      (d) =>
        d.payload.source_connection_id === source &&
        (type === undefined || d.payload.event_type === type) &&
        (job === undefined || d.payload.sync_job_id === job),
    );
  expect(arrived(role('silent').source.id)).toBe(false);
  const lostFailure = role('lost-failure');
  expect(arrived(lostFailure.source.id, 'sync.failed', lostFailure.jobs.at(-1)!.id)).toBe(false);
  const lostCompletion = role('lost-completion');
  expect(arrived(lostCompletion.source.id, 'sync.completed', lostCompletion.jobs.at(-1)!.id)).toBe(false);

  const run = await playLossyRun({
    client: engine.client,
    newTable: () => engine.newTable(),
    api,
    apiUrl,
    truth,
    channel,
    stacks: ['reconciled'],
  });
  const reconciled = run.reconciled!;
  const final = reconciled.checks.at(-1)!;
  expect(final.at).toBe(run.finalAt);
  expect(final.listed).toBe(20);

  // With it: no source reported fresh or syncing whose latest job truly failed,
  expect(final.falseFresh).toEqual([]);
  // no job.stuck for a job that had ended, at any watchdog run,
  expect(reconciled.stuckAlerts.filter((a) => a.falseAlarm)).toEqual([]);
  // and every source connection the API lists appears in /freshness.
  expect(final.missing).toEqual([]);
  // The watchdog still raises the stuck job that is true: verifying first silences only false alarms.
  expect(reconciled.stuckAlerts.map((a) => a.job)).toEqual([role('truly-stuck').jobs.at(-1)!.id]);
  // Every source agrees with the truth once the period has passed.
  expect(final.agree).toBe(final.listed);
  expect(reconciled.statesRecovered).toBeGreaterThan(0);
});
