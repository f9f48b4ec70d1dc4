import type { Context } from 'aws-lambda';
import { lambdaTelemetry } from '../lambda/adapters/telemetry';
import { METRIC, METRICS_NAMESPACE, SERVICE } from '../lambda/core/metrics';
import { currentPayload, OTHER_SECRET, SECRET, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { wire } from '../harness/stack';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

type Line = Record<string, unknown>;

/** Runs `work` with stdout and stderr captured, as CloudWatch Logs receives both, one JSON document per line. */
async function captured(work: () => Promise<unknown>): Promise<Line[]> {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(`${chunk.toString()}\n`);
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await work();
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  return chunks
    .join('')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

const logs = (lines: Line[]) => lines.filter((l) => typeof l.message === 'string');
const metricDocs = (lines: Line[]) => lines.filter((l) => l._aws !== undefined);
const metricNames = (doc: Line) =>
  (
    (doc._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0]
      ?.Metrics ?? []
  ).map((m) => m.Name);

async function setup() {
  const table = await engine.newTable();
  return wire(engine.client, table, lambdaTelemetry(SERVICE.webhook));
}

describe('structured logs and metrics of the webhook', () => {
  it('every line of an invocation carries the Lambda context: request id, function, cold start', async () => {
    // Lambda sets it for an on-demand environment; Powertools reports cold starts only there.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const telemetry = lambdaTelemetry(SERVICE.webhook);
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    const handler = telemetry.inContext(wire(engine.client, await engine.newTable(), telemetry).webhook);
    const context = (awsRequestId: string) =>
      ({
        functionName: 'sync-events-webhook',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sync-events-webhook',
        memoryLimitInMB: '256',
        awsRequestId,
        getRemainingTimeInMillis: () => 10_000,
      }) as unknown as Context;
    const first = await captured(() =>
      handler(signedRequest(currentPayload(), { id: 'msg_ctx_1' }), context('req-1')),
    );
    const second = await captured(() =>
      handler(signedRequest(currentPayload(), { id: 'msg_ctx_2' }), context('req-2')),
    );
    expect(logs(first)[0]).toMatchObject({
      message: 'delivery processed',
      function_request_id: 'req-1',
      function_name: 'sync-events-webhook',
      cold_start: true,
    });
    expect(logs(second)[0]).toMatchObject({ function_request_id: 'req-2', cold_start: false });
  });

  it('a processed delivery logs its keys and emits Events by type and source, and the sync duration', async () => {
    const { webhook } = await setup();
    await webhook(
      signedRequest(currentPayload({ event_type: 'sync.running', timestamp: '2026-04-23T13:49:01.482913Z' })),
    );
    const lines = await captured(() => webhook(signedRequest(currentPayload(), { id: 'msg_obs' })));

    const [log] = logs(lines);
    expect(log).toMatchObject({
      level: 'INFO',
      service: 'webhook',
      message: 'delivery processed',
      svix_id: 'msg_obs',
      sync_job_id: currentPayload().sync_job_id,
      collection: 'engineering-context-ab123',
      source_type: 'github',
      event_type: 'sync.completed',
      sync_duration_seconds: 60,
    });
    // Nothing of the body beyond the identifiers, and nothing of the secret.
    expect(JSON.stringify(lines)).not.toContain(SECRET.slice(6));
    expect(JSON.stringify(log)).not.toContain('entities_inserted');

    const docs = metricDocs(lines);
    const events = docs.find((d) => metricNames(d).includes(METRIC.events));
    expect(events).toMatchObject({
      service: 'webhook',
      event_type: 'sync.completed',
      source_type: 'github',
      [METRIC.events]: 1,
    });
    expect(
      (events?._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> })
        .CloudWatchMetrics[0],
    ).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [expect.arrayContaining(['service', 'event_type', 'source_type'])],
    });
    expect(docs.find((d) => metricNames(d).includes(METRIC.syncDuration))).toMatchObject({
      source_type: 'github',
      [METRIC.syncDuration]: 60,
    });
  });

  it('a duplicate logs "delivery duplicate" and counts Duplicates, not Events', async () => {
    const { webhook } = await setup();
    await webhook(signedRequest(currentPayload(), { id: 'msg_a' }));
    const lines = await captured(() => webhook(signedRequest(currentPayload(), { id: 'msg_b' })));
    expect(logs(lines)[0]).toMatchObject({
      message: 'delivery duplicate',
      svix_id: 'msg_b',
      result: 'duplicate',
    });
    expect(metricDocs(lines).flatMap(metricNames)).toEqual([METRIC.duplicates]);
  });

  it('a rejected delivery logs a warning with the reason and counts RejectedSignatures', async () => {
    const { webhook } = await setup();
    const lines = await captured(() =>
      webhook(signedRequest(currentPayload(), { id: 'msg_forged', secret: OTHER_SECRET })),
    );
    expect(logs(lines)[0]).toMatchObject({
      level: 'WARN',
      message: 'delivery rejected',
      svix_id: 'msg_forged',
      reason: 'no signature matches',
    });
    expect(metricDocs(lines).flatMap(metricNames)).toEqual([METRIC.rejectedSignatures]);
    expect(JSON.stringify(lines)).not.toContain('engineering-context-ab123');
  });

  it('a quarantined delivery logs why, without the body, and counts Quarantined', async () => {
    const { webhook } = await setup();
    const lines = await captured(() =>
      webhook(signedRequest('{"event_type": "sync.completed", "secret_token": "abc"', { id: 'msg_q' })),
    );
    expect(logs(lines)[0]).toMatchObject({
      level: 'INFO',
      message: 'delivery quarantined',
      svix_id: 'msg_q',
      reason: 'body is not JSON',
    });
    expect(JSON.stringify(lines)).not.toContain('secret_token');
    expect(metricDocs(lines).flatMap(metricNames)).toEqual([METRIC.quarantined]);
  });
});
