import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AlertRoute, FreshnessRule } from '../lambda/core/config';
import type { FreshnessRecord } from '../lambda/core/freshness';
import type { PipelineSpec } from '../lambda/core/pipeline-gate';
import { type PipelineReader, pipelineViews } from '../lambda/core/pipeline-view';
import type { FreshnessReader } from '../lambda/core/ports';
import { type JobAlertFields, type RecentAlert, recentAlerts } from '../lambda/core/recent-alerts';
import { isQueryPath } from '../lambda/core/stack-contract';
import { type HttpHandler, json, method } from '../lambda/http/api';
import { makeQueryHandler } from '../lambda/query/app';
import type { UseCaseDeps } from '../lambda/compose';
import { BOARD_DIR, LOCAL } from './defaults';
import { httpListener, type Route } from './http';

/**
 * The freshness board's server side, one module for both places that serve it: the local stack (`npm
 * start`, next to its webhook and query routes) and `sync-events board`, which serves the same page and the
 * same `GET /freshness` and `GET /pipelines` from a stack's table with the caller's AWS credentials, on
 * loopback, so the page itself never holds a credential.
 *
 * Routes: `GET /` (the page), `GET /board/<asset>` (its script, style sheet and icon, from `board/` in the
 * repository) and `GET /board/alerts` (recent alerts: `{ target, origin, now, alerts: [...] }`).
 */

/**
 * Scripts, styles and connections from this origin only; no inline code, no plugins, no framing, no form
 * posts. `require-trusted-types-for` makes any HTML sink (`innerHTML`, `insertAdjacentHTML`, ...) throw
 * when handed a string, so event text can only ever reach the page as text.
 */
export const BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': BOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The page's files: a fixed list, so no request path ever reaches the file system. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/board/board.js': { file: 'board.js', type: 'text/javascript; charset=utf-8' },
  '/board/board.css': { file: 'board.css', type: 'text/css; charset=utf-8' },
  '/board/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export const ALERTS_PATH = '/board/alerts';

/** Where the board's recent alerts come from, and a sentence saying so on the page. */
export interface AlertFeed {
  readonly origin: string;
  recent(now: Date): Promise<RecentAlert[]>;
}

/**
 * A browser reaches a loopback server under a name it resolved itself, so a page elsewhere can point its own
 * domain at 127.0.0.1 (DNS rebinding) and read these answers as same-origin. Only loopback names are served.
 */
export function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

function secured(result: APIGatewayProxyStructuredResultV2): APIGatewayProxyStructuredResultV2 {
  return { ...result, headers: { ...result.headers, ...SECURITY_HEADERS } };
}

/** Wraps a handler so it answers only GET and HEAD, from a loopback Host, with the board's headers. */
export function boardOnly(handler: HttpHandler): HttpHandler {
  return async (event) => {
    if (!loopbackHost(event.headers.host))
      return secured(json(421, { error: 'the board answers only on 127.0.0.1 or localhost' }));
    const verb = method(event);
    if (verb !== 'GET' && verb !== 'HEAD') return secured(json(405, { error: 'use GET' }));
    return secured(await handler(event));
  };
}

export interface BoardOptions {
  /** What the page says it shows: "local stack" or "stack AirweaveSyncEvents". */
  readonly target: string;
  readonly feed: AlertFeed;
  readonly now?: () => Date;
  /** The page's folder (default: `board/` in the repository). */
  readonly dir?: string;
}

/** The board's own routes: the page, its assets and the recent alerts. */
export function boardRoutes(options: BoardOptions): Route[] {
  const dir = options.dir ?? BOARD_DIR;
  const now = options.now ?? (() => new Date());
  const page: HttpHandler = async (event) => {
    const asset = ASSETS[event.rawPath];
    if (!asset) return json(404, { error: `no route for ${event.rawPath}` });
    // Read on each request: the files are small, and an edited page shows on reload.
    const body = await readFile(path.join(dir, asset.file));
    return {
      statusCode: 200,
      headers: { 'content-type': asset.type },
      body: body.toString('base64'),
      isBase64Encoded: true,
    };
  };
  const alerts: HttpHandler = async () => {
    const at = now();
    return json(200, {
      target: options.target,
      origin: options.feed.origin,
      now: at.toISOString(),
      alerts: await options.feed.recent(at),
    });
  };
  return [
    { matches: (p) => p in ASSETS, handler: boardOnly(page) },
    { matches: (p) => p === ALERTS_PATH, handler: boardOnly(alerts) },
  ];
}

/**
 * Local mode's recent alerts: the newest alert lines of `notifications.jsonl`, where the local stand-in for
 * SNS writes every alert it publishes. Only the file's tail is read, so a long-lived data folder costs the
 * same per poll as a new one. One alert published to several teams is one line per team; they are merged.
 */
export function notificationsFeed(file: string, limit = 50, tailBytes = 256 * 1024): AlertFeed {
  return {
    origin: `Alerts published by the local stack (${path.basename(file)}), newest first.`,
    async recent() {
      let text: string;
      try {
        const handle = await open(file, 'r');
        try {
          const { size } = await handle.stat();
          const start = Math.max(0, size - tailBytes);
          const buffer = Buffer.alloc(size - start);
          await handle.read(buffer, 0, buffer.length, start);
          text = buffer.toString('utf8');
          // A cut first line is partial: drop it.
          if (start > 0) text = text.slice(text.indexOf('\n') + 1);
        } finally {
          await handle.close();
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const merged = new Map<string, RecentAlert & { teams: string[] }>();
      for (const line of text.split('\n')) {
        const record = parseLine(line);
        if (!record) continue;
        const key = `${record.at.slice(0, 19)}\u0000${record.kind}\u0000${record.subject}`;
        const seen = merged.get(key);
        if (seen) {
          if (!seen.teams.includes(record.team)) seen.teams.push(record.team);
          continue;
        }
        merged.set(key, {
          at: record.at,
          kind: record.kind as RecentAlert['kind'],
          subject: record.subject,
          collection_readable_id: record.collection,
          source_type: record.source_type,
          teams: [record.team],
          state: 'sent',
        });
      }
      return [...merged.values()].reverse().slice(0, limit);
    },
  };
}

function parseLine(line: string) {
  if (!line.trim()) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (r.channel !== 'alert' || typeof r.at !== 'string') return undefined;
  const message = (typeof r.message === 'object' && r.message !== null ? r.message : {}) as Record<
    string,
    unknown
  >;
  const event = (typeof message.event === 'object' && message.event !== null ? message.event : {}) as Record<
    string,
    unknown
  >;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    at: r.at,
    kind: text(r.kind) ?? 'unknown',
    subject: text(r.subject) ?? '',
    team: text(r.team) ?? '',
    collection:
      text(message.collection_readable_id) ??
      text(event.collection_readable_id) ??
      text(message.collection) ??
      '',
    source_type: text(event.source_type) ?? text(message.source_type),
  };
}

/** What the table feed reads: freshness, pipelines, and one job's item for its alert fields. */
export interface BoardReader extends FreshnessReader, PipelineReader {
  job(jobId: string): Promise<{ job: Record<string, unknown> | undefined }>;
}

/**
 * A deployed stack's recent alerts, derived from its table (see `recentAlerts`). A failed job's alert
 * fields are read once it is among the newest failures, and kept once the alert is settled (they no longer
 * change); so a steady board costs one freshness query and one pipeline query per pipeline per poll.
 */
export function tableFeed(
  reader: BoardReader,
  settings: {
    readonly rules: readonly FreshnessRule[];
    readonly routes: readonly Pick<AlertRoute, 'team' | 'match'>[];
    readonly pipelines: readonly PipelineSpec[];
  },
  limit = 50,
): AlertFeed {
  const settled = new Map<string, JobAlertFields>();
  return {
    origin:
      "Derived from the stack's table: each source's latest failure and whether its alert was sent, open stale " +
      'and stuck episodes, blocked pipelines and failed runs. Alerts already resolved are not kept there.',
    async recent(now) {
      const [records, views] = await Promise.all([
        reader.allFreshness(),
        pipelineViews(settings.pipelines, reader),
      ]);
      const failures = records
        .filter((r): r is FreshnessRecord & { last_failure_job_id: string } => r.last_failure_job_id !== null)
        .sort((a, b) => String(b.last_failure_at).localeCompare(String(a.last_failure_at)))
        .slice(0, limit);
      const failedJobs = new Map<string, JobAlertFields>();
      await Promise.all(
        failures.map(async ({ last_failure_job_id: id }) => {
          const known = settled.get(id);
          if (known) {
            failedJobs.set(id, known);
            return;
          }
          const { job } = await reader.job(id);
          if (!job) return;
          const teams = job.alerted_teams;
          const fields: JobAlertFields = {
            alerted_teams: teams instanceof Set ? [...(teams as Set<string>)].sort() : [],
            alert_sent_at: typeof job.alert_sent_at === 'string' ? job.alert_sent_at : null,
          };
          failedJobs.set(id, fields);
          if (fields.alert_sent_at !== null) settled.set(id, fields);
        }),
      );
      const teamOf = new Map(settings.pipelines.map((p) => [p.name, p.team]));
      return recentAlerts({
        records,
        pipelines: views.map((v) => ({ ...v, team: teamOf.get(v.name) })),
        failedJobs,
        rules: settings.rules,
        routes: settings.routes,
        now,
        limit,
      });
    },
  };
}

export interface BoardServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `sync-events board`: the page, the board's alerts and the query endpoints, served from one set of use-case
 * dependencies (built by the composition root from a stack's table, or the local engine), on 127.0.0.1 only.
 */
export async function serveBoard(options: {
  readonly target: string;
  readonly deps: UseCaseDeps;
  readonly port: number;
}): Promise<BoardServer> {
  const { deps } = options;
  const query = boardOnly(makeQueryHandler(deps));
  const server: Server = createServer(
    httpListener([
      ...boardRoutes({ target: options.target, feed: tableFeed(deps.reads, deps), now: deps.now }),
      {
        matches: isQueryPath,
        handler: query,
      },
    ]),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only, whatever the machine's interfaces: the server reads with the user's credentials.
    server.listen(options.port, LOCAL.host, () => resolve());
  });
  return {
    url: `http://${LOCAL.host}:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
