import { TableSourceRegistry } from '../lambda/adapters/store/source-registry';
import { memoryStores } from '../lambda/adapters/store/stores';

/** The source registry's rules on the in-memory table (held equal to DynamoDB by store.property.test.ts). */
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const source = {
  collection_readable_id: 'docs-ab12',
  collection_name: 'Docs',
  collection_id: 'c-uuid',
  source_connection_id: 'sc-1',
  source_type: 'github',
  source_key: 'sc-1',
};

function setup() {
  const stores = memoryStores({ retentionDays: 30 });
  return { table: stores.table, registry: new TableSourceRegistry(stores.table) };
}

describe('the source registry', () => {
  it('lists a source as a freshness item with its identity and index keys, and no register', async () => {
    const { table, registry } = setup();
    expect(await registry.registerSource(source, at('13:00:00'))).toBe(true);
    expect(table.items()).toEqual([
      {
        pk: 'COLL#docs-ab12',
        sk: 'SRC#sc-1',
        gsi1pk: 'FRESHNESS',
        gsi1sk: 'docs-ab12#sc-1',
        entity: 'freshness',
        ...source,
        registered_at: at('13:00:00'),
      },
    ]);
  });

  it('marks a source verified only forward in time, and never a source that is not listed', async () => {
    const { table, registry } = setup();
    await registry.markVerified('docs-ab12', 'sc-1', at('13:00:00'));
    expect(table.items()).toEqual([]);
    await registry.registerSource(source, at('12:00:00'));
    const verified = async () => table.items()[0]?.verified_at;
    await registry.markVerified('docs-ab12', 'sc-1', at('13:00:00'));
    expect(await verified()).toBe(at('13:00:00'));
    await registry.markVerified('docs-ab12', 'sc-1', at('12:30:00'));
    expect(await verified()).toBe(at('13:00:00'));
    await registry.markVerified('docs-ab12', 'sc-1', at('14:00:00'));
    expect(await verified()).toBe(at('14:00:00'));
  });

  it('opens an operations notice once per episode, as its own item, until it is closed', async () => {
    const { table, registry } = setup();
    expect(await registry.openNotice('unauthorized', at('13:00:00'))).toBe(true);
    expect(await registry.openNotice('unauthorized', at('13:05:00'))).toBe(false);
    expect(table.items()).toEqual([
      {
        pk: 'RECONCILE',
        sk: 'NOTICE#unauthorized',
        entity: 'notice',
        kind: 'unauthorized',
        opened_at: at('13:00:00'),
      },
    ]);
    await registry.closeNotice('unauthorized');
    expect(table.items()).toEqual([]);
    expect(await registry.openNotice('unauthorized', at('13:10:00'))).toBe(true);
  });
});
