import { SignatureError } from '../core/errors';
import { ingest, type IngestDeps } from '../core/ingest';
import type { Log } from '../core/ports';
import { fromError, type HttpHandler, json, method, rawBody } from '../http/api';

export interface WebhookDeps extends IngestDeps {
  readonly log: Log;
}

/**
 * The webhook endpoint: `POST` runs the ingest use case; `HEAD` is Airweave's check of a new subscription
 * and answers 200 with no side effect. Thin on purpose: everything else is in `core/ingest.ts`.
 */
export function makeWebhookHandler(deps: WebhookDeps): HttpHandler {
  return async (event) => {
    const verb = method(event);
    if (verb === 'HEAD') return { statusCode: 200 };
    if (verb !== 'POST') return json(405, { error: `${verb} is not allowed; use POST` });
    try {
      const outcome = await ingest(deps, event.headers ?? {}, rawBody(event));
      deps.log.info('delivery accepted', {
        svix_id: outcome.deliveryId,
        result: outcome.result,
        ...(outcome.event && {
          sync_job_id: outcome.event.sync_job_id,
          event_type: outcome.event.event_type,
          collection: outcome.event.collection_readable_id,
          source_type: outcome.event.source_type,
        }),
        ...(outcome.reason && { reason: outcome.reason }),
      });
      return json(outcome.result === 'quarantined' ? 202 : 200, { result: outcome.result });
    } catch (error) {
      if (error instanceof SignatureError) deps.log.warn('delivery rejected', { reason: error.message });
      else
        deps.log.error('delivery failed', { error: (error as Error).message, kind: (error as Error).name });
      return fromError(error);
    }
  };
}
