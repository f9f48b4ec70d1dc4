import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../lambda/adapters/table-definition';
import type { PipelineSpec } from '../lambda/core/pipeline-gate';
import {
  localDynamoClient,
  scanTable,
  startEngine as startLocalEngine,
  type LocalEngine,
} from '../local/engine';
import { currentPayload, signedRequest } from '../harness/deliveries';
import { RecordingNotifier } from '../harness/recording-notifier';
import { RecordingStarter } from '../harness/recording-starter';
import { wire } from '../harness/stack';

/**
 * Faults as Svix sees them: a burst of deliveries while a dependency fails, every 5xx resent with the same
 * svix-id and body (Svix's retry), until all are acknowledged. Then: every event recorded exactly once,
 * every alert sent once, every pipeline run started once.
 */
const routes = [{ team: 'platform', match: { sourceTypes: ['github', 'linear'] } }];
const pipeline: PipelineSpec = {
  name: 'analysis',
  collection: 'engineering-context-ab123',
  requires: ['github', 'linear'],
  window: 2 * 3600,
};
const JOBS = 40;

interface Delivery {
  readonly id: string;
  readonly payload: ReturnType<typeof currentPayload>;
}

/** Per job: running, then completed or (every fifth job) failed; each completion also resent under a new svix-id. */
function burst(): Delivery[] {
  const deliveries: Delivery[] = [];
  for (let j = 0; j < JOBS; j++) {
    const source = j % 2 === 0 ? 'github' : 'linear';
    const base = { sync_job_id: `job-${j}`, source_type: source, source_connection_id: `conn-${source}` };
    const minute = String(10 + Math.floor(j / 2)).padStart(2, '0');
    const terminal = j % 5 === 4 ? 'sync.failed' : 'sync.completed';
    const end = currentPayload({
      ...base,
      event_type: terminal,
      timestamp: `2026-04-23T13:${minute}:30.000000Z`,
      error: terminal === 'sync.failed' ? 'boom' : null,
    });
    deliveries.push({
      id: `msg-${j}-run`,
      payload: currentPayload({
        ...base,
        event_type: 'sync.running',
        timestamp: `2026-04-23T13:${minute}:00.000000Z`,
      }),
    });
    deliveries.push({ id: `msg-${j}-end`, payload: end });
    deliveries.push({ id: `msg-${j}-again`, payload: end });
  }
  return deliveries;
}

type Webhook = ReturnType<typeof wire>['webhook'];

/** Fails with the given probability, from a fixed seed so a failing run can be reproduced. */
function flaky(probability: number, seed = 42): () => boolean {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 < probability;
  };
}

/** Sends every delivery, then resends each one that got a 5xx, as Svix would, until none is left. */
async function deliverLikeSvix(
  webhook: Webhook,
  deliveries: readonly Delivery[],
  duringFirstRound?: (sent: number) => Promise<void>,
) {
  let pending = [...deliveries];
  let failures = 0;
  for (let round = 0; pending.length > 0; round++) {
    if (round > 60) throw new Error(`${pending.length} deliveries never succeeded`);
    const failed: Delivery[] = [];
    let sent = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (pending.length > 0) {
          const delivery = pending.shift() as Delivery;
          const response = await webhook(signedRequest(delivery.payload, { id: delivery.id }));
          const status = response.statusCode ?? 0;
          if (status >= 500) failed.push(delivery);
          else expect(status).toBe(200);
          if (round === 0 && duringFirstRound) await duringFirstRound(++sent);
        }
      }),
    );
    failures += failed.length;
    pending = failed;
  }
  return failures;
}

function expectExactlyOnce(
  items: Record<string, unknown>[],
  notifier: RecordingNotifier,
  starter: RecordingStarter,
) {
  const events = items.filter((i) => i.entity === 'event');
  expect(events).toHaveLength(JOBS * 2);
  expect(new Set(events.map((e) => `${e.sync_job_id}:${e.event_type}`)).size).toBe(JOBS * 2);
  const jobs = items.filter((i) => i.entity === 'job');
  expect(jobs.filter((j) => j.state === 'failed')).toHaveLength(JOBS / 5);
  const failureAlerts = notifier
    .alertsOf('sync.failed')
    .map((a) => (a.alert.body.event as { sync_job_id: string }).sync_job_id);
  expect(failureAlerts.sort()).toEqual(
    jobs
      .filter((j) => j.state === 'failed')
      .map((j) => String(j.sync_job_id))
      .sort(),
  );
  // Every claimed run started exactly once: as many executions as claims, and no claim twice.
  const gate = items.find((i) => i.pk === 'PIPELINE#analysis' && i.sk === 'GATE');
  expect(starter.executions.size).toBe(gate?.version);
  expect(gate?.confirmed_execution).toBe(gate?.execution_name);
  // Every event went out on the events topic at least once (at-least-once, as SNS itself).
  const published = new Set(notifier.events.map((e) => `${e.sync_job_id}:${e.event_type}`));
  expect(published.size).toBe(JOBS * 2);
}

/**
 * The engine as the network sees it: a TCP proxy that can go down (every connection cut, nothing
 * listening) and come back on the same port, while the engine's data survives, as a restarted DynamoDB
 * endpoint would look to the function.
 */
class Outage {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly upstream: number) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const server = connect(this.upstream, '127.0.0.1');
      for (const socket of [client, server]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(server).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

let engine: LocalEngine;
let proxy: Outage;
beforeEach(async () => {
  engine = await startLocalEngine({ host: '127.0.0.1', port: 0 });
  proxy = new Outage((engine.server.address() as AddressInfo).port);
  await proxy.up();
});
afterEach(async () => {
  await proxy.down();
  await engine.stop();
});

async function setup() {
  const client = localDynamoClient(`http://127.0.0.1:${proxy.port}`, 1);
  const table = `faults-${Date.now()}`;
  await client.send(new CreateTableCommand(createTableInput(table)));
  const notifier = new RecordingNotifier();
  const starter = new RecordingStarter();
  const wiring = wire(client, table, { routes, pipelines: [pipeline], notifier, starter });
  const scan = () => scanTable(client, table);
  return { ...wiring, notifier, starter, scan };
}

describe('faults', () => {
  it('the DynamoDB engine going down mid-burst: 5xx, then Svix resends, and everything happens exactly once', async () => {
    const { webhook, notifier, starter, scan } = await setup();
    let outage = false;
    const failures = await deliverLikeSvix(webhook, burst(), async (sent) => {
      if (sent === 5 && !outage) {
        outage = true;
        await proxy.down();
        setTimeout(() => void proxy.up(), 300);
      }
    });
    expect(failures).toBeGreaterThan(0);
    expectExactlyOnce(await scan(), notifier, starter);
  });

  it('publishing failing 40% of the time: every alert still sent once, every event published', async () => {
    const { webhook, notifier, starter, scan } = await setup();
    const fails = flaky(0.4);
    const publish = notifier.publishAlert.bind(notifier);
    const publishEvent = notifier.publishEvent.bind(notifier);
    notifier.publishAlert = async (team, alert) => {
      if (fails()) throw Object.assign(new Error('throttled'), { name: 'Throttling' });
      return publish(team, alert);
    };
    notifier.publishEvent = async (event) => {
      if (fails()) throw Object.assign(new Error('throttled'), { name: 'Throttling' });
      return publishEvent(event);
    };
    const failures = await deliverLikeSvix(webhook, burst());
    expect(failures).toBeGreaterThan(0);
    expectExactlyOnce(await scan(), notifier, starter);
  });

  it('StartExecution failing: the claimed run is started once by a retry', async () => {
    const { webhook, notifier, starter, scan } = await setup();
    const start = starter.start.bind(starter);
    const fails = flaky(0.5);
    starter.start = async (...args) => {
      if (fails()) throw Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable' });
      return start(...args);
    };
    const failures = await deliverLikeSvix(webhook, burst());
    expect(failures).toBeGreaterThan(0);
    expectExactlyOnce(await scan(), notifier, starter);
    expect(starter.executions.size).toBeGreaterThan(0);
  });
});
