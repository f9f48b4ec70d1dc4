import { TableSourceRegistry } from '../lambda/adapters/store/source-registry';
import { memoryStores } from '../lambda/adapters/store/stores';
import { compose } from '../lambda/compose';
import type { AlertRoute } from '../lambda/core/config';
import { PayloadTooLargeError, SignatureError } from '../lambda/core/errors';
import { classifyPayload, type SyncEvent } from '../lambda/core/events';
import { deliveryIdProblem, MAX_DELIVERY_ID_BYTES } from '../lambda/core/boundary';
import { ingest, MAX_BODY_BYTES, processDelivery, SUSPICION_BUDGET_MS } from '../lambda/core/ingest';
import { fromDate } from '../lambda/core/timestamp';
import type { EventRecorder, SigningKeys } from '../lambda/core/ports';
import { decodeSecrets, signedHeaders } from '../lambda/core/signature';
import { settingsOf } from './helpers/core-fixtures';
import {
  type CurrentPayload,
  currentPayload,
  NOW,
  NOW_SECONDS,
  OTHER_SECRET,
  SECRET,
} from '../harness/deliveries';
import { RecordingNotifier } from '../harness/recording-notifier';
import { RecordingStarter } from '../harness/recording-starter';
import { silentLog } from '../harness/silent-log';

/**
 * The webhook use case on the in-memory stores (the executable spec that store.property.test.ts holds
 * equal to DynamoDB on the local engine), so every rule it applies runs in milliseconds under mutation.
 */
const COLLECTION = 'engineering-context-ab123';
/** The signing secret as local mode holds it: fixed, nothing to reload (the Secrets Manager adapter is tested in aws-adapters.test.ts). */
const fixedKeys: SigningKeys = {
  current: async () => decodeSecrets([SECRET]),
  reload: async () => undefined,
};
const at = (time: string) => `2026-04-23T${time}.000000Z`;

function setup(
  options: {
    document?: Record<string, unknown>;
    keys?: SigningKeys;
    reconcileSoon?: (e: SyncEvent) => Promise<void>;
  } = {},
) {
  const settings = settingsOf({
    freshness: [{ collection: '*', maxAge: '6h' }],
    alerts: [{ team: 'eng', match: { sourceTypes: ['github'] } }],
    pipelines: [
      { name: 'analysis', collection: COLLECTION, requires: ['github', 'linear'], window: '1h', team: 'eng' },
    ],
    ...options.document,
  });
  const stores = memoryStores({ retentionDays: settings.retentionDays });
  const notifier = new RecordingNotifier();
  const starter = new RecordingStarter();
  const deps = {
    ...compose(
      {
        stores,
        settings: {
          retentionDays: settings.retentionDays,
          freshness: settings.freshness,
          alerts: settings.alerts.map(
            ({ team, match }) => ({ team, match }) as Pick<AlertRoute, 'team' | 'match'>,
          ),
          pipelines: settings.pipelines,
          watchdog: settings.watchdog,
        },
        log: silentLog,
        now: () => NOW,
      },
      { notifier, starter, keys: options.keys ?? fixedKeys },
    ),
    ...(options.reconcileSoon && { reconcileSoon: options.reconcileSoon }),
  };
  let counter = 0;
  const deliver = (payload: unknown, extra: { id?: string; secret?: string; timestamp?: number } = {}) => {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const headers = signedHeaders(
      extra.secret ?? SECRET,
      extra.id ?? `msg_${++counter}`,
      extra.timestamp ?? NOW_SECONDS,
      text,
    );
    return ingest(deps, headers, Buffer.from(text));
  };
  return { deps, stores, notifier, starter, deliver };
}

const event = (type: string, job: string, time: string, extra: Partial<CurrentPayload> = {}) =>
  currentPayload({ event_type: type, sync_job_id: job, timestamp: at(time), ...extra });
/** The normalized event of a payload, for writing a record directly through the recorder. */
const syncEventOf = (payload: CurrentPayload): SyncEvent => {
  const classified = classifyPayload(JSON.stringify(payload));
  if (classified.kind !== 'lifecycle') throw new Error(`not a lifecycle event: ${classified.kind}`);
  return classified.event;
};
const completed = (type: string, job: string, time: string) =>
  event('sync.completed', job, time, { source_type: type, source_connection_id: `conn-${type}` });

describe('ingest on the in-memory stores', () => {
  it('records a new event once: processed, then a duplicate, with one audit event and one events-topic message each time', async () => {
    const { deliver, stores, notifier } = setup();
    const first = await deliver(event('sync.running', 'j1', '13:00:00'), { id: 'msg_a' });
    expect(first).toMatchObject({ result: 'processed', deliveryId: 'msg_a', event: { state: 'running' } });
    const again = await deliver(event('sync.running', 'j1', '13:00:00'), { id: 'msg_b' });
    expect(again).toMatchObject({ result: 'duplicate', deliveryId: 'msg_b' });
    expect(stores.table.items().filter((i) => i.entity === 'event')).toHaveLength(1);
    expect(notifier.events).toHaveLength(2);
  });

  it('reports how long the job ran when this delivery completes it, and only then', async () => {
    const { deliver } = setup();
    await deliver(event('sync.running', 'j1', '13:00:00'));
    const done = await deliver(event('sync.completed', 'j1', '13:02:30'));
    expect(done.syncDurationSeconds).toBe(150);
    const repeat = await deliver(event('sync.completed', 'j1', '13:02:30'));
    expect(repeat.syncDurationSeconds).toBeUndefined();
    // A later completion of a job already completed earlier does not move its completion time.
    const late = await deliver(event('sync.completed', 'j1', '13:05:00'), { id: 'msg_late' });
    expect(late.syncDurationSeconds).toBeUndefined();
    const { deliver: fresh } = setup();
    expect((await fresh(event('sync.completed', 'j2', '13:00:00'))).syncDurationSeconds).toBeUndefined();
    const { deliver: failing } = setup();
    await failing(event('sync.running', 'j3', '13:00:00'));
    expect((await failing(event('sync.failed', 'j3', '13:01:00'))).syncDurationSeconds).toBeUndefined();
  });

  it('records an event type it does not handle as ignored, and quarantines a body that is not a sync event', async () => {
    const { deliver, stores } = setup();
    expect(await deliver({ event_type: 'entity.created' })).toMatchObject({ result: 'ignored' });
    const broken = await deliver('{"event_type": "sync.completed"', { id: 'msg_broken' });
    expect(broken).toMatchObject({
      result: 'quarantined',
      deliveryId: 'msg_broken',
      reason: expect.any(String),
    });
    expect(
      stores.table
        .items()
        .map((i) => i.entity)
        .sort(),
    ).toEqual(['ignored', 'quarantine']);
  });

  it('quarantines an event outside the boundary (a time far past the signature) before any other write', async () => {
    const { deliver, stores, notifier } = setup();
    const outcome = await deliver(
      event('sync.completed', 'j1', '13:00:00', { timestamp: '2026-04-24T13:00:00Z' }),
    );
    expect(outcome).toMatchObject({ result: 'quarantined', reason: expect.stringContaining('timestamp') });
    expect(stores.table.items().map((i) => i.entity)).toEqual(['quarantine']);
    expect(notifier.events).toEqual([]);
  });

  it('refuses a body over the limit before checking its signature, and an unsigned or wrongly signed one', async () => {
    const { deps, deliver } = setup();
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 'a');
    await expect(ingest(deps, {}, big)).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(ingest(deps, {}, big)).rejects.toThrow('body is over 262144 bytes');
    await expect(ingest(deps, {}, Buffer.alloc(MAX_BODY_BYTES, ' '))).rejects.toBeInstanceOf(SignatureError);
    await expect(
      deliver(event('sync.running', 'j1', '13:00:00'), { secret: OTHER_SECRET }),
    ).rejects.toMatchObject({
      reason: 'no-match',
    });
  });

  it('after a key rotation, looks once more with reloaded keys before refusing', async () => {
    const rotated = {
      reloads: 0,
      current: async () => decodeSecrets([SECRET]),
      async reload() {
        this.reloads++;
        return decodeSecrets([OTHER_SECRET]);
      },
    };
    const { deliver } = setup({ keys: rotated });
    expect(await deliver(event('sync.running', 'j1', '13:00:00'), { secret: OTHER_SECRET })).toMatchObject({
      result: 'processed',
    });
    expect(rotated.reloads).toBe(1);
    // A stale signature is refused without a reload: a new key cannot help.
    await expect(
      deliver(event('sync.running', 'j2', '13:00:00'), {
        secret: OTHER_SECRET,
        timestamp: NOW_SECONDS - 3600,
      }),
    ).rejects.toBeInstanceOf(SignatureError);
    expect(rotated.reloads).toBe(1);
  });

  it('alerts a failed job to every matching team once, with the freshness it left', async () => {
    const { deliver, notifier } = setup();
    await deliver(event('sync.failed', 'j1', '13:00:00', { error: 'token expired' }), { id: 'msg_1' });
    await deliver(event('sync.failed', 'j1', '13:00:00', { error: 'token expired' }), { id: 'msg_2' });
    const alerts = notifier.alertsOf('sync.failed');
    expect(alerts.map((a) => a.team)).toEqual(['eng']);
    expect(alerts[0]!.alert).toMatchObject({
      collection_readable_id: COLLECTION,
      source_type: 'github',
      body: { freshness: { status: 'failed', consecutive_failures: 1, last_error: 'token expired' } },
    });
  });

  it('a failed alert publish fails the delivery, and the retry alerts only the teams not yet told', async () => {
    const { deliver, notifier } = setup({
      document: { alerts: [{ team: 'eng' }, { team: 'ops' }], pipelines: [] },
    });
    notifier.failing.add('ops');
    const failure = event('sync.failed', 'j1', '13:00:00');
    await expect(deliver(failure, { id: 'msg_1' })).rejects.toThrow('topic of ops unavailable');
    notifier.failing.clear();
    await deliver(failure, { id: 'msg_1' });
    expect(notifier.alertsOf('sync.failed').map((a) => a.team)).toEqual(['eng', 'ops']);
  });

  it('starts a pipeline when its last requirement completes, and says so in the outcome', async () => {
    const { deliver, starter } = setup();
    expect((await deliver(completed('github', 'g1', '13:00:00'))).pipelines).toEqual([
      { pipeline: 'analysis', decision: 'waiting' },
    ]);
    const outcome = await deliver(completed('linear', 'l1', '13:10:00'), { id: 'msg_l1' });
    expect(outcome.pipelines).toEqual([
      { pipeline: 'analysis', decision: 'started', executionName: expect.stringMatching(/^analysis-1-/) },
    ]);
    expect(starter.inputs('analysis')).toEqual([
      {
        pipeline: 'analysis',
        collection: COLLECTION,
        consumed: {
          github: expect.objectContaining({ job_id: 'g1', completed_at: at('13:00:00') }),
          linear: expect.objectContaining({ job_id: 'l1', completed_at: at('13:10:00') }),
        },
        triggered_by: { sync_job_id: 'l1', svix_id: 'msg_l1' },
      },
    ]);
    // The same completions again: consumed, no second run.
    expect((await deliver(completed('linear', 'l1', '13:10:00'))).pipelines).toEqual([
      { pipeline: 'analysis', decision: 'consumed' },
    ]);
    expect(starter.executions.size).toBe(1);
  });

  it('a StartExecution that failed after the claim is started again, under the same name, by the next evaluation', async () => {
    const { deliver, starter } = setup();
    await deliver(completed('github', 'g1', '13:00:00'));
    starter.failing = true;
    await expect(deliver(completed('linear', 'l1', '13:10:00'))).rejects.toThrow('states unavailable');
    starter.failing = false;
    const retry = await deliver(completed('linear', 'l1', '13:10:00'));
    expect(retry.pipelines).toEqual([{ pipeline: 'analysis', decision: 'consumed' }]);
    expect(starter.executions.size).toBe(1);
    expect([...starter.executions.keys()][0]).toMatch(/^analysis-1-/);
  });

  it('a failure of a required source blocks the pipeline with one alert to its team; an old failure does not', async () => {
    const { deliver, notifier } = setup();
    const failure = event('sync.failed', 'l1', '13:00:00', {
      source_type: 'linear',
      source_connection_id: 'conn-linear',
    });
    expect((await deliver(failure, { id: 'msg_1' })).pipelines).toEqual([
      { pipeline: 'analysis', decision: 'blocked' },
    ]);
    expect((await deliver(failure, { id: 'msg_2' })).pipelines).toEqual([
      { pipeline: 'analysis', decision: 'blocked' },
    ]);
    const blocked = notifier.alertsOf('pipeline.blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({
      team: 'eng',
      alert: {
        subject: `Pipeline analysis blocked: linear failed in ${COLLECTION}`,
        alert_id: expect.any(String),
        body: { kind: 'pipeline.blocked', pipeline: 'analysis' },
      },
    });
    // A newer success, then the old failure retried: late, neither blocks nor alerts.
    await deliver(completed('linear', 'l2', '13:10:00'));
    expect((await deliver(failure, { id: 'msg_3' })).pipelines).toEqual([
      { pipeline: 'analysis', decision: 'late-failure' },
    ]);
    expect(notifier.alertsOf('pipeline.blocked')).toHaveLength(1);
  });

  it('a block whose alert could not be published is released, so the retry alerts', async () => {
    const { deliver, notifier } = setup({
      document: {
        alerts: [],
        pipelines: [{ name: 'analysis', collection: COLLECTION, requires: ['linear'], window: '1h' }],
      },
    });
    notifier.failing.add('default');
    const failure = event('sync.failed', 'l1', '13:00:00', {
      source_type: 'linear',
      source_connection_id: 'conn-linear',
    });
    await expect(deliver(failure)).rejects.toThrow('topic of default unavailable');
    notifier.failing.clear();
    await deliver(failure);
    expect(notifier.alertsOf('pipeline.blocked').map((a) => a.team)).toEqual(['default']);
  });

  it('events that are neither completions nor failures, or concern no pipeline, leave the gates alone', async () => {
    const { deliver } = setup();
    expect((await deliver(event('sync.running', 'g1', '13:00:00'))).pipelines).toEqual([]);
    const elsewhere = event('sync.completed', 's1', '13:00:00', {
      source_type: 'slack',
      source_connection_id: 'c-s',
    });
    expect((await deliver(elsewhere)).pipelines).toEqual([]);
  });

  it('asks the reconciler about a pending or running job, and never fails the delivery over it', async () => {
    const asked: string[] = [];
    const { deliver } = setup({
      reconcileSoon: async (e) => {
        asked.push(`${e.state}:${e.sync_job_id}`);
        if (e.sync_job_id === 'j3') throw new Error('invoke failed');
      },
    });
    await deliver(event('sync.pending', 'j1', '13:00:00'));
    await deliver(event('sync.running', 'j2', '13:00:00'));
    await deliver(event('sync.completed', 'j2', '13:01:00'));
    expect(await deliver(event('sync.running', 'j3', '13:00:00'))).toMatchObject({ result: 'processed' });
    expect(asked).toEqual(['pending:j1', 'running:j2', 'running:j3']);
  });

  it('a write refused for good quarantines the delivery and takes back its audit event; a transient one throws', async () => {
    const { deps, stores } = setup();
    const body = Buffer.from(JSON.stringify(event('sync.running', 'j1', '13:00:00')));
    const refuse = (name: string) => async () => {
      throw Object.assign(new Error(`${name} refused`), { name });
    };
    const delivery = { id: 'msg_p', receivedAt: NOW.toISOString() };
    // The in-memory recorder, with the job write refused the way DynamoDB refuses (an error name).
    const refusingJob = (name: string) =>
      new Proxy(stores.recorder, {
        get: (target, property) =>
          property === 'advanceJob'
            ? refuse(name)
            : (target[property as keyof EventRecorder] as (...args: never[]) => unknown).bind(target),
      });
    const permanent = { ...deps, recorder: refusingJob('ValidationException') };
    const outcome = await processDelivery(permanent, delivery, body, {}, NOW);
    expect(outcome).toMatchObject({ result: 'quarantined', reason: expect.stringContaining('job record') });
    expect(
      stores.table
        .items()
        .map((i) => i.entity)
        .sort(),
    ).toEqual(['freshness', 'quarantine']);

    const transient = { ...deps, recorder: refusingJob('ThrottlingException') };
    await expect(processDelivery(transient, delivery, body, {}, NOW)).rejects.toThrow(
      'ThrottlingException refused',
    );
    // A transient failure keeps the audit event: the retry finds it and completes the rest.
    expect(stores.table.items().filter((i) => i.entity === 'event')).toHaveLength(1);
  });

  it('takes back only an audit event this delivery added, and only when one of the records was refused', async () => {
    const { deps, stores } = setup();
    const refusing = <T extends object>(target: T, method: string, name: string): T =>
      new Proxy(target, {
        get: (object, property) =>
          property === method
            ? async () => {
                throw Object.assign(new Error(`${name} refused`), { name });
              }
            : (object[property as keyof T] as (...args: never[]) => unknown).bind(object),
      });
    const events = () => stores.table.items().filter((i) => i.entity === 'event');
    const delivery = { id: 'msg_t', receivedAt: NOW.toISOString() };
    // The events topic refusing for good: the records all stand, so the audit event stays.
    const running = Buffer.from(JSON.stringify(event('sync.running', 'j1', '13:00:00')));
    const topicRefused = { ...deps, notifier: refusing(deps.notifier, 'publishEvent', 'InvalidParameter') };
    expect(await processDelivery(topicRefused, delivery, running, {}, NOW)).toMatchObject({
      result: 'quarantined',
      reason: expect.stringContaining('events topic refused: InvalidParameter'),
    });
    expect(events()).toHaveLength(1);
    // A duplicate whose job write is refused: the audit event is an earlier delivery's, kept.
    const jobRefused = { ...deps, recorder: refusing(stores.recorder, 'advanceJob', 'ValidationException') };
    expect(await processDelivery(jobRefused, delivery, running, {}, NOW)).toMatchObject({
      result: 'quarantined',
    });
    expect(events()).toHaveLength(1);
  });

  it('claims no failure alert for an event that is not a failure', async () => {
    const { deps } = setup();
    const claimed: string[] = [];
    const ledger = new Proxy(deps.ledger, {
      get: (object, property) => {
        const member = (object[property as keyof typeof object] as (...args: never[]) => unknown).bind(
          object,
        );
        return property === 'claimFailureAlert'
          ? (...args: never[]) => {
              claimed.push(String(args[0]));
              return member(...args);
            }
          : member;
      },
    });
    const deliver = (payload: CurrentPayload) =>
      processDelivery(
        { ...deps, ledger },
        { id: 'msg_c', receivedAt: NOW.toISOString() },
        Buffer.from(JSON.stringify(payload)),
        {},
        NOW,
      );
    await deliver(event('sync.running', 'j1', '13:00:00'));
    await deliver(event('sync.completed', 'j1', '13:01:00'));
    expect(claimed).toEqual([]);
    await deliver(event('sync.failed', 'j2', '13:01:00'));
    expect(claimed).toEqual(['j2']);
  });

  it('reports a duration only for the completion that set the completion time, and never as an empty field', async () => {
    const { deliver, stores } = setup();
    const running = await deliver(event('sync.running', 'j1', '13:00:00'));
    expect('syncDurationSeconds' in running).toBe(false);
    await deliver(event('sync.completed', 'j1', '13:02:00'));
    // A failure at the very time of the completion: new, moves the job, but is no completion.
    const failed = await deliver(event('sync.failed', 'j1', '13:02:00'));
    expect(failed.result).toBe('processed');
    expect('syncDurationSeconds' in failed).toBe(false);
    // A job whose record already holds a completion and a later event (its own audit event taken back):
    // a new completion changes nothing, or moves only the job's last update, not its completion time.
    await stores.recorder.advanceJob(syncEventOf(event('sync.running', 'j2', '13:00:00')));
    await stores.recorder.advanceJob(syncEventOf(event('sync.completed', 'j2', '13:01:00')));
    await stores.recorder.advanceJob(syncEventOf(event('sync.failed', 'j2', '13:05:00')));
    const unchanged = await deliver(event('sync.completed', 'j2', '13:01:00'));
    expect(unchanged.result).toBe('processed');
    expect('syncDurationSeconds' in unchanged).toBe(false);
    await stores.recorder.advanceJob(syncEventOf(event('sync.running', 'j3', '13:00:00')));
    await stores.recorder.advanceJob(syncEventOf(event('sync.completed', 'j3', '13:01:00')));
    const moved = await deliver(event('sync.completed', 'j3', '13:06:00'));
    expect(moved.result).toBe('processed');
    expect('syncDurationSeconds' in moved).toBe(false);
  });
});

describe('ingest, what it keeps and when it answers', () => {
  it('a signed delivery whose svix-id cannot key its records is quarantined whole, keeping only the signature headers', async () => {
    const { deps, stores, notifier } = setup();
    const id = `msg_${'x'.repeat(MAX_DELIVERY_ID_BYTES)}`;
    const body = JSON.stringify(event('sync.running', 'j1', '13:00:00'));
    const headers: Record<string, string> = {
      ...signedHeaders(SECRET, id, NOW_SECONDS, body),
      'x-forwarded-for': '10.0.0.1',
    };
    const outcome = await ingest(deps, headers, Buffer.from(body));
    expect(outcome).toEqual({ result: 'quarantined', deliveryId: id, reason: deliveryIdProblem(id) });
    expect(outcome.reason).toContain('svix-id');
    const [item, ...others] = stores.table.items();
    expect(others).toEqual([]);
    expect(item).toMatchObject({
      entity: 'quarantine',
      svix_id: id,
      received_at: fromDate(NOW),
      reason: deliveryIdProblem(id),
      body: Buffer.from(body),
      headers: {
        'svix-id': id,
        'svix-timestamp': String(NOW_SECONDS),
        'svix-signature': headers['svix-signature'],
      },
    });
    expect(notifier.events).toEqual([]);
  });

  it('keeps the webhook-* signature headers of a quarantined delivery, and nothing else', async () => {
    const { deps, stores } = setup();
    const body = '{"event_type": "sync.completed"';
    const svix = signedHeaders(SECRET, 'msg_w', NOW_SECONDS, body);
    const headers = {
      'Webhook-Id': svix['svix-id'],
      'webhook-timestamp': svix['svix-timestamp'],
      'WEBHOOK-SIGNATURE': svix['svix-signature'],
      'content-type': 'application/json',
    };
    expect(await ingest(deps, headers, Buffer.from(body))).toMatchObject({
      result: 'quarantined',
      deliveryId: 'msg_w',
    });
    expect(stores.table.items()[0]?.headers).toStrictEqual({
      'webhook-id': 'msg_w',
      'webhook-timestamp': String(NOW_SECONDS),
      'webhook-signature': svix['svix-signature'],
    });
  });

  it('a body of exactly the limit is read; the limit is 256 KiB', async () => {
    expect(MAX_BODY_BYTES).toBe(262_144);
    const { deps } = setup();
    const pad = ' '.repeat(MAX_BODY_BYTES - JSON.stringify({ event_type: 'entity.created' }).length);
    const body = `${JSON.stringify({ event_type: 'entity.created' })}${pad}`;
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const outcome = await ingest(
      deps,
      signedHeaders(SECRET, 'msg_full', NOW_SECONDS, body),
      Buffer.from(body),
    );
    expect(outcome).toEqual({ result: 'ignored', deliveryId: 'msg_full' });
  });

  it('replays bound the event time by the kept svix-timestamp, or by when the delivery was received', async () => {
    const { deps } = setup();
    const later = Buffer.from(
      JSON.stringify(event('sync.running', 'j1', '13:00:00', { timestamp: '2026-04-23T15:00:00Z' })),
    );
    const delivery = { id: 'msg_r', receivedAt: fromDate(new Date('2026-04-23T15:00:00Z')) };
    // Signed at 15:00 and received then: in range even though the clock is at 13:55.
    expect(
      await processDelivery(
        deps,
        delivery,
        later,
        { 'svix-timestamp': String(Date.parse('2026-04-23T15:00:00Z') / 1000) },
        NOW,
      ),
    ).toMatchObject({ result: 'processed' });
    expect(await processDelivery(deps, { ...delivery, id: 'msg_s' }, later, {}, NOW)).toMatchObject({
      result: 'duplicate',
    });
    const early = { id: 'msg_e', receivedAt: fromDate(new Date('2026-04-23T14:00:00Z')) };
    expect(await processDelivery(deps, early, later, {}, NOW)).toMatchObject({
      result: 'quarantined',
      reason: expect.stringContaining('is later than the delivery'),
    });
  });

  it('logs a failed request for a reconciliation with the source, and still processes the delivery', async () => {
    expect(SUSPICION_BUDGET_MS).toBe(1000);
    const warnings: unknown[] = [];
    const { deps } = setup({ reconcileSoon: async () => Promise.reject(new Error('invoke failed')) });
    const log = {
      ...silentLog,
      warn: (message: string, fields?: unknown) => void warnings.push({ message, fields }),
    };
    const body = JSON.stringify(event('sync.running', 'j9', '13:00:00'));
    await ingest({ ...deps, log }, signedHeaders(SECRET, 'msg_l', NOW_SECONDS, body), Buffer.from(body));
    expect(warnings).toEqual([
      {
        message: 'could not ask for a reconciliation of the source',
        fields: { source_key: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', error: 'invoke failed' },
      },
    ]);
  });
});

describe('ingest, the reconciliation hand-over off the critical path', () => {
  const running = Buffer.from(JSON.stringify(event('sync.running', 'j1', '13:00:00')));
  const delivery = { id: 'msg_h', receivedAt: NOW.toISOString() };
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('answers once the budget is spent when the hand-over never finishes', async () => {
    const { deps } = setup({ reconcileSoon: () => new Promise<void>(() => undefined) });
    expect(await processDelivery(deps, delivery, running, {}, NOW)).toMatchObject({ result: 'processed' });
  });

  it('leaves no timer behind when the hand-over finishes within the budget', async () => {
    const { deps } = setup({ reconcileSoon: async () => undefined });
    const before = timers();
    expect(await processDelivery(deps, delivery, running, {}, NOW)).toMatchObject({ result: 'processed' });
    expect(timers()).toBe(before);
  });

  it('a hand-over failing without a log, or after the answer, fails nothing', async () => {
    const { deps } = setup({ reconcileSoon: async () => Promise.reject(new Error('invoke failed')) });
    expect(await processDelivery({ ...deps, log: undefined }, delivery, running, {}, NOW)).toMatchObject({
      result: 'processed',
    });

    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const late = setup({
        reconcileSoon: () =>
          new Promise<void>((_, reject) =>
            setTimeout(() => reject(new Error('invoke failed late')), SUSPICION_BUDGET_MS + 50),
          ),
      });
      expect(await processDelivery(late.deps, delivery, running, {}, NOW)).toMatchObject({
        result: 'processed',
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});

describe('ingest of source lifecycle deliveries', () => {
  const created = {
    event_type: 'source_connection.created',
    source_connection_id: 'sc-1',
    collection_readable_id: 'docs-ab12',
    collection_name: 'Docs',
    source_type: 'github',
    timestamp: '2026-04-23T13:00:00Z',
  };
  const send = (deps: Parameters<typeof ingest>[0], document: unknown, id: string) => {
    const body = JSON.stringify(document);
    return ingest(deps, signedHeaders(SECRET, id, NOW_SECONDS, body), Buffer.from(body));
  };

  it('with a source registry, lists a new source once (then a duplicate), and quarantines a malformed one with its reason', async () => {
    const { deps, stores } = setup();
    const withRegistry = { ...deps, registry: new TableSourceRegistry(stores.table) };
    expect(await send(withRegistry, created, 'msg_c1')).toEqual({
      result: 'processed',
      deliveryId: 'msg_c1',
    });
    expect(await send(withRegistry, created, 'msg_c2')).toEqual({
      result: 'duplicate',
      deliveryId: 'msg_c2',
    });
    const malformed = { ...created, source_connection_id: undefined };
    const outcome = await send(withRegistry, malformed, 'msg_c3');
    expect(outcome).toMatchObject({ result: 'quarantined', deliveryId: 'msg_c3' });
    expect(outcome.reason).toMatch(/^invalid source_connection\.created payload: source_connection_id: /);
    expect(stores.table.items().filter((i) => i.entity === 'quarantine')).toHaveLength(1);
  });

  it('without a registry, a source lifecycle delivery is recorded as ignored', async () => {
    const { deps, stores } = setup();
    expect(await send(deps, created, 'msg_i')).toEqual({ result: 'ignored', deliveryId: 'msg_i' });
    expect(stores.table.items().map((i) => i.entity)).toEqual(['ignored']);
  });
});
