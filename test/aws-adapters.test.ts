import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Answer, modelled, RoundTrips, sfnStandIn, snsStandIn } from '../bench/aws-stand-in';
import { replay } from '../cli/commands/replay';
import { collect } from '../cli/output';
import type { Target } from '../cli/target';
import { DynamoSourceRegistry } from '../lambda/adapters/dynamo-source-registry';
import { dynamoStores } from '../lambda/adapters/store';
import { SfnStarter } from '../lambda/adapters/sfn-starter';
import { SnsNotifier } from '../lambda/adapters/sns-notifier';
import type { Alert } from '../lambda/core/alerts';
import { parseConfig } from '../lambda/core/config';
import { SettingError } from '../lambda/core/errors';
import type { Stores } from '../lambda/core/ports';
import { currentPayload } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';

/**
 * The SNS and Step Functions adapters against the stand-ins of `bench/aws-stand-in.ts` (the services
 * cannot run here): the SDK serializes real requests, and the stand-in answers as the service does,
 * enforcing its documented limits.
 */
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const endpoint = 'http://stand-in.invalid';

function recorded(answer: Answer) {
  const bodies: URLSearchParams[] = [];
  const wrapped: Answer = (command, body) => {
    bodies.push(new URLSearchParams(body));
    return answer(command, body);
  };
  return { bodies, wrapped };
}

const alert: Alert = {
  kind: 'sync.failed',
  subject: 'Sync failed: github in engineering-context-ab123',
  collection_readable_id: 'engineering-context-ab123',
  source_type: 'github',
  alert_id: 'sync.failed:job-1',
  body: { kind: 'sync.failed' },
};

describe('SnsNotifier.publishAlert', () => {
  function notifier(answer?: Answer) {
    const sns = snsStandIn();
    const { bodies, wrapped } = recorded(answer ?? sns.answer);
    const client = modelled(
      new SNSClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
      'SNS',
      0,
      new RoundTrips(),
      wrapped,
    );
    const topics = { platform: 'arn:aws:sns:us-east-1:000000000000:platform' };
    return {
      sns,
      bodies,
      notifier: new SnsNotifier(client, 'arn:aws:sns:us-east-1:000000000000:events', topics),
    };
  }

  it("publishes to the team's topic with the subject and the attributes subscribers filter on", async () => {
    const { sns, bodies, notifier: n } = notifier();
    await n.publishAlert('platform', alert);
    expect(sns.published()).toBe(1);
    const body = bodies[0] as URLSearchParams;
    expect(body.get('TopicArn')).toBe('arn:aws:sns:us-east-1:000000000000:platform');
    expect(body.get('Subject')).toBe(alert.subject);
    expect(JSON.parse(body.get('Message') ?? '{}')).toMatchObject({
      subject: alert.subject,
      kind: 'sync.failed',
    });
    const attributes = Object.fromEntries(
      [1, 2, 3, 4, 5, 6]
        .filter((i) => body.has(`MessageAttributes.entry.${i}.Name`))
        .map((i) => [
          body.get(`MessageAttributes.entry.${i}.Name`),
          body.get(`MessageAttributes.entry.${i}.Value.StringValue`),
        ]),
    );
    expect(attributes).toMatchObject({
      kind: 'sync.failed',
      collection: 'engineering-context-ab123',
      source_type: 'github',
      alert_id: 'sync.failed:job-1',
    });
  });

  it('a team without a topic is a setting error, and nothing is published', async () => {
    const { sns, notifier: n } = notifier();
    await expect(n.publishAlert('nobody', alert)).rejects.toBeInstanceOf(SettingError);
    expect(sns.published()).toBe(0);
  });

  it("SNS's failure reaches the caller (so the delivery answers 5xx and is retried)", async () => {
    const { notifier: n } = notifier(() => ({
      statusCode: 500,
      headers: { 'content-type': 'text/xml' },
      body: Buffer.from(
        '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>stand-in failure</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>',
      ),
    }));
    await expect(n.publishAlert('platform', alert)).rejects.toThrow(/stand-in failure/);
  });
});

describe('SfnStarter', () => {
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:analysis';
  function starter() {
    const sfn = sfnStandIn();
    const client = modelled(
      new SFNClient({ endpoint, region: 'us-east-1', credentials }),
      'Step Functions',
      0,
      new RoundTrips(),
      sfn.answer,
    );
    return { sfn, starter: new SfnStarter(client, { analysis: arn }) };
  }

  it('starts one execution per name: a retry with the same name and input starts nothing new', async () => {
    const { sfn, starter: s } = starter();
    await s.start('analysis', 'analysis-1-abc', '{"n":1}');
    await s.start('analysis', 'analysis-1-abc', '{"n":1}');
    expect(sfn.started()).toBe(1);
  });

  it('ExecutionAlreadyExists means the execution exists: the retry succeeds', async () => {
    const { sfn, starter: s } = starter();
    await s.start('analysis', 'analysis-2-abc', '{"n":1}');
    await expect(s.start('analysis', 'analysis-2-abc', '{"n":2}')).resolves.toBeUndefined();
    expect(sfn.started()).toBe(1);
  });

  it('an unknown pipeline is a setting error; any other refusal is thrown', async () => {
    const { starter: s } = starter();
    await expect(s.start('nope', 'nope-1', '{}')).rejects.toBeInstanceOf(SettingError);
    await expect(s.start('analysis', 'not a valid name!', '{}')).rejects.toThrow(/invalid execution name/);
  });
});

describe('replay', () => {
  let engine: Engine;
  let dataDir: string;
  beforeAll(async () => {
    engine = await startEngine();
    dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-replay-'));
  });
  afterAll(async () => {
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const targetOn = (table: string, stores: Stores): Target => ({
    kind: 'local',
    name: 'the test engine',
    store: stores.reads,
    stores,
    webhookUrl: '',
    outputs: {},
    dataDir,
    config: parseConfig({}),
    client: engine.client,
    registry: new DynamoSourceRegistry(engine.client, table),
    aws: {},
    close: () => {},
  });

  it('records a quarantined delivery that now parses, resolves it, and has published before it returns', async () => {
    const table = await engine.newTable();
    const stores = dynamoStores(engine.client, { tableName: table, retentionDays: 30 });
    const payload = currentPayload({ sync_job_id: 'replayed-job' });
    await stores.recorder.quarantine({
      id: 'msg_quarantined',
      receivedAt: '2026-04-23T13:50:02.000000Z',
      reason: 'a parser bug, since fixed',
      body: Buffer.from(JSON.stringify(payload)),
      headers: {},
    });
    const target = targetOn(table, stores);
    const out = collect();
    expect(await replay(target, { json: true }, out)).toBe(0);
    expect(JSON.parse(out.lines.join('\n'))).toEqual({
      replayed: [
        { svix_id: 'msg_quarantined', received_at: '2026-04-23T13:50:02.000000Z', result: 'processed' },
      ],
    });
    expect(await stores.reads.quarantined()).toEqual([]);
    expect((await stores.reads.job('replayed-job')).job).toMatchObject({ state: 'completed' });
    // The events topic's local file was flushed and closed before replay returned.
    const published = readFileSync(path.join(dataDir, 'notifications.jsonl'), 'utf8').trim().split('\n');
    expect(published.map((l) => (JSON.parse(l) as { channel: string }).channel)).toEqual(['events']);
  });
  it('a replayed source lifecycle event takes effect: the source registry is wired as for the webhook', async () => {
    const table = await engine.newTable();
    const stores = dynamoStores(engine.client, { tableName: table, retentionDays: 30 });
    await stores.recorder.quarantine({
      id: 'msg_created',
      receivedAt: '2026-04-23T13:50:02.000000Z',
      reason: 'the source registry was unreachable',
      body: Buffer.from(
        JSON.stringify({
          event_type: 'source_connection.created',
          timestamp: '2026-04-23T13:50:00.000000Z',
          organization_id: 'org',
          source_connection_id: 'sc-replayed',
          collection_readable_id: 'engineering-context-ab123',
          source_type: 'notion',
        }),
      ),
      headers: {},
    });
    const out = collect();
    expect(await replay(targetOn(table, stores), { json: true }, out)).toBe(0);
    // Without the registry this was `ignored`, and the delivery left the quarantine having changed nothing.
    expect(JSON.parse(out.lines.join('\n'))).toMatchObject({ replayed: [{ result: 'processed' }] });
    expect(await stores.freshness.allFreshness()).toEqual([
      expect.objectContaining({
        source_connection_id: 'sc-replayed',
        source_type: 'notion',
        latest_state: null,
      }),
    ]);
  });
});
