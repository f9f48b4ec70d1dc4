import { CreateTableCommand, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createTableInput } from '../lambda/adapters/table-definition';
import { alertMessage, SNS_LIMITS } from '../lambda/core/outbound';
import { decodeSecrets, sign } from '../lambda/core/signature';
import { startEngineProcess } from '../local/engine';
import { localDynamoClient } from '../local/engine';
import { currentPayload, httpEvent, NOW_SECONDS, SECRET, signedRequest } from '../test/helpers/deliveries';
import { wire } from '../test/helpers/stack';

interface BadClass {
  readonly name: string;
  /** The field a quarantine reason must name; undefined for classes answered 4xx (nothing kept). */
  readonly field?: string;
  readonly requests: () => APIGatewayProxyEventV2[];
  readonly route?: 'query';
}

const N = 40;
const many = <T>(make: (i: number) => T) => Array.from({ length: N }, (_, i) => make(i));
const [KEY] = decodeSecrets([SECRET]) as [Buffer];

/** One generator per class of bad input of issue 10; each request is new (its own svix-id and job). */
export const BAD_INPUT_CLASSES: readonly BadClass[] = [
  {
    name: 'signature re-encoded (base64url, no padding, junk after padding)',
    requests: () =>
      many((i) => {
        const body = JSON.stringify(currentPayload({ sync_job_id: `sig-${i}` }));
        const good = sign(KEY, `msg_sig_${i}`, NOW_SECONDS, body);
        const variant = [
          good.replace(/\+/g, '-').replace(/\//g, '_') + (/[+/]/.test(good) ? '' : '-'),
          good.replace(/=+$/, ''),
          `${good}AA==`,
        ][i % 3] as string;
        return httpEvent(
          'POST',
          '/webhooks/airweave',
          {
            'svix-id': `msg_sig_${i}`,
            'svix-timestamp': String(NOW_SECONDS),
            'svix-signature': `v1,${variant}`,
          },
          body,
        );
      }),
  },
  {
    name: 'impossible timestamps (Feb 30, year 0000, hour 24, no zone)',
    field: 'timestamp',
    requests: () =>
      many((i) =>
        signedRequest(
          currentPayload({
            sync_job_id: `ts-${i}`,
            timestamp: [
              '2026-02-30T10:00:00Z',
              '0000-01-01T00:00:00Z',
              '2026-04-23T24:00:00Z',
              '2026-04-23T13:00:00',
            ][i % 4] as string,
          }),
        ),
      ),
  },
  {
    name: 'timestamps out of range (9999-12-31, older than retention)',
    field: 'timestamp',
    requests: () =>
      many((i) =>
        signedRequest(
          currentPayload({
            sync_job_id: `range-${i}`,
            timestamp: i % 2 === 0 ? '9999-12-31T23:59:59Z' : '2020-01-01T00:00:00Z',
          }),
        ),
      ),
  },
  {
    name: 'key fields over DynamoDB byte limits (ASCII and multi-byte)',
    field: 'source_connection_id|collection_readable_id|sync_job_id',
    requests: () =>
      many((i) =>
        signedRequest(
          currentPayload(
            [
              { source_connection_id: 'a'.repeat(1024) },
              { collection_readable_id: '€'.repeat(340) },
              { sync_job_id: '𝄞'.repeat(250) },
            ][i % 3],
          ),
        ),
      ),
  },
  {
    name: 'sync.failed with control characters and a 200 KB error',
    requests: () =>
      many((i) =>
        signedRequest(
          currentPayload({
            event_type: 'sync.failed',
            sync_job_id: `ansi-${i}`,
            error: `\u001b[31mfailed\u001b[0m\r\n\u0007${'x'.repeat(i % 2 === 0 ? 10 : 200_000)}`,
          }),
        ),
      ),
  },
  {
    name: 'query paths with malformed escapes or over-long ids',
    route: 'query',
    requests: () =>
      many((i) =>
        httpEvent(
          'GET',
          `/freshness/${['%', '%zz', '%E0%A4%A', '%C0%AF', '%FF', 'a'.repeat(3000)][i % 6]}`,
          {},
        ),
      ),
  },
];

/**
 * The generated bad-input classes against the handlers on the local engine (its own process): per class,
 * requests tried, unsigned 2xx, 5xx, writes (items other than the quarantine) and quarantined deliveries
 * whose reason names the field. Also checks every alert built from them against SNS's rules.
 */
export async function badInputSection(): Promise<string[]> {
  const engine = await startEngineProcess({ host: '127.0.0.1', port: 0 });
  const client = localDynamoClient(engine.endpoint);
  const rows: string[] = [];
  try {
    for (const bad of BAD_INPUT_CLASSES) {
      const table = `bad-${Math.random().toString(36).slice(2, 10)}`;
      await client.send(new CreateTableCommand(createTableInput(table)));
      const { webhook, query, notifier } = wire(client, table, { retentionDays: 400 });
      let unsigned2xx = 0;
      let fivexx = 0;
      const requests = bad.requests();
      for (const request of requests) {
        const response = await (bad.route === 'query' ? query : webhook)(request);
        const status = response.statusCode ?? 0;
        if (status >= 500) fivexx++;
        if (status < 300 && bad.name.startsWith('signature')) unsigned2xx++;
      }
      // Every page: a Scan stops at 1 MB, which the 200 KB errors reach quickly.
      const items: Record<string, unknown>[] = [];
      let start: ScanCommandOutput['LastEvaluatedKey'];
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []).map((i) => unmarshall(i)));
        start = page.LastEvaluatedKey;
      } while (start);
      const quarantined = items.filter((i) => i.entity === 'quarantine');
      const named = bad.field
        ? quarantined.filter((q) =>
            new RegExp(`^(invalid [a-z.]+ payload: )?(${bad.field})`).test(String(q.reason)),
          ).length
        : 0;
      const writes = items.length - quarantined.length;
      const badAlerts = notifier.alerts.filter(({ alert }) => {
        const built = alertMessage(alert);
        return (
          // eslint-disable-next-line no-control-regex
          /[\u0000-\u001f\u007f-\u009f]/.test(built.subject ?? '') ||
          (built.subject ?? '').length > 99 ||
          Buffer.byteLength(built.message) > SNS_LIMITS.messageMaxBytes
        );
      }).length;
      rows.push(
        `| ${bad.name} | ${requests.length} | ${unsigned2xx} | ${fivexx} | ${writes} | ${quarantined.length} | ${bad.field ? `${named}/${quarantined.length}` : 'n/a'} | ${badAlerts} |`,
      );
    }
  } finally {
    client.destroy();
    await engine.stop();
  }
  return [
    '## Bad input (generated classes, handlers on the local engine)',
    '',
    'Each class is generated by `bench/bad-input.ts` and sent to the webhook (or query) handler wired as in',
    'Lambda, against the local engine. Writes are items other than the quarantine item: a class whose events',
    'are accepted (control characters, long errors) writes its three records per event; every other class must',
    'write none. "Bad SNS messages" counts alerts whose subject or size SNS would refuse.',
    '',
    '| class | requests | unsigned 2xx | 5xx | writes | quarantined | reason names the field | bad SNS messages |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

if (require.main === module) void badInputSection().then((lines) => console.log(lines.join('\n')));
