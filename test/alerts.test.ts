import { silentLog } from '../harness/silent-log';
import { eventMessage } from '../lambda/core/outbound';
import type { AlertRoute, FreshnessRule } from '../lambda/core/config';
import { noMetrics } from '../lambda/core/metrics';
import { runWatchdog } from '../lambda/core/watchdog';
import { currentPayload, NOW, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { parseBody, wire } from '../harness/stack';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

const routes: Pick<AlertRoute, 'team' | 'match'>[] = [
  { team: 'platform', match: { collections: ['engineering-*'], sourceTypes: ['github', 'linear'] } },
  { team: 'data', match: { sourceTypes: ['github'] } },
  { team: 'support', match: { collections: ['support-kb'] } },
];

const failed = (overrides: Parameters<typeof currentPayload>[0] = {}) =>
  currentPayload({ event_type: 'sync.failed', error: 'GitHub token expired', ...overrides });

async function setup(options: { rules?: FreshnessRule[]; now?: () => Date } = {}) {
  const table = await engine.newTable();
  return { table, ...wire(engine.client, table, { routes, ...options }) };
}

describe('failure alerts', () => {
  it('go to every matching team, with a readable subject and the event and freshness in the body', async () => {
    const { webhook, notifier } = await setup();
    expect(parseBody(await webhook(signedRequest(failed())))).toEqual({ result: 'processed' });
    expect(notifier.alerts.map((a) => a.team).sort()).toEqual(['data', 'platform']);
    const { alert } = notifier.alerts[0] as (typeof notifier.alerts)[number];
    expect(alert.subject).toBe('Sync failed: engineering-context-ab123 / github: GitHub token expired');
    expect(alert.body).toMatchObject({
      kind: 'sync.failed',
      event: {
        event_type: 'sync.failed',
        sync_job_id: currentPayload().sync_job_id,
        error: 'GitHub token expired',
      },
      freshness: { status: 'failed', last_error: 'GitHub token expired', consecutive_failures: 1 },
    });
  });

  it('go to the default topic when no team matches', async () => {
    const { webhook, notifier } = await setup();
    await webhook(signedRequest(failed({ collection_readable_id: 'marketing', source_type: 'slack' })));
    expect(notifier.alerts.map((a) => a.team)).toEqual(['default']);
  });

  it('are sent once per job under repeated, resent and concurrent deliveries', async () => {
    const { webhook, notifier } = await setup();
    const payload = failed({ source_type: 'linear' });
    await webhook(signedRequest(payload, { id: 'msg_1' }));
    await webhook(signedRequest(payload, { id: 'msg_1' }));
    await webhook(signedRequest(payload, { id: 'msg_resent' }));
    const concurrent = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        webhook(signedRequest(failed({ sync_job_id: 'job-b' }), { id: `msg_c${i}` })),
      ),
    );
    expect(concurrent.every((r) => r.statusCode === 200)).toBe(true);
    expect(
      notifier.alerts
        .map((a) => `${a.team}:${(a.alert.body.event as { sync_job_id: string }).sync_job_id}`)
        .sort(),
    ).toEqual(['data:job-b', 'platform:0b7e3c9a-2f4d-4e8b-9c1a-6d5e4f3a2b1c', 'platform:job-b']);
  });

  it('a retry of a message whose earlier attempt is still publishing answers 503 and does not alert twice', async () => {
    const { webhook, notifier } = await setup();
    const release = notifier.hold();
    const first = webhook(signedRequest(failed(), { id: 'msg_slow' }));
    while (notifier.held < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    // Svix resends a message whose attempt has not answered yet: the same svix-id, at the same time.
    const retry = await webhook(signedRequest(failed(), { id: 'msg_slow' }));
    expect(retry.statusCode).toBe(503);
    release();
    expect((await first).statusCode).toBe(200);
    expect(notifier.alerts.map((a) => a.team).sort()).toEqual(['data', 'platform']);
    // The next retry finds the alert sent.
    expect((await webhook(signedRequest(failed(), { id: 'msg_slow' }))).statusCode).toBe(200);
    expect(notifier.alerts).toHaveLength(2);
  });

  it('a claim left by an attempt that died: its retries answer 503 until it expires, then the alert goes out once', async () => {
    const clock = { now: NOW };
    const { webhook, notifier } = await setup({ now: () => clock.now });
    notifier.hold(); // never released: this attempt died mid-publish, before anything was sent
    void webhook(signedRequest(failed(), { id: 'msg_died' }));
    while (notifier.held < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const retry = () =>
      webhook(signedRequest(failed(), { id: 'msg_died', timestamp: Math.floor(clock.now.getTime() / 1000) }));
    notifier.abandonHeld();
    expect((await retry()).statusCode).toBe(503);
    // Another message for the same job stands back: the dead attempt's own message is retried.
    expect((await webhook(signedRequest(failed(), { id: 'msg_other' }))).statusCode).toBe(200);
    expect(notifier.alerts).toEqual([]);
    clock.now = new Date(NOW.getTime() + 5 * 60_000); // Svix's retry after 5 minutes
    expect((await retry()).statusCode).toBe(200);
    expect((await retry()).statusCode).toBe(200);
    expect(notifier.alerts.map((a) => a.team).sort()).toEqual(['data', 'platform']);
  });

  it('a failed publish answers 503; the retry alerts only the teams not yet alerted', async () => {
    const { table, webhook, notifier } = await setup();
    notifier.failing.add('data');
    const first = await webhook(signedRequest(failed(), { id: 'msg_x' }));
    expect(first.statusCode).toBe(503);
    expect(notifier.alerts.map((a) => a.team)).toEqual(['platform']);

    notifier.failing.clear();
    const retry = await webhook(signedRequest(failed(), { id: 'msg_x' }));
    expect(retry.statusCode).toBe(200);
    await webhook(signedRequest(failed(), { id: 'msg_x' }));
    expect(notifier.alerts.map((a) => a.team)).toEqual(['platform', 'data']);
    // Nothing of the record was doubled by the retries.
    expect((await engine.scan(table)).filter((i) => i.entity === 'event')).toHaveLength(1);
  });

  it('are not sent for a job whose first terminal state was a success', async () => {
    const { webhook, notifier } = await setup();
    await webhook(signedRequest(currentPayload({ timestamp: '2026-04-23T13:50:00.000000Z' })));
    await webhook(signedRequest(failed({ timestamp: '2026-04-23T13:51:00.000000Z' })));
    expect(notifier.alerts).toEqual([]);
  });
});

describe('events topic', () => {
  it('carries every lifecycle event, normalized, with the attributes caches filter on', async () => {
    const { webhook, notifier } = await setup();
    await webhook(signedRequest(currentPayload({ event_type: 'sync.running' })));
    await webhook(signedRequest(currentPayload()));
    await webhook(signedRequest({ event_type: 'search.completed' }));
    expect(notifier.events.map((e) => e.event_type)).toEqual(['sync.running', 'sync.completed']);
    expect(eventMessage(notifier.events[1]!).attributes).toEqual({
      event_type: 'sync.completed',
      collection: 'engineering-context-ab123',
      source_type: 'github',
      source_connection_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      event_id: '0b7e3c9a-2f4d-4e8b-9c1a-6d5e4f3a2b1c:sync.completed',
    });
  });

  it('a failed publish answers 503 and the retry publishes without doubling the record', async () => {
    const { table, webhook, notifier } = await setup();
    notifier.failing.add('events');
    expect((await webhook(signedRequest(currentPayload(), { id: 'msg_e' }))).statusCode).toBe(503);
    notifier.failing.clear();
    expect((await webhook(signedRequest(currentPayload(), { id: 'msg_e' }))).statusCode).toBe(200);
    expect(notifier.events).toHaveLength(1);
    expect((await engine.scan(table)).filter((i) => i.entity === 'event')).toHaveLength(1);
  });
});

describe('watchdog', () => {
  const rules: FreshnessRule[] = [{ collection: 'engineering-*', sourceType: 'github', maxAge: 3600 }];
  const clock = { now: NOW };

  async function watchdogSetup() {
    const s = await setup({ rules, now: () => clock.now });
    const run = () =>
      runWatchdog({
        freshness: s.stores.freshness,
        ledger: s.stores.ledger,
        notifier: s.notifier,
        routes,
        rules,
        stuckAfterSeconds: 2 * 3600,
        now: () => clock.now,
        log: silentLog,
        metrics: noMetrics,
      });
    return { ...s, run };
  }

  beforeEach(() => {
    clock.now = NOW;
  });

  const at = (iso: string) => new Date(iso);
  const send = (
    webhook: Awaited<ReturnType<typeof setup>>['webhook'],
    overrides: Parameters<typeof currentPayload>[0],
  ) =>
    webhook(signedRequest(currentPayload(overrides), { timestamp: Math.floor(clock.now.getTime() / 1000) }));

  it('alerts once per stale episode, says recovered once, and opens a new episode later', async () => {
    const { webhook, notifier, run } = await watchdogSetup();
    await send(webhook, { timestamp: '2026-04-23T12:00:00.000000Z' });
    // A source without an SLA (slack) never goes stale, however old.
    await send(webhook, {
      source_type: 'slack',
      source_connection_id: 'conn-slack',
      sync_job_id: 'old',
      timestamp: '2026-01-01T00:00:00.000000Z',
    });

    clock.now = at('2026-04-23T13:30:00Z');
    await run();
    expect(notifier.alertsOf('source.stale')).toHaveLength(2); // platform and data
    await run();
    await run();
    expect(notifier.alertsOf('source.stale')).toHaveLength(2);
    expect(notifier.alerts.every((a) => a.alert.source_type === 'github')).toBe(true);

    await send(webhook, { sync_job_id: 'job-2', timestamp: '2026-04-23T13:29:00.000000Z' });
    await run();
    await run();
    expect(
      notifier
        .alertsOf('source.recovered')
        .map((a) => a.team)
        .sort(),
    ).toEqual(['data', 'platform']);

    clock.now = at('2026-04-23T15:00:00Z');
    const report = await run();
    expect(report).toMatchObject({ checked: 2, stale: 1, recovered: 0 });
    expect(notifier.alertsOf('source.stale')).toHaveLength(4);
  });

  it('alerts once when a job hangs, even with no webhook arriving', async () => {
    const { webhook, notifier, run } = await watchdogSetup();
    clock.now = at('2026-04-23T10:00:00Z');
    await send(webhook, {
      event_type: 'sync.completed',
      sync_job_id: 'j0',
      timestamp: '2026-04-23T09:59:00.000000Z',
    });
    await send(webhook, {
      event_type: 'sync.running',
      sync_job_id: 'j1',
      timestamp: '2026-04-23T10:00:00.000000Z',
    });
    clock.now = at('2026-04-23T10:30:00Z');
    await run();
    expect(notifier.alertsOf('job.stuck')).toEqual([]);
    clock.now = at('2026-04-23T12:30:00Z');
    await run();
    await run();
    const stuck = notifier.alertsOf('job.stuck');
    expect(stuck).toHaveLength(2);
    expect(stuck[0]!.alert.subject).toContain('active since 2026-04-23T10:00:00.000000Z');
  });

  it('a failed publish is retried by the next run, and alerts once', async () => {
    const { webhook, notifier, run } = await watchdogSetup();
    await send(webhook, { timestamp: '2026-04-23T12:00:00.000000Z' });
    clock.now = at('2026-04-23T13:30:00Z');
    notifier.failing.add('data');
    await expect(run()).rejects.toThrow(/watchdog failed for 1 source/);
    notifier.failing.clear();
    await run();
    await run();
    expect(notifier.alertsOf('source.stale').filter((a) => a.team === 'data')).toHaveLength(1);
  });

  it('overlapping runs alert once', async () => {
    const { webhook, notifier, run } = await watchdogSetup();
    await send(webhook, { timestamp: '2026-04-23T12:00:00.000000Z' });
    clock.now = at('2026-04-23T13:30:00Z');
    await Promise.all([run(), run(), run()]);
    expect(notifier.alertsOf('source.stale')).toHaveLength(2);
  });
});
