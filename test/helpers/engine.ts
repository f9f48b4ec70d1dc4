import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../../lambda/adapters/table-definition';
import { localDynamoClient, scanTable, startEngine as startLocalEngine } from '../../local/engine';

export interface Engine {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  newTable(): Promise<string>;
  scan(table: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

let tableCounter = 0;

/**
 * The local stack's engine (dynalite, in memory) on a free loopback port, with a fresh table per test.
 * The client retries as the Lambda runtime's would: a keep-alive socket closed under load is not a finding.
 */
export async function startEngine(): Promise<Engine> {
  const engine = await startLocalEngine({ host: '127.0.0.1', port: 0 });
  const client = localDynamoClient(engine.endpoint, 3);
  return {
    endpoint: engine.endpoint,
    client,
    async newTable() {
      const name = `sync-events-test-${process.pid}-${++tableCounter}`;
      await client.send(new CreateTableCommand(createTableInput(name)));
      return name;
    },
    scan: (table) => scanTable(client, table),
    async stop() {
      client.destroy();
      await engine.stop();
    },
  };
}
