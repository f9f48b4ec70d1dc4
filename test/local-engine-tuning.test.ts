/* eslint-disable @typescript-eslint/no-require-imports */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ensureTable,
  localDynamoClient,
  startEngine,
  unsignedForLoopback,
  type LocalEngine,
} from '../local/engine';

// The local engine's own speed-ups, each held to what it must not change: the table cache to LevelDB's
// answers, the loopback client's stand-in signature to what the engine accepts, the LevelDB options to
// every write surviving a restart.

type Callback = (error: Error | null, value?: unknown) => void;
interface TableDb {
  get(name: string, callback: Callback): void;
  put(name: string, value: unknown, callback: (error: Error | null) => void): void;
  del(name: string, callback: (error: Error | null) => void): void;
}
const { cacheTableDescriptions } = require('../local/table-cache.cjs') as {
  cacheTableDescriptions(db: TableDb): TableDb;
};
const dynaliteDb = require('dynalite/db') as {
  create(options: Record<string, unknown>): { tableDb: TableDb };
};

const get = (db: TableDb, name: string) =>
  new Promise<unknown>((resolve, reject) =>
    db.get(name, (error, value) => (error ? reject(error) : resolve(value))),
  );
const put = (db: TableDb, name: string, value: unknown) =>
  new Promise<void>((resolve, reject) => db.put(name, value, (error) => (error ? reject(error) : resolve())));
const del = (db: TableDb, name: string) =>
  new Promise<void>((resolve, reject) => db.del(name, (error) => (error ? reject(error) : resolve())));

describe('table description cache', () => {
  // A real dynalite store (in memory): the cache wraps the very sub-database getTable reads.
  const fresh = () => cacheTableDescriptions(dynaliteDb.create({ createTableMs: 0 }).tableDb);

  it('gives every reader its own copy of what was last written', async () => {
    const db = fresh();
    await put(db, 't', { TableName: 't', TableStatus: 'ACTIVE', n: 1 });
    const first = (await get(db, 't')) as Record<string, unknown>;
    first.TableStatus = 'DELETING'; // UpdateTable and DeleteTable change the object they read
    expect(await get(db, 't')).toEqual({ TableName: 't', TableStatus: 'ACTIVE', n: 1 });
    expect(await get(db, 't')).not.toBe(await get(db, 't'));
  });

  it('keeps what the caller passed at the put, not what it changes afterwards', async () => {
    const db = fresh();
    const table = { TableName: 't', TableStatus: 'CREATING' };
    const written = put(db, 't', table);
    table.TableStatus = 'changed after the put';
    await written;
    expect(await get(db, 't')).toEqual({ TableName: 't', TableStatus: 'CREATING' });
  });

  it('answers after every write exactly as the store does, under interleaved reads and writes', async () => {
    const db = fresh();
    const plain = dynaliteDb.create({ createTableMs: 0 }).tableDb;
    for (let round = 0; round < 200; round++) {
      const value = { TableName: 't', round };
      const deleting = round % 50 === 49;
      // Reads in flight across the write: whatever they see, the read after it sees the write.
      await Promise.all([get(db, 't'), put(db, 't', value), get(db, 't')]);
      await put(plain, 't', value);
      // Every 50th round also deletes it: then it is gone, as the store says (LevelDB answers a missing
      // key with no value).
      if (deleting) await Promise.all([get(db, 't'), del(db, 't'), del(plain, 't')]);
      expect(await get(db, 't')).toEqual(await get(plain, 't'));
      expect(await get(db, 't')).toEqual(deleting ? undefined : value);
    }
  });

  it('never keeps a read that LevelDB finished after a later write', async () => {
    // A stand-in for LevelDB's thread pool, which can finish a read after a write issued later: each
    // operation waits until the test finishes it, and a read answers from a snapshot taken when it was
    // issued, as classic-level's reads do.
    const pending: Array<() => void> = [];
    let stored: unknown = { TableName: 't', v: 'old' };
    const slow: TableDb = {
      get: (_name, callback) => {
        const snapshot = structuredClone(stored);
        pending.push(() => callback(null, snapshot));
      },
      put: (_name, value, callback) => {
        const text = JSON.stringify(value);
        pending.push(() => {
          stored = JSON.parse(text);
          callback(null);
        });
      },
      del: (_name, callback) => void pending.push(() => callback(null)),
    };
    const finish = () => (pending.shift() as () => void)();
    const db = cacheTableDescriptions(slow);
    const readBefore = get(db, 't');
    const readOld = pending.shift() as () => void;
    const written = put(db, 't', { TableName: 't', v: 'new' });
    finish(); // the write finishes first ...
    await written;
    readOld(); // ... then the read issued before it, with what it read then
    expect(await readBefore).toEqual({ TableName: 't', v: 'old' });
    // Every later read answers the write, from memory or from the store.
    for (let i = 0; i < 3; i++) {
      const after = get(db, 't');
      while (pending.length > 0) finish();
      expect(await after).toEqual({ TableName: 't', v: 'new' });
    }
  });

  describe('through the engine', () => {
    let engine: LocalEngine;
    beforeAll(async () => {
      engine = await startEngine({ host: '127.0.0.1', port: 0 });
    });
    afterAll(() => engine.stop());

    it('serves a table changed, deleted and created again under the same name as it now is', async () => {
      const client = localDynamoClient(engine.endpoint, 1);
      const table = `cache-${process.pid}`;
      const create = (key: string) =>
        client.send(
          new CreateTableCommand({
            TableName: table,
            KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      const wait = async (status: string | undefined) => {
        for (let i = 0; i < 100; i++) {
          const out = await client
            .send(new DescribeTableCommand({ TableName: table }))
            .catch((error: Error) => ({ Table: undefined, error }));
          if (out.Table?.TableStatus === status) return out.Table;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error(`table never reached ${status}`);
      };
      await create('pk');
      await wait('ACTIVE');
      await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' } } }));

      await client.send(
        new UpdateTableCommand({
          TableName: table,
          BillingMode: 'PROVISIONED',
          ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
        }),
      );
      const updated = await wait('ACTIVE');
      expect(updated?.ProvisionedThroughput?.ReadCapacityUnits).toBe(7);

      await client.send(new DeleteTableCommand({ TableName: table }));
      await wait(undefined);
      await expect(
        client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' } } })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

      await create('other');
      await wait('ACTIVE');
      // The old key schema is gone: an item without the new key is refused, one with it accepted.
      await expect(
        client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' } } })),
      ).rejects.toMatchObject({ name: 'ValidationException' });
      await client.send(new PutItemCommand({ TableName: table, Item: { other: { S: 'a' } } }));
      client.destroy();
    });

    it('accepts the loopback client stand-in signature, and still refuses a request with none', async () => {
      const request = { headers: { 'content-type': 'application/x-amz-json-1.0' } as Record<string, string> };
      await unsignedForLoopback(request);
      expect(request.headers.authorization).toMatch(/Signature=0{64}$/);
      const send = (headers: Record<string, string>) =>
        fetch(engine.endpoint, {
          method: 'POST',
          headers: { ...headers, 'x-amz-target': 'DynamoDB_20120810.ListTables' },
          body: '{}',
        });
      expect((await send(request.headers)).status).toBe(200);
      const unsigned = await send({ 'content-type': 'application/x-amz-json-1.0' });
      expect(unsigned.status).toBe(400);
      expect(await unsigned.json()).toMatchObject({
        __type: expect.stringMatching(/MissingAuthenticationToken/),
      });
      // And the SDK client built with it talks to the engine.
      const client = localDynamoClient(engine.endpoint, 1);
      await expect(client.send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
      client.destroy();
    });
  });
});

describe('LevelDB options (level-options.cjs)', () => {
  const { LEVEL_OPTIONS } = require('../local/level-options.cjs') as {
    LEVEL_OPTIONS: { compression: boolean; writeBufferSize: number };
  };
  const tables = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.ldb'));

  it('keeps 8 MB of writes in the log (LevelDB’s default buffer is 4 MB) and stores tables uncompressed', async () => {
    expect(LEVEL_OPTIONS).toEqual({ compression: false, writeBufferSize: 32 * 1024 * 1024 });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'level-options-'));
    try {
      let engine = await startEngine({ dataDir, host: '127.0.0.1', port: 0 });
      let client = localDynamoClient(engine.endpoint, 1);
      await ensureTable(client, 'level-options');
      // 22 items of 380 KB (DynamoDB's limit is 400 KB), a run of one letter that Snappy shrinks to bytes.
      const run = 'a'.repeat(380 * 1024);
      for (let i = 0; i < 22; i++)
        await client.send(
          new PutItemCommand({
            TableName: 'level-options',
            Item: { pk: { S: `big#${i}` }, sk: { S: 'x' }, text: { S: run } },
          }),
        );
      // With the default buffer, 8 MB would have been flushed to sorted tables twice over by now.
      expect(tables(dataDir)).toEqual([]);
      client.destroy();
      await engine.stop();

      // Reopened, LevelDB replays the log into a table: every item still there, stored as written.
      engine = await startEngine({ dataDir, host: '127.0.0.1', port: 0 });
      client = localDynamoClient(engine.endpoint, 1);
      const { Item } = await client.send(
        new GetItemCommand({ TableName: 'level-options', Key: { pk: { S: 'big#21' }, sk: { S: 'x' } } }),
      );
      expect(Item?.text?.S).toBe(run);
      client.destroy();
      await engine.stop();
      const stored = tables(dataDir).map((name) => readFileSync(path.join(dataDir, name), 'latin1'));
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.some((text) => text.includes('a'.repeat(10_000)))).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
