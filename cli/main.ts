import { parseArgs, type ParseArgsConfig } from 'node:util';
import { version } from '../package.json';
import { parseDuration } from '../lambda/core/duration';
import { CliError, explain, UsageError } from './errors';
import { drained, type Output, stdio } from './output';
import { visible } from './terminal';
import type { Target } from './target';

type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

/**
 * The registry below is all `--help` loads: each command's code (and the AWS SDK behind it) is imported
 * only when that command runs, which keeps a start of the compiled CLI near Node's own.
 *
 * Exit codes: 0 ok, 1 failed, 2 bad usage, 3 `freshness --check` found a stale or failed source.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, stale: 3 } as const;

const AWS: Options = {
  region: { type: 'string' },
  profile: { type: 'string' },
};
const AWS_HELP = `
  --region R          AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, or the profile's)
  --profile P         named profile of the shared AWS config (default: $AWS_PROFILE)`;

const WHERE: Options = {
  local: { type: 'boolean' },
  stack: { type: 'string' },
  endpoint: { type: 'string' },
  config: { type: 'string' },
  ...AWS,
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const WHERE_HELP = `
Where:
  --local             the local stack (npm start): DynamoDB on 127.0.0.1:\${DYNAMODB_PORT:-8000}
  --stack NAME        a deployed stack, found by its CloudFormation outputs
  --endpoint URL      with --local: the local stack's DynamoDB endpoint, if not the default one
  --config PATH       app config for SLAs and routing (default: $SYNC_EVENTS_CONFIG or config/default.json)${AWS_HELP}
  --json              machine-readable output (snake_case fields, as in the payloads)`;

const WATCH_HELP = `
  --watch [INTERVAL]  run again every INTERVAL (default 2s; 5s, 1m, ...) until Ctrl-C`;

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
  --limit N           at most N rows, newest first (default 50, at most 10000); stderr says when more remain`;

/** What a command gets: its parsed flags, where to write, and the stack it works on when it needs one. */
export interface CommandInput {
  readonly values: Values;
  readonly positionals: string[];
  readonly out: Output;
}

interface CommandSpec {
  readonly summary: string;
  readonly usage: string;
  readonly options: Options;
  readonly positionals?: boolean;
  /** Accepts `--watch [INTERVAL]`: runs again until interrupted. */
  readonly watch?: boolean;
}

export type Command = CommandSpec &
  (
    | { readonly needsTarget: false; run(input: CommandInput): Promise<number> }
    | { readonly needsTarget: true; run(input: CommandInput & { readonly target: Target }): Promise<number> }
  );

export const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
export const flag = (v: string | boolean | undefined) => v === true;

const COMMANDS: Record<string, Command> = {
  send: {
    summary: 'sign and post a test event, as Svix would',
    usage: `sync-events send (--local | --stack NAME | --endpoint URL) [options]

Options:
  --endpoint URL            the webhook endpoint to post to (--url is an alias)
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
  --secret whsec_...        signing secret (default: $AIRWEAVE_WEBHOOK_SECRET, or the local stack's)${AWS_HELP}
  --json                    print the answer and the payload as JSON`,
    options: {
      local: { type: 'boolean' },
      stack: { type: 'string' },
      endpoint: { type: 'string' },
      url: { type: 'string' },
      ...AWS,
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
    run: async ({ values: v, out }) => {
      if (v.endpoint !== undefined && v.url !== undefined)
        throw new UsageError('--url is an alias of --endpoint: give one of them');
      const { send } = await import('./commands/send');
      return send(
        {
          url: str(v.endpoint) ?? str(v.url),
          local: flag(v.local),
          stack: str(v.stack),
          aws: { region: str(v.region), profile: str(v.profile) },
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
        out.print,
      );
    },
  },
  freshness: {
    summary: 'freshness of every source, or of one collection',
    usage: `sync-events freshness (--local | --stack NAME) [--collection ID] [--at T] [--check] [--watch [INTERVAL]] [--json]

  --collection ID     one collection
  --at T              as it stood at T, rebuilt from the audit trail, with the deciding events: an ISO time
                      with a zone (2026-04-23T13:50:00Z) or a duration back from now (90m, 2d)
  --check             exit 3 when any source is stale or failed (0 when all are fresh or have no SLA)
  --all               also the retired sources (deleted in Airweave), which are hidden otherwise${WATCH_HELP}
${WHERE_HELP}`,
    options: {
      ...WHERE,
      collection: { type: 'string' },
      at: { type: 'string' },
      check: { type: 'boolean' },
      all: { type: 'boolean' },
    },
    watch: true,
    needsTarget: true,
    run: async ({ values: v, target, out }) => {
      const at = str(v.at);
      if (at !== undefined) {
        const { freshnessAt } = await import('./commands/freshness-at');
        const options = { at, collection: str(v.collection), json: flag(v.json) };
        const { unhealthy } = await freshnessAt(target, options, out.print);
        return flag(v.check) && unhealthy ? EXIT.stale : EXIT.ok;
      }
      const { freshness } = await import('./commands/inspect');
      const { unhealthy } = await freshness(
        target,
        { collection: str(v.collection), json: flag(v.json), all: flag(v.all) },
        out.print,
      );
      return flag(v.check) && unhealthy ? EXIT.stale : EXIT.ok;
    },
  },
  audit: {
    summary: 'recorded events, newest first',
    usage: `sync-events audit (--local | --stack NAME) [filters] [--json]\n${HISTORY_HELP}\n${WHERE_HELP}`,
    options: HISTORY,
    needsTarget: true,
    run: async ({ values, target, out }) =>
      (await import('./commands/inspect')).audit(target, historyOptions(values), out),
  },
  jobs: {
    summary: 'sync jobs with their state and duration; one job in detail with JOB_ID',
    usage: `sync-events jobs [JOB_ID] (--local | --stack NAME) [filters] [--json]\n${HISTORY_HELP}\n${WHERE_HELP}`,
    options: HISTORY,
    positionals: true,
    needsTarget: true,
    run: async ({ values, positionals, target, out }) =>
      (await import('./commands/inspect')).jobs(target, positionals[0], historyOptions(values), out),
  },
  pipelines: {
    summary: 'chained pipelines: gate state and recent runs',
    usage: `sync-events pipelines (--local | --stack NAME) [--watch [INTERVAL]] [--json]\n${WATCH_HELP}\n${WHERE_HELP}`,
    options: WHERE,
    watch: true,
    needsTarget: true,
    run: async ({ values, target, out }) =>
      (await import('./commands/pipelines')).pipelines(target, { json: flag(values.json) }, out.print),
  },
  board: {
    summary: 'the freshness board in the browser, served on 127.0.0.1',
    usage: `sync-events board (--local | --stack NAME) [--port N]

  --port N            loopback port to serve on (default 3001; 0 picks a free one)
${WHERE_HELP}`,
    options: { ...WHERE, port: { type: 'string' } },
    needsTarget: true,
    run: async ({ values, target, out }) =>
      (await import('./commands/board')).board(target, { port: str(values.port) }, out),
  },
  reconcile: {
    summary: "ask Airweave's API for job states the webhooks missed, and record them",
    usage: `sync-events reconcile (--local | --stack NAME) [--collection C] [--dry-run] [--json]

  --collection C      one collection (readable id)
  --dry-run           read Airweave and the table, say what would be recorded, change nothing

The API key: $AIRWEAVE_API_KEY, else the stack's AirweaveApiKeySecretArn secret; the API: $AIRWEAVE_API_URL,
else the config's airweave.apiUrl.
${WHERE_HELP}`,
    options: { ...WHERE, collection: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    needsTarget: true,
    run: async ({ values, target, out }) =>
      (await import('./commands/reconcile')).reconcile(
        target,
        { collection: str(values.collection), dryRun: flag(values['dry-run']), json: flag(values.json) },
        out,
      ),
  },
  replay: {
    summary: 're-process quarantined (signed but unparseable) deliveries',
    usage: `sync-events replay (--local | --stack NAME) [--dry-run] [--json]\n\n  --dry-run           say what would happen, change nothing\n${WHERE_HELP}`,
    options: { ...WHERE, 'dry-run': { type: 'boolean' } },
    needsTarget: true,
    run: async ({ values, target, out }) =>
      (await import('./commands/replay')).replay(
        target,
        { dryRun: flag(values['dry-run']), json: flag(values.json) },
        out,
      ),
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
    `sync-events ${version}: inspect and exercise an airweave-sync-events stack, local or deployed`,
    '',
    'Usage: sync-events <command> [options]     (sync-events <command> --help for its options)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 failed, 2 bad usage, 3 freshness --check found a stale or failed source.',
    'sync-events --version prints the version.',
  ].join('\n');
}

const DEFAULT_WATCH = '2s';

/**
 * `--watch` takes an optional interval, which parseArgs cannot express: a `--watch` not followed by a
 * duration gets the default one.
 */
function withWatchInterval(args: readonly string[]): string[] {
  return args.flatMap((arg, i) => {
    if (arg !== '--watch') return [arg];
    const next = args[i + 1];
    return next !== undefined && parseDuration(next) !== undefined ? [arg] : [arg, DEFAULT_WATCH];
  });
}

function watchSeconds(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined)
    throw new UsageError(`--watch takes an interval such as 2s, 30s or 1m, got "${text}"`);
  return seconds;
}

/**
 * Runs one command line. `out` receives the output (stdout and stderr by default); the result is the exit
 * code, and a CliError says what went wrong when the command could not do its work.
 */
export async function main(
  argv: readonly string[],
  out: Output | ((line: string) => void) = stdio,
  signal?: AbortSignal,
): Promise<number> {
  const output: Output = typeof out === 'function' ? { print: out, note: () => {} } : out;
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help')
    return (output.print(overview()), EXIT.ok);
  if (name === '--version' || name === '-v') return (output.print(version), EXIT.ok);
  const command = COMMANDS[name];
  if (!command)
    throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: command.watch ? withWatchInterval(rest) : [...rest],
      options: command.watch ? { ...command.options, watch: { type: 'string' } } : command.options,
      allowPositionals: command.positionals ?? false,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return (output.print(`Usage: ${command.usage}`), EXIT.ok);
  const watch = str(values.watch);
  const every = watch === undefined ? undefined : watchSeconds(watch);
  if (every !== undefined && values.check)
    throw new UsageError('--check answers once: use it without --watch');
  if (!command.needsTarget) return command.run({ values, positionals, out: output });

  const { resolveTarget } = await import('./target');
  const target = await resolveTarget({
    local: flag(values.local),
    stack: str(values.stack),
    endpoint: str(values.endpoint),
    config: str(values.config),
    aws: { region: str(values.region), profile: str(values.profile) },
  });
  const once = async (): Promise<number> => {
    try {
      return await command.run({ values, positionals, target, out: output });
    } catch (error) {
      throw explain(error, target.name, target.kind === 'local');
    }
  };
  try {
    if (every === undefined) return await once();
    return await watchLoop(once, every, output, signal);
  } finally {
    target.close();
  }
}

/**
 * `--watch`: the command again every `seconds` until Ctrl-C (or `signal`). On a terminal each answer
 * replaces the last; on a pipe they follow each other (one JSON document per line with --json). A failed
 * round is reported and the next one tried: a stack restarting is worth watching through.
 */
async function watchLoop(
  once: () => Promise<number>,
  seconds: number,
  out: Output,
  signal = interruption(),
): Promise<number> {
  const tty = process.stdout.isTTY === true && out === stdio;
  while (!signal.aborted) {
    if (tty) process.stdout.write('\u001b[H\u001b[2J');
    try {
      await once();
    } catch (error) {
      out.note(`sync-events: ${(error as Error).message}`);
    }
    if (tty) out.note(`every ${seconds} s, ${new Date().toISOString().slice(0, 19)}Z; Ctrl-C stops`);
    if (signal.aborted) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, seconds * 1000);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return EXIT.ok;
}

/** Aborted by the first Ctrl-C or SIGTERM: the watch ends after its current round, with exit code 0. */
function interruption(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

/**
 * The process entry point (`cli/sync-events.js`). The exit waits until stdout and stderr are drained:
 * exiting right after a write would cut piped output short.
 */
export function run(): void {
  // A reader that goes away (`| head`) is not an error worth a stack trace: stop writing and end.
  const closed = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  };
  process.stdout.on('error', closed);
  process.stderr.on('error', closed);
  main(process.argv.slice(2))
    .catch((error: unknown) => {
      const failure = error instanceof CliError ? error : explain(error, 'sync-events');
      // The message may quote the server or the data (an endpoint's error text): shown, not obeyed.
      stdio.note(`sync-events: ${failure.message.split('\n').map(visible).join('\n')}`);
      return failure.exitCode;
    })
    .then(async (code) => {
      process.exitCode = code;
      await drained();
      // Everything is written: end now, whatever handle (an SDK socket, a timer) is still open.
      process.exit(code);
    });
}
