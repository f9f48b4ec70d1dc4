import type { PipelineSpec } from '../lambda/core/pipeline-gate';
import { currentPayload, httpEvent, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { RecordingStarter } from '../harness/recording-starter';
import { parseBody, wire } from '../harness/stack';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

const COLLECTION = 'engineering-context-ab123';
const analysis: PipelineSpec = {
  name: 'error-analysis',
  collection: COLLECTION,
  requires: ['github', 'linear'],
  window: 30 * 60,
};

const at = (time: string) => `2026-04-23T${time}.000000Z`;
const completed = (source: 'github' | 'linear' | 'slack', job: string, time: string) =>
  currentPayload({
    source_type: source,
    source_connection_id: `conn-${source}`,
    sync_job_id: job,
    timestamp: at(time),
  });
const failed = (source: 'github' | 'linear', job: string, time: string) =>
  currentPayload({ ...completed(source, job, time), event_type: 'sync.failed', error: `${source} broke` });

async function setup(specs: PipelineSpec[] = [analysis], starter = new RecordingStarter()) {
  const table = await engine.newTable();
  const wiring = wire(engine.client, table, { pipelines: specs, starter });
  const deliver = async (payload: ReturnType<typeof currentPayload>, id?: string) => {
    const response = await wiring.webhook(signedRequest(payload, id ? { id } : {}));
    return response;
  };
  return { ...wiring, table, deliver };
}

describe('pipeline gate', () => {
  it('starts once when every required source completed within the window, with what it consumed', async () => {
    const { deliver, starter } = await setup();
    await deliver(completed('github', 'g1', '13:00:00'));
    expect(starter.executions.size).toBe(0);
    await deliver(completed('linear', 'l1', '13:20:00'));
    expect(starter.inputs('error-analysis')).toEqual([
      {
        pipeline: 'error-analysis',
        collection: COLLECTION,
        consumed: {
          github: {
            source_connection_id: 'conn-github',
            source_type: 'github',
            job_id: 'g1',
            completed_at: at('13:00:00'),
          },
          linear: {
            source_connection_id: 'conn-linear',
            source_type: 'linear',
            job_id: 'l1',
            completed_at: at('13:20:00'),
          },
        },
        triggered_by: { sync_job_id: 'l1', svix_id: expect.any(String) },
      },
    ]);
  });

  it('waits while a required source is missing or its completion is outside the window', async () => {
    const { deliver, starter } = await setup();
    await deliver(completed('github', 'g1', '12:00:00'));
    await deliver(completed('slack', 's1', '12:10:00'));
    await deliver(completed('linear', 'l1', '12:31:00'));
    expect(starter.executions.size).toBe(0);
    // A newer GitHub completion brings both inside 30 minutes.
    await deliver(completed('github', 'g2', '12:50:00'));
    expect(starter.inputs('error-analysis').map((i) => Object.keys(i.consumed as object))).toEqual([
      ['github', 'linear'],
    ]);
  });

  it('needs a completion newer than the last run consumed, and honours the cooldown', async () => {
    const { deliver, starter } = await setup([{ ...analysis, cooldown: 3600 }]);
    await deliver(completed('github', 'g1', '13:00:00'));
    await deliver(completed('linear', 'l1', '13:01:00'));
    expect(starter.executions.size).toBe(1);
    // Within the cooldown (NOW is 13:55, the run started at NOW): a newer completion does not start.
    await deliver(completed('github', 'g2', '13:10:00'));
    expect(starter.executions.size).toBe(1);

    const { deliver: deliver2, starter: starter2 } = await setup();
    await deliver2(completed('github', 'g1', '13:00:00'));
    await deliver2(completed('linear', 'l1', '13:01:00'));
    await deliver2(completed('linear', 'l1', '13:01:00'), 'msg_resent_with_new_id');
    expect(starter2.executions.size).toBe(1);
    await deliver2(completed('github', 'g2', '13:10:00'));
    expect(starter2.executions.size).toBe(2);
  });

  it('is blocked by a failed required source, with one alert, and unblocked by its next success', async () => {
    const { deliver, starter, notifier, query } = await setup();
    await deliver(completed('github', 'g1', '13:00:00'));
    await deliver(failed('linear', 'l1', '13:01:00'), 'msg_f');
    await deliver(failed('linear', 'l1', '13:01:00'), 'msg_f');
    await deliver(failed('linear', 'l1', '13:01:00'), 'msg_f_resent');
    await deliver(completed('github', 'g2', '13:05:00'));
    expect(starter.executions.size).toBe(0);
    expect(notifier.alertsOf('pipeline.blocked').map((a) => a.team)).toEqual(['default']);
    const blocked = parseBody(await query(httpEvent('GET', '/pipelines', {}))) as {
      pipelines: Array<{ gate: { state: string; blocked_by: string } }>;
    };
    expect(blocked.pipelines[0]?.gate).toMatchObject({ state: 'blocked', blocked_by: 'l1' });

    await deliver(completed('linear', 'l2', '13:10:00'));
    expect(starter.executions.size).toBe(1);
    // A later failure of another job alerts again.
    await deliver(failed('github', 'g3', '13:20:00'));
    expect(notifier.alertsOf('pipeline.blocked')).toHaveLength(2);
  });

  it('a block whose alert was claimed by an attempt that died: its retries answer 503 until the claim expires, then alert once', async () => {
    const clock = { now: new Date('2026-04-23T13:55:00.000Z') };
    const table = await engine.newTable();
    const { webhook, notifier, stores } = wire(engine.client, table, {
      pipelines: [analysis],
      now: () => clock.now,
    });
    await webhook(signedRequest(failed('linear', 'l1', '13:01:00')));
    expect(notifier.alertsOf('pipeline.blocked')).toHaveLength(1);
    // Another failed job: its claim is taken, then the attempt dies before publishing.
    const died = { message: 'msg_l2', attempt: 'attempt-that-died' };
    expect(await stores.gates.blockPipeline(analysis, 'l2', died, clock.now.toISOString())).toBe('claimed');
    const svixRetry = () =>
      webhook(
        signedRequest(failed('linear', 'l2', '13:30:00'), {
          id: 'msg_l2',
          timestamp: Math.floor(clock.now.getTime() / 1000),
        }),
      );
    // A 2xx here would end Svix's retries, and with them the block's only alert.
    expect((await svixRetry()).statusCode).toBe(503);
    expect(notifier.alertsOf('pipeline.blocked')).toHaveLength(1);
    // A resend of the same failure under another svix-id stands back: the dead attempt's message is retried.
    const resend = await webhook(signedRequest(failed('linear', 'l2', '13:30:00'), { id: 'msg_l2_resent' }));
    expect(resend.statusCode).toBe(200);
    expect(notifier.alertsOf('pipeline.blocked')).toHaveLength(1);
    clock.now = new Date('2026-04-23T14:00:00.000Z');
    expect((await svixRetry()).statusCode).toBe(200);
    expect((await svixRetry()).statusCode).toBe(200);
    expect(
      notifier
        .alertsOf('pipeline.blocked')
        .map((a) => (a.alert.body.event as { sync_job_id: string }).sync_job_id),
    ).toEqual(['l1', 'l2']);
  });

  it('a retried old failure after a newer success neither blocks nor alerts', async () => {
    const { deliver, starter, notifier } = await setup();
    await deliver(completed('github', 'g1', '13:00:00'));
    await deliver(completed('linear', 'l2', '13:05:00'));
    expect(starter.executions.size).toBe(1);
    await deliver(failed('linear', 'l1', '12:40:00'));
    expect(notifier.alertsOf('pipeline.blocked')).toEqual([]);
    await deliver(completed('github', 'g2', '13:10:00'));
    expect(starter.executions.size).toBe(2);
  });

  it('starts exactly one execution when both required completions are processed concurrently', async () => {
    for (let round = 0; round < 5; round++) {
      const { deliver, starter } = await setup();
      const responses = await Promise.all([
        deliver(completed('github', 'g1', '13:00:00')),
        deliver(completed('linear', 'l1', '13:00:30')),
        deliver(completed('github', 'g1', '13:00:00'), 'msg_dup_1'),
        deliver(completed('linear', 'l1', '13:00:30'), 'msg_dup_2'),
      ]);
      expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
      expect(starter.executions.size).toBe(1);
    }
  });

  it('a failed StartExecution answers 503; the retry starts the claimed execution once', async () => {
    const starter = new RecordingStarter();
    const { deliver, query } = await setup([analysis], starter);
    await deliver(completed('github', 'g1', '13:00:00'));
    starter.failing = true;
    expect((await deliver(completed('linear', 'l1', '13:01:00'), 'msg_l1')).statusCode).toBe(503);
    starter.failing = false;
    expect((await deliver(completed('linear', 'l1', '13:01:00'), 'msg_l1')).statusCode).toBe(200);
    await deliver(completed('linear', 'l1', '13:01:00'), 'msg_l1');
    expect(starter.executions.size).toBe(1);
    const [name] = [...starter.executions.keys()];
    expect(name).toMatch(/^error-analysis-1-[0-9a-f]{12}$/);
    const view = parseBody(await query(httpEvent('GET', '/pipelines', {}))) as {
      pipelines: Array<{ gate: { runs_claimed: number } }>;
    };
    expect(view.pipelines[0]?.gate.runs_claimed).toBe(1);
  });

  it('requires sources by connection id as well as by type', async () => {
    const { deliver, starter } = await setup([
      { ...analysis, name: 'by-id', requires: ['conn-github', 'linear'] },
    ]);
    await deliver(completed('github', 'g1', '13:00:00'));
    await deliver(completed('linear', 'l1', '13:01:00'));
    expect(starter.inputs('by-id')).toHaveLength(1);
  });

  it('GET /pipelines shows the contract fields', async () => {
    const { query } = await setup();
    const body = parseBody(await query(httpEvent('GET', '/pipelines', {}))) as {
      pipelines: Array<Record<string, unknown>>;
    };
    expect(body.pipelines).toEqual([
      {
        name: 'error-analysis',
        collection: COLLECTION,
        requires: ['github', 'linear'],
        window: '30m',
        gate: { state: 'waiting', runs_claimed: 0, last_started_at: null, consumed: null, blocked_by: null },
        runs: [],
      },
    ]);
  });
});
