import type { FreshnessRule } from '../core/config';
import { maxKeyPartBytes } from '../core/boundary';
import { BadRequestError, NotFoundError } from '../core/errors';
import { collectionFreshness, collectionsFreshness, listed } from '../core/freshness';
import type { AuditHistory } from '../core/audit-trail';
import { allFreshnessAt, collectionFreshnessAt, parseAt } from '../core/freshness-at';
import type { PipelineSpec } from '../core/pipeline-gate';
import { type PipelineReader, pipelineViews } from '../core/pipeline-view';
import type { FreshnessReader, Log } from '../core/ports';
import { ROUTES } from '../core/stack-contract';
import { fromError, type HttpHandler, json, method } from '../http/api';

export interface QueryDeps {
  readonly freshness: FreshnessReader;
  readonly pipelines: readonly PipelineSpec[];
  readonly reads: PipelineReader;
  readonly rules: readonly FreshnessRule[];
  /** The audit trail, for freshness as of a past time (`?at=`), and how long it is kept. */
  readonly history: AuditHistory;
  readonly retentionDays: number;
  readonly now: () => Date;
  readonly log: Log;
}

const COLLECTION_PATH = /^\/freshness\/([^/]+)\/?$/;
/** No recorded collection id is longer: the table's keys could not hold it (`core/boundary.ts`). */
const MAX_COLLECTION_BYTES = maxKeyPartBytes('collection');

/**
 * The collection id of a path segment. A malformed escape (`%`, `%zz`, a cut or overlong UTF-8 sequence
 * such as `%E0%A4%A` or `%C0%AF`) or an id too long to be recorded is the caller's mistake: 400, not a
 * failure worth retrying.
 */
function collectionOf(segment: string): string {
  let collection: string;
  try {
    collection = decodeURIComponent(segment);
  } catch {
    throw new BadRequestError('the collection id in the path has malformed percent-encoding');
  }
  const size = Buffer.byteLength(collection);
  if (size > MAX_COLLECTION_BYTES)
    throw new BadRequestError(
      `the collection id in the path is ${size} bytes; a recorded one is at most ${MAX_COLLECTION_BYTES}`,
    );
  return collection;
}

/**
 * Read-only endpoints (IAM-authorized on AWS): `GET /freshness`, `GET /freshness/{collection_readable_id}`
 * (each with `?at=<RFC 3339>` for freshness as of a past time, rebuilt from the audit trail), `GET /pipelines`.
 */
export function makeQueryHandler(deps: QueryDeps): HttpHandler {
  return async (event) => {
    try {
      if (method(event) !== 'GET') return json(405, { error: 'use GET' });
      const path = event.rawPath.replace(/\/+$/, '') || '/';
      const at = atParameter(event.queryStringParameters);
      // Retired sources (deleted in Airweave) are listed only when asked for.
      const all = event.queryStringParameters?.all === 'true';
      if (path === ROUTES.freshness) {
        if (at !== undefined) return json(200, await allFreshnessAt(deps, parseAt(at, deps.now()), all));
        const records = await deps.freshness.allFreshness();
        return json(200, { collections: collectionsFreshness(listed(records, all), deps.rules, deps.now()) });
      }
      if (path === ROUTES.pipelines)
        return json(200, { pipelines: await pipelineViews(deps.pipelines, deps.reads) });
      const match = COLLECTION_PATH.exec(event.rawPath);
      if (match) {
        const collection = collectionOf(match[1] as string);
        if (at !== undefined)
          return json(200, await collectionFreshnessAt(deps, collection, parseAt(at, deps.now()), all));
        const records = await deps.freshness.collectionFreshness(collection);
        if (records.length === 0) throw new NotFoundError(`no events recorded for collection ${collection}`);
        return json(200, collectionFreshness(collection, listed(records, all), deps.rules, deps.now()));
      }
      throw new NotFoundError(`no route for ${event.rawPath}`);
    } catch (error) {
      if (!(error instanceof NotFoundError) && !(error instanceof BadRequestError))
        deps.log.error('query failed', { error: (error as Error).message });
      return fromError(error);
    }
  };
}

/** `?at=` given at all (even empty, which `parseAt` refuses) asks for freshness as of that time. */
function atParameter(query: Readonly<Record<string, string | undefined>> | undefined): string | undefined {
  return query !== undefined && 'at' in query ? (query.at ?? '') : undefined;
}
