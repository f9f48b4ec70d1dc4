import { currentPayload, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { parseBody, wire } from '../harness/stack';

/**
 * All or nothing: no delivery leaves an audit event without its job and freshness effects, except while
 * its retry is pending. Each of the three writes fails in turn, once, transiently (503, then Svix's retry
 * completes the record) and permanently (202 quarantined, the audit event taken back, and the retry after
 * the cause is gone records it whole).
 */
let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

const WRITES = ['putAuditEvent', 'advanceJob', 'advanceFreshness'] as const;
const STEP = { putAuditEvent: 'audit event', advanceJob: 'job record', advanceFreshness: 'freshness record' };
const ERRORS = { transient: 'ThrottlingException', permanent: 'ValidationException' } as const;

async function failingOnce(write: (typeof WRITES)[number], name: string) {
  const table = await engine.newTable();
  const wiring = wire(engine.client, table);
  const recorder = wiring.stores.recorder as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  const original = (recorder[write] as (...args: unknown[]) => Promise<unknown>).bind(recorder);
  let failures = 1;
  recorder[write] = async (...args: unknown[]) => {
    if (failures-- > 0) {
      // The write's siblings run in parallel: let them land first, so the failure leaves a partial record.
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw Object.assign(new Error(`${write} refused`), { name });
    }
    return original(...args);
  };
  return { table, webhook: wiring.webhook };
}

const entities = async (table: string) => (await engine.scan(table)).map((i) => String(i.entity)).sort();

describe('all or nothing', () => {
  it.each(WRITES)(
    '%s failing transiently: 503, then the retry records the event whole, once',
    async (write) => {
      const { table, webhook } = await failingOnce(write, ERRORS.transient);
      const deliver = () => webhook(signedRequest(currentPayload(), { id: 'msg_fault' }));
      expect((await deliver()).statusCode).toBe(503);
      const retry = await deliver();
      expect(retry.statusCode).toBe(200);
      expect(await entities(table)).toEqual(['event', 'freshness', 'job']);
    },
  );

  it.each(WRITES)(
    '%s refused for good: 202 quarantined naming the write, no audit event left without its effects',
    async (write) => {
      const { table, webhook } = await failingOnce(write, ERRORS.permanent);
      const deliver = () => webhook(signedRequest(currentPayload(), { id: 'msg_fault' }));
      const first = await deliver();
      expect(first.statusCode).toBe(202);
      expect(parseBody(first)).toEqual({ result: 'quarantined' });
      const items = await engine.scan(table);
      expect(items.find((i) => i.entity === 'quarantine')?.reason).toBe(
        `${STEP[write]} refused: ValidationException: ${write} refused`,
      );
      // The audit event never stands alone: taken back when a sibling write was refused.
      expect(items.some((i) => i.entity === 'event')).toBe(false);
      // The sender's retry (or a replay) once the cause is gone records the event whole.
      const retry = await deliver();
      expect(retry.statusCode).toBe(200);
      expect(parseBody(retry)).toEqual({ result: 'processed' });
      expect(await entities(table)).toEqual(['event', 'freshness', 'job', 'quarantine']);
    },
  );
});
