import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, explain, UsageError } from './errors';
import { audit, freshness, jobs } from './commands/inspect';
import { pipelines } from './commands/pipelines';
import { replay } from './commands/replay';
import { send } from './commands/send';
import { resolveTarget, type Target } from './target';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

const WHERE: Options = {
  local: { type: 'boolean' },
  stack: { type: 'string' },
  endpoint: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const WHERE_HELP = `
Where:
  --local             the local stack (npm start): DynamoDB on 127.0.0.1:\${DYNAMODB_PORT:-8000}
  --stack NAME        a deployed stack, found by its CloudFormation outputs (AWS credentials and region as usual)
  --endpoint URL      with --local: another DynamoDB endpoint
  --config PATH       app config for SLAs and routing (default: $SYNC_EVENTS_CONFIG or config/default.json)
  --json              machine-readable output (snake_case fields, as in the payloads)`;

const HISTORY: Options = {
  ...WHERE,
  collection: { type: 'string' },
  source: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
};
const HISTORY_HELP = `
Filters:
  --collection ID     one collection (readable id)
  --source S          one source: its source_connection_id, or a source type such as slack
  --since T, --until T  a duration back from now (30m, 6h, 2d) or an ISO-8601 time
  --limit N           at most N rows, newest first (default 50)`;

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: Options;
  readonly positionals?: boolean;
  readonly needsTarget: boolean;
  run(
    values: Values,
    positionals: string[],
    target: Target | undefined,
    print: (line: string) => void,
  ): Promise<number>;
}

const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
const flag = (v: string | boolean | undefined) => v === true;

const COMMANDS: Record<string, Command> = {
  send: {
    summary: 'sign and post a test event, as Svix would',
    usage: `sync-events send (--local | --stack NAME | --url URL) [options]

Options:
  --type T                  event type (default sync.completed): sync.pending, sync.running, sync.cancelling,
                            sync.completed, sync.failed, sync.cancelled, or any other Airweave event
  --collection ID           collection readable id (default engineering-context-ab123)
  --source-type S           source type (default github)
  --source-connection-id ID (default: a stable id for the collection and source type)
  --job ID                  sync job id (default: a new one); reuse it to move one job through its states
  --error MSG               the error of a sync.failed event
  --timestamp ISO           event time (default now)
  --legacy                  send the legacy payload (job_id, status) older installs send
  --id MSG_ID               the svix-id to use (default: a new one)
  --resend                  post the last delivery again with the same svix-id and body (a Svix retry)
  --secret whsec_...        signing secret (default: $AIRWEAVE_WEBHOOK_SECRET, or the local stack's)
  --json                    print the answer and the payload as JSON`,
    options: {
      local: { type: 'boolean' },
      stack: { type: 'string' },
      url: { type: 'string' },
      secret: { type: 'string' },
      type: { type: 'string' },
      collection: { type: 'string' },
      'source-type': { type: 'string' },
      'source-connection-id': { type: 'string' },
      job: { type: 'string' },
      error: { type: 'string' },
      timestamp: { type: 'string' },
      legacy: { type: 'boolean' },
      id: { type: 'string' },
      resend: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    needsTarget: false,
    run: (v, _p, _t, print) =>
      send(
        {
          url: str(v.url),
          local: flag(v.local),
          stack: str(v.stack),
          secret: str(v.secret),
          type: str(v.type),
          collection: str(v.collection),
          sourceType: str(v['source-type']),
          sourceConnectionId: str(v['source-connection-id']),
          job: str(v.job),
          error: str(v.error),
          timestamp: str(v.timestamp),
          legacy: flag(v.legacy),
          id: str(v.id),
          resend: flag(v.resend),
          json: flag(v.json),
        },
        print,
      ),
  },
  freshness: {
    summary: 'freshness of every source, or of one collection',
    usage: `sync-events freshness (--local | --stack NAME) [--collection ID] [--json]\n${WHERE_HELP}`,
    options: { ...WHERE, collection: { type: 'string' } },
    needsTarget: true,
    run: (v, _p, t, print) =>
      freshness(t as Target, { collection: str(v.collection), json: flag(v.json) }, print),
  },
  audit: {
    summary: 'recorded events, newest first',
    usage: `sync-events audit (--local | --stack NAME) [filters] [--json]\n${HISTORY_HELP}\n${WHERE_HELP}`,
    options: HISTORY,
    needsTarget: true,
    run: (v, _p, t, print) => audit(t as Target, historyOptions(v), print),
  },
  jobs: {
    summary: 'sync jobs with their state and duration; one job in detail with JOB_ID',
    usage: `sync-events jobs [JOB_ID] (--local | --stack NAME) [filters] [--json]\n${HISTORY_HELP}\n${WHERE_HELP}`,
    options: HISTORY,
    positionals: true,
    needsTarget: true,
    run: (v, p, t, print) => jobs(t as Target, p[0], historyOptions(v), print),
  },
  pipelines: {
    summary: 'chained pipelines: gate state and recent runs',
    usage: `sync-events pipelines (--local | --stack NAME) [--json]\n${WHERE_HELP}`,
    options: WHERE,
    needsTarget: true,
    run: (v, _p, t, print) => pipelines(t as Target, { json: flag(v.json) }, print),
  },
  replay: {
    summary: 're-process quarantined (signed but unparseable) deliveries',
    usage: `sync-events replay (--local | --stack NAME) [--dry-run] [--json]\n\n  --dry-run           say what would happen, change nothing\n${WHERE_HELP}`,
    options: { ...WHERE, 'dry-run': { type: 'boolean' } },
    needsTarget: true,
    run: (v, _p, t, print) => replay(t as Target, { dryRun: flag(v['dry-run']), json: flag(v.json) }, print),
  },
};

function historyOptions(v: Values) {
  return {
    collection: str(v.collection),
    source: str(v.source),
    since: str(v.since),
    until: str(v.until),
    limit: str(v.limit),
    json: flag(v.json),
  };
}

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'sync-events: inspect and exercise an airweave-sync-events stack, local or deployed',
    '',
    'Usage: sync-events <command> [options]     (sync-events <command> --help for its options)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(
  argv: readonly string[],
  print: (line: string) => void = console.log,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help')
    return (print(overview()), 0);
  const command = COMMANDS[name];
  if (!command)
    throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: command.options,
      allowPositionals: command.positionals ?? false,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help) return (print(`Usage: ${command.usage}`), 0);
  if (!command.needsTarget) return command.run(parsed.values, parsed.positionals, undefined, print);
  const target = await resolveTarget({
    local: flag(parsed.values.local),
    stack: str(parsed.values.stack),
    endpoint: str(parsed.values.endpoint),
    config: str(parsed.values.config),
  });
  try {
    return await command.run(parsed.values, parsed.positionals, target, print);
  } catch (error) {
    throw explain(error, target.name);
  } finally {
    target.close();
  }
}

/** The process entry point (`cli/sync-events.js`): exit codes 0 ok, 1 failed, 2 bad usage. */
export function run(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const failure = error instanceof CliError ? error : explain(error, 'sync-events');
      console.error(`sync-events: ${failure.message}`);
      process.exit(failure.exitCode);
    },
  );
}
