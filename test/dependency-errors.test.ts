import { DEPENDENCY_ERRORS, dispositionOf } from '../lambda/core/dependency-errors';
import { maxKeyPartBytes } from '../lambda/core/boundary';
import { METRIC, type MetricsSink } from '../lambda/core/metrics';
import { currentPayload, httpEvent, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { parseBody, wire } from '../harness/stack';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

function countingMetrics(): MetricsSink & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    count: (name, _dimensions, value = 1) => counts.set(name, (counts.get(name) ?? 0) + value),
    seconds: () => {},
  };
}

/**
 * One row of the table per test: a dependency failing with that error name while recording a delivery.
 * Permanent: quarantined with the reason (202), the Quarantined metric (its alarm's metric) counted, so
 * Svix does not retry for a day. Transient: 503, nothing quarantined, and the retry records the event.
 */
describe('dependency errors, by name', () => {
  /** The webhook with the events topic failing once with `name`, then working. */
  async function failingOnce(name: string) {
    const table = await engine.newTable();
    const metrics = countingMetrics();
    const wiring = wire(engine.client, table, { metrics });
    const publish = wiring.notifier.publishEvent.bind(wiring.notifier);
    let failures = 1;
    wiring.notifier.publishEvent = async (event) => {
      if (failures-- > 0) throw Object.assign(new Error(`refused by the service (${name})`), { name });
      return publish(event);
    };
    const request = () => wiring.webhook(signedRequest(currentPayload(), { id: 'msg_dependency' }));
    return { table, metrics, wiring, request };
  }
  const rows = (wanted: string) =>
    Object.entries(DEPENDENCY_ERRORS)
      .filter(([, disposition]) => disposition === wanted)
      .map(([name]) => name);

  it.each(rows('permanent'))(
    '%s is permanent: quarantined with the reason, 202, Quarantined counted',
    async (name) => {
      const { table, metrics, request } = await failingOnce(name);
      const first = await request();
      expect(first.statusCode).toBe(202);
      expect(parseBody(first)).toEqual({ result: 'quarantined' });
      expect(metrics.counts.get(METRIC.quarantined)).toBe(1);
      const items = await engine.scan(table);
      expect(items.find((i) => i.entity === 'quarantine')?.reason).toBe(
        `events topic refused: ${name}: refused by the service (${name})`,
      );
    },
  );

  it.each(rows('transient'))(
    '%s is transient: 503, nothing quarantined, the retry records it',
    async (name) => {
      const { table, wiring, request } = await failingOnce(name);
      expect((await request()).statusCode).toBe(503);
      expect((await engine.scan(table)).some((i) => i.entity === 'quarantine')).toBe(false);
      expect((await request()).statusCode).toBe(200);
      expect(wiring.notifier.events).toHaveLength(1);
    },
  );

  it('reads Node socket errors by code, and treats an unknown name as transient (a retry loses nothing)', () => {
    expect(dispositionOf(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(
      'transient',
    );
    expect(dispositionOf(Object.assign(new Error('?'), { name: 'SomethingNew' }))).toBe('transient');
    expect(dispositionOf('not an error')).toBe('transient');
  });
});

describe('query paths', () => {
  it.each([
    '%',
    '%zz',
    '%E0%A4%A',
    '%C0%AF',
    '%FF',
    'a%',
    `${'a'.repeat(maxKeyPartBytes('collection') + 1)}`,
  ])('GET /freshness/%s answers 400 with a JSON error', async (segment) => {
    const { query } = wire(engine.client, await engine.newTable());
    const response = await query(httpEvent('GET', `/freshness/${segment}`, {}));
    expect(response.statusCode).toBe(400);
    expect(parseBody(response).error).toMatch(/collection id in the path/);
  });

  it('a collection id of the longest recordable size is an ordinary 404, and a valid escape still decodes', async () => {
    const { query, webhook } = wire(engine.client, await engine.newTable());
    const longest = 'a'.repeat(maxKeyPartBytes('collection'));
    expect((await query(httpEvent('GET', `/freshness/${longest}`, {}))).statusCode).toBe(404);
    await webhook(signedRequest(currentPayload({ collection_readable_id: 'caf\u00e9 ctx' })));
    const found = await query(httpEvent('GET', '/freshness/caf%C3%A9%20ctx', {}));
    expect(found.statusCode).toBe(200);
    expect(parseBody(found).collection_readable_id).toBe('caf\u00e9 ctx');
  });
});
