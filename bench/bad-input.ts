import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../lambda/adapters/table-definition';
import { alertMessage, SNS_LIMITS } from '../lambda/core/outbound';
import { decodeSecrets, sign } from '../lambda/core/signature';
import { QUERY_ROUTES, ROUTES } from '../lambda/core/stack-contract';
import { keys } from '../lambda/core/table-schema';
import { currentPayload, type CurrentPayload } from '../examples/payloads';
import { localDynamoClient, scanTable, startEngineProcess } from '../local/engine';
import { wire } from '../harness/stack';
import { NO_ROUTE, route, routeRequest } from './api-gateway';
import type { BundledTarget } from './lambda-bundle';

/**
 * The generated bad-input suite of issue 10, one definition run by both `test/bad-input.test.ts` (which
 * asserts its figures) and `npm run bench` (which prints them into BENCHMARKS.md), against two targets:
 * the handlers on the local engine, and the bundled webhook and query assets of `cdk.out` loaded as the
 * Lambda runtime loads them (`bench/lambda-bundle.ts`).
 */

/** A request as a client sends it over HTTP; each target turns it into what its handler receives. */
export interface SuiteRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** True when the request carries a valid Svix signature of its body: only those may be answered 2xx. */
  readonly signed: boolean;
  /** The payload field this request's quarantine reason must name; undefined when it must not be quarantined. */
  readonly field?: string;
}

export interface SuiteResponse {
  readonly statusCode: number;
  readonly body?: string;
}

/** What the suite runs against: a webhook and query front door, and the table behind it. */
export interface BadInputTarget {
  /** The secret the target verifies signatures with: the suite signs with it. */
  readonly secret: string;
  send(request: SuiteRequest): Promise<SuiteResponse>;
  /** Every item of the target's table, all pages. */
  items(): Promise<Record<string, unknown>[]>;
  /** Messages and calls refused so far by SNS's and Step Functions' documented rules. */
  refusedOutbound(): number;
}

interface Context {
  readonly key: Buffer;
  readonly nowSeconds: number;
  /** The payload's timestamp: five minutes before now, inside the signature tolerance and the retention. */
  readonly eventTime: string;
}

/**
 * What every request of a class must come to: refused with a 4xx and nothing written; quarantined (202)
 * with a reason naming its field and nothing else written; or recorded whole (audit event, job, freshness).
 */
export type Outcome = 'refused' | 'quarantined' | 'recorded';

interface BadClass {
  readonly name: string;
  readonly outcome: Outcome;
  readonly generate: (i: number, ctx: Context) => SuiteRequest;
}

const WEBHOOK_PATH = ROUTES.webhook;

function signedDelivery(ctx: Context, id: string, overrides: Partial<CurrentPayload>, field?: string) {
  const body = JSON.stringify(currentPayload({ timestamp: ctx.eventTime, ...overrides }));
  const headers = {
    'content-type': 'application/json',
    'svix-id': id,
    'svix-timestamp': String(ctx.nowSeconds),
    'svix-signature': `v1,${sign(ctx.key, id, ctx.nowSeconds, body)}`,
  };
  return { method: 'POST', path: WEBHOOK_PATH, headers, body, signed: true, field } as const;
}

const pick = <T>(options: readonly T[], i: number): T => options[i % options.length] as T;
/** Ids unique across classes and runs: the suite never collides with a delivery it sent before. */
const run = Date.now().toString(36);

/** One generator per class of bad input of issue 10; each request is new (its own svix-id and job). */
export const BAD_INPUT_CLASSES: readonly BadClass[] = [
  {
    name: 'forged or stale (wrong secret, other body, stale or future time, headers missing)',
    outcome: 'refused',
    generate: (i, ctx) => {
      const body = JSON.stringify(
        currentPayload({ sync_job_id: `forged-${run}-${i}`, timestamp: ctx.eventTime }),
      );
      const id = `msg_forged_${run}_${i}`;
      const other = decodeSecrets([
        `whsec_${Buffer.from('not-the-signing-secret-0123456789').toString('base64')}`,
      ]);
      const at = (seconds: number, key = ctx.key, text = body) => ({
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(seconds),
        'svix-signature': `v1,${sign(key, id, seconds, text)}`,
      });
      const headers = pick<Record<string, string>>(
        [
          at(ctx.nowSeconds, other[0] as Buffer),
          at(ctx.nowSeconds, ctx.key, `${body} `),
          at(ctx.nowSeconds - 3600),
          at(ctx.nowSeconds + 3600),
          { 'content-type': 'application/json', 'svix-id': id, 'svix-timestamp': String(ctx.nowSeconds) },
        ],
        i,
      );
      return { method: 'POST', path: WEBHOOK_PATH, headers, body, signed: false };
    },
  },
  {
    name: 'signature re-encoded (base64url, no padding, junk after padding)',
    outcome: 'refused',
    generate: (i, ctx) => {
      const id = `msg_sig_${run}_${i}`;
      const body = JSON.stringify(
        currentPayload({ sync_job_id: `sig-${run}-${i}`, timestamp: ctx.eventTime }),
      );
      const good = sign(ctx.key, id, ctx.nowSeconds, body);
      const variant = pick(
        [
          good.replace(/\+/g, '-').replace(/\//g, '_') + (/[+/]/.test(good) ? '' : '-'),
          good.replace(/=+$/, ''),
          `${good}AA==`,
        ],
        i,
      );
      const headers = {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(ctx.nowSeconds),
        'svix-signature': `v1,${variant}`,
      };
      return { method: 'POST', path: WEBHOOK_PATH, headers, body, signed: false };
    },
  },
  {
    // The svix-id becomes the key of a quarantined or ignored delivery: a signed one too long to key is
    // quarantined under a digest of it, whole, with the reason (Svix's own ids are about 30 characters).
    name: 'signed, svix-id over the delivery key limit',
    outcome: 'quarantined',
    generate: (i, ctx) =>
      signedDelivery(
        ctx,
        `msg_long_${run}_${i}_${'x'.repeat(pick([1100, 1500, 2000], i))}`,
        { sync_job_id: `long-${run}-${i}` },
        'svix-id',
      ),
  },
  {
    name: 'impossible timestamps (Feb 30, year 0000, hour 24, no zone)',
    outcome: 'quarantined',
    generate: (i, ctx) =>
      signedDelivery(
        ctx,
        `msg_ts_${run}_${i}`,
        {
          sync_job_id: `ts-${run}-${i}`,
          timestamp: pick(
            ['2026-02-30T10:00:00Z', '0000-01-01T00:00:00Z', '2026-04-23T24:00:00Z', '2026-04-23T13:00:00'],
            i,
          ),
        },
        'timestamp',
      ),
  },
  {
    name: 'timestamps out of range (9999-12-31, older than retention)',
    outcome: 'quarantined',
    generate: (i, ctx) =>
      signedDelivery(
        ctx,
        `msg_range_${run}_${i}`,
        {
          sync_job_id: `range-${run}-${i}`,
          timestamp: pick(['9999-12-31T23:59:59Z', '2020-01-01T00:00:00Z'], i),
        },
        'timestamp',
      ),
  },
  {
    name: 'key fields over DynamoDB byte limits (ASCII and multi-byte)',
    outcome: 'quarantined',
    generate: (i, ctx) => {
      const [overrides, field] = pick<[Partial<CurrentPayload>, string]>(
        [
          [{ source_connection_id: 'a'.repeat(1024) }, 'source_connection_id'],
          [{ collection_readable_id: '€'.repeat(340) }, 'collection_readable_id'],
          [{ sync_job_id: '𝄞'.repeat(250) }, 'sync_job_id'],
        ],
        i,
      );
      return signedDelivery(
        ctx,
        `msg_key_${run}_${i}`,
        { sync_job_id: `key-${run}-${i}`, ...overrides },
        field,
      );
    },
  },
  {
    name: 'sync.failed with control characters and a 200 KB error',
    outcome: 'recorded',
    generate: (i, ctx) =>
      signedDelivery(ctx, `msg_ansi_${run}_${i}`, {
        event_type: 'sync.failed',
        sync_job_id: `ansi-${run}-${i}`,
        error: `\u001b[31mfailed\u001b[0m\r\n\u0007${'x'.repeat(i % 2 === 0 ? 10 : 200_000)}`,
      }),
  },
  {
    name: 'query paths with malformed escapes or over-long ids',
    outcome: 'refused',
    generate: (i) => ({
      method: 'GET',
      path: `/freshness/${pick(['%', '%zz', '%E0%A4%A', '%C0%AF', '%FF', 'a'.repeat(3000)], i)}`,
      headers: {},
      signed: false,
    }),
  },
];

/** One class's outcome on one target. */
export interface ClassFigures {
  readonly name: string;
  readonly outcome: Outcome;
  readonly requests: number;
  /** 2xx answers to webhook requests without a valid signature (must be 0). */
  readonly unsigned2xx: number;
  /** 5xx answers (must be 0: Svix would retry something that can never work). */
  readonly fivexx: number;
  /** Items the class added other than quarantine items. */
  readonly writes: number;
  readonly quarantined: number;
  /** Quarantine items whose reason names the field the request got wrong. */
  readonly reasonNamesField: number;
  /** Requests whose quarantine must name a field. */
  readonly expectedQuarantines: number;
  /** Audit events without their job or freshness record, or a job or freshness record without its events. */
  readonly partial: number;
  /** Publishes and executions the stand-ins (or SNS's rules) refused during the class. */
  readonly refusedOutbound: number;
  /** Each status answered, with its count. */
  readonly statuses: Readonly<Record<string, number>>;
}

const itemKey = (item: Record<string, unknown>) => `${String(item.pk)}\u0000${String(item.sk)}`;

/**
 * The records that do not tell the whole truth: an audit event whose job or freshness record is missing,
 * a job without any audit event, a freshness record without an audit event of its collection and source.
 */
export function partialRecords(items: readonly Record<string, unknown>[]): Set<string> {
  const present = new Set(items.map(itemKey));
  const has = (k: { pk: string; sk: string }) => present.has(`${k.pk}\u0000${k.sk}`);
  const events = items.filter((i) => i.entity === 'event');
  const jobsWithEvents = new Set(events.map((e) => keys.job(String(e.sync_job_id)).pk));
  const sourcesWithEvents = new Set(
    events.map((e) => itemKey(keys.freshness(String(e.collection_readable_id), String(e.source_key)))),
  );
  const partial = new Set<string>();
  for (const e of events)
    if (
      !has(keys.job(String(e.sync_job_id))) ||
      !has(keys.freshness(String(e.collection_readable_id), String(e.source_key)))
    )
      partial.add(itemKey(e));
  for (const item of items) {
    const pk = String(item.pk);
    if (item.sk === 'JOB' && !jobsWithEvents.has(pk)) partial.add(itemKey(item));
    if (pk.startsWith('COLL#') && String(item.sk).startsWith('SRC#') && !sourcesWithEvents.has(itemKey(item)))
      partial.add(itemKey(item));
  }
  return partial;
}

/** Runs every class, `perClass` requests each, one request at a time, and measures what each left behind. */
export async function runBadInputSuite(target: BadInputTarget, perClass: number): Promise<ClassFigures[]> {
  const [key] = decodeSecrets([target.secret]) as [Buffer];
  const figures: ClassFigures[] = [];
  let seen = new Set((await target.items()).map(itemKey));
  for (const bad of BAD_INPUT_CLASSES) {
    const refusedBefore = target.refusedOutbound();
    let unsigned2xx = 0;
    let fivexx = 0;
    const statuses: Record<string, number> = {};
    const expectedField = new Map<string, string>();
    for (let i = 0; i < perClass; i++) {
      // The clock is read per request: the bundled function verifies against the machine's own clock.
      const nowSeconds = Math.floor(Date.now() / 1000);
      const eventTime = new Date((nowSeconds - 300) * 1000).toISOString();
      const request = bad.generate(i, { key, nowSeconds, eventTime });
      const { statusCode } = await target.send(request);
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 500) fivexx++;
      if (statusCode < 300 && request.method === 'POST' && !request.signed) unsigned2xx++;
      if (request.field) expectedField.set(String(request.headers['svix-id']), request.field);
    }
    const items = await target.items();
    const added = items.filter((i) => !seen.has(itemKey(i)));
    seen = new Set(items.map(itemKey));
    const partial = partialRecords(items);
    const quarantined = added.filter((i) => i.entity === 'quarantine');
    figures.push({
      name: bad.name,
      outcome: bad.outcome,
      requests: perClass,
      unsigned2xx,
      fivexx,
      writes: added.length - quarantined.length,
      quarantined: quarantined.length,
      reasonNamesField: quarantined.filter((q) => {
        const field = expectedField.get(String(q.svix_id));
        return field !== undefined && String(q.reason).includes(field);
      }).length,
      expectedQuarantines: expectedField.size,
      partial: added.filter((i) => partial.has(itemKey(i))).length,
      refusedOutbound: target.refusedOutbound() - refusedBefore,
      statuses,
    });
  }
  return figures;
}

/** The figures as a markdown table, one row per class. */
export function figuresTable(figures: readonly ClassFigures[]): string[] {
  return [
    '| class | requests | statuses | unsigned 2xx | 5xx | writes | quarantined | reason names the field | partial records | refused by SNS/SFN rules |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...figures.map(
      (f) =>
        `| ${f.name} | ${f.requests} | ${Object.entries(f.statuses)
          .map(([s, n]) => `${s}: ${n}`)
          .join(', ')} | ${f.unsigned2xx} | ${f.fivexx} | ${f.writes} | ${f.quarantined} | ${
          f.expectedQuarantines ? `${f.reasonNamesField}/${f.expectedQuarantines}` : 'n/a'
        } | ${f.partial} | ${f.refusedOutbound} |`,
    ),
  ];
}

/** A target: the handlers wired as in Lambda (`harness/stack.ts`) on the local engine in its own process. */
export async function handlersTarget(secret: string): Promise<BadInputTarget & { stop(): Promise<void> }> {
  const engine = await startEngineProcess({ host: '127.0.0.1', port: 0 });
  const client = localDynamoClient(engine.endpoint, 3);
  const table = `bad-input-${process.pid}-${run}`;
  await client.send(new CreateTableCommand(createTableInput(table)));
  // The machine's clock, as the bundled target has: the suite signs with it.
  const { webhook, query, notifier } = wire(client, table, { secrets: [secret], now: () => new Date() });
  // The routes the stack declares (lambda/core/stack-contract.ts), each to the handler of its function.
  const routes = [
    { ...route(`POST ${ROUTES.webhook}`), handler: webhook },
    ...QUERY_ROUTES.map((path) => ({ ...route(`GET ${path}`), handler: query })),
  ];
  return {
    secret,
    async send(request) {
      const routed = routeRequest(routes, request);
      if (!routed) return NO_ROUTE;
      const response = await routed.route.handler(routed.event);
      return { statusCode: response.statusCode ?? 0, body: response.body };
    },
    items: () => scanTable(client, table),
    // No SNS here: every alert the handlers built is checked against SNS's Publish rules instead.
    refusedOutbound: () =>
      notifier.alerts.filter(({ alert }) => {
        const built = alertMessage(alert);
        const subject = built.subject ?? '';
        return (
          // eslint-disable-next-line no-control-regex
          /[\u0000-\u001f\u007f-\u009f]/.test(subject) ||
          subject.length === 0 ||
          subject.length > SNS_LIMITS.subjectMaxChars ||
          Buffer.byteLength(built.message) > SNS_LIMITS.messageMaxBytes
        );
      }).length,
    async stop() {
      client.destroy();
      await engine.stop();
    },
  };
}

/** Requests per class in CI: enough for every variant of every class several times, the bundled run fewer. */
export const CI_REQUESTS = { handlers: 24, bundle: 10 } as const;

/**
 * The bench section: the same suite (`runBadInputSuite`) on both targets in one run, so BENCHMARKS.md's
 * figures are the suite's own. The bench runs more requests per class than CI does.
 */
export async function badInputSection(perClass = { handlers: 40, bundle: 20 }): Promise<string[]> {
  // Imported here: the synth pulls in the CDK, which the handlers' run does not need.
  const { bundledTarget, synthesize } = await import('./lambda-bundle');
  const secret = SUITE_SECRET;
  const handlers = await handlersTarget(secret);
  let onHandlers: ClassFigures[];
  try {
    onHandlers = await runBadInputSuite(handlers, perClass.handlers);
  } finally {
    await handlers.stop();
  }
  const assembly = synthesize();
  let onBundle: ClassFigures[];
  let served: ReturnType<BundledTarget['served']>;
  try {
    const bundle = await bundledTarget(assembly, secret);
    try {
      onBundle = await runBadInputSuite(bundle, perClass.bundle);
      served = bundle.served();
    } finally {
      await bundle.stop();
    }
  } finally {
    assembly.cleanup();
  }
  return [
    '## Bad input (generated classes: handlers on the local engine, and the bundled assets of cdk.out)',
    '',
    'The suite of `bench/bad-input.ts`, the one `test/bad-input.test.ts` asserts (with fewer requests per class),',
    'run on two targets, each request sent as the API Gateway (HTTP API, payload 2.0) event of the route it',
    'matches (`bench/api-gateway.ts`). Writes are items other than quarantine items: the class whose events are accepted',
    '(control characters, long errors) writes its three records per event; every other class must write none.',
    'Partial records are audit events without their job or freshness record, or the reverse. The last column',
    'counts publishes and executions refused by SNS and Step Functions rules (on the handlers: alerts checked',
    'against the Publish rules; on the bundle: refused by the loopback stand-ins).',
    '',
    `### Handlers on the local engine (${perClass.handlers} requests per class)`,
    '',
    ...figuresTable(onHandlers),
    '',
    `### Bundled webhook and query assets of \`cdk.out\` (${perClass.bundle} requests per class)`,
    '',
    'Each asset `require`d in a fresh `node` process from its `index.js` as the Lambda runtime loads it, with the',
    "template's environment; DynamoDB is the local engine, SNS, Step Functions, Secrets Manager and Lambda are",
    'loopback stand-ins enforcing their documented limits; the routes are read from the template.',
    '',
    ...figuresTable(onBundle),
    '',
    `Stand-ins served the bundle ${served.secretReads} Secrets Manager reads, ${served.published} SNS publishes, ` +
      `${served.started} Step Functions executions and ${served.invoked} Lambda invocations. Its accepted class also`,
    "writes the default config's pipeline gate (one item), which the handlers' run, wired without pipelines, does not.",
    '',
  ];
}

/** The suite's signing secret: any `whsec_` secret; the handlers and the Secrets Manager stand-in hold it. */
export const SUITE_SECRET = `whsec_${Buffer.from('bad-input-suite-signing-secret!!').toString('base64')}`;

if (require.main === module) void badInputSection().then((lines) => console.log(lines.join('\n')));
