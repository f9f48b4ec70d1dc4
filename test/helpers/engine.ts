import {
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTableInput } from '../../lambda/adapters/table-definition';

// dynalite is plain CommonJS without types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface Engine {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  newTable(): Promise<string>;
  scan(table: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

let tableCounter = 0;

export function engineClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // Retries as the Lambda runtime's client would: a keep-alive socket closed under load is not a finding.
    maxAttempts: 3,
  });
}

/** A real DynamoDB-compatible engine (dynalite, in memory) on a free loopback port. */
export async function startEngine(): Promise<Engine> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = engineClient(endpoint);
  return {
    endpoint,
    client,
    async newTable() {
      const name = `sync-events-test-${process.pid}-${++tableCounter}`;
      await client.send(new CreateTableCommand(createTableInput(name)));
      return name;
    },
    async scan(table) {
      // Every page: a Scan stops at 1 MB, which large quarantined bodies reach quickly.
      const items: Record<string, unknown>[] = [];
      let start: ScanCommandOutput['LastEvaluatedKey'];
      do {
        const out = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        items.push(...(out.Items ?? []).map((item) => unmarshall(item)));
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
