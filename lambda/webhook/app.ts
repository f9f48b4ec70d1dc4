import { SignatureError } from '../core/errors';
import { ingest, type IngestDeps, type IngestOutcome } from '../core/ingest';
import { METRIC, type MetricsSink } from '../core/metrics';
import type { Log } from '../core/ports';
import { header } from '../core/signature';
import { fromError, type HttpHandler, json, method, rawBody } from '../http/api';

export interface WebhookDeps extends IngestDeps {
  readonly log: Log;
  readonly metrics: MetricsSink;
}

/**
 * The webhook endpoint: `POST` runs the ingest use case; `HEAD` is Airweave's check of a new subscription
 * and answers 200 with no side effect. Thin on purpose: it maps the outcome to a status, a log line and
 * metrics; everything else is in `core/ingest.ts`. Logs carry identifiers, never the body or a secret.
 */
export function makeWebhookHandler(deps: WebhookDeps): HttpHandler {
  return async (event) => {
    const verb = method(event);
    if (verb === 'HEAD') return { statusCode: 200 };
    if (verb !== 'POST') return json(405, { error: `${verb} is not allowed; use POST` });
    const headers = event.headers ?? {};
    try {
      const outcome = await ingest(deps, headers, rawBody(event));
      deps.log.info(`delivery ${outcome.result}`, logFields(outcome));
      record(deps.metrics, outcome);
      return json(outcome.result === 'quarantined' ? 202 : 200, { result: outcome.result });
    } catch (error) {
      const svixId = header(headers, 'svix-id') ?? header(headers, 'webhook-id');
      if (error instanceof SignatureError) {
        deps.log.warn('delivery rejected', {
          svix_id: svixId,
          reason: error.message,
          source_ip: event.requestContext.http.sourceIp,
        });
        deps.metrics.count(METRIC.rejectedSignatures);
      } else {
        deps.log.error('delivery failed', {
          svix_id: svixId,
          error: (error as Error).message,
          error_name: (error as Error).name,
        });
      }
      return fromError(error);
    }
  };
}

function logFields(outcome: IngestOutcome): Record<string, unknown> {
  return {
    svix_id: outcome.deliveryId,
    result: outcome.result,
    ...(outcome.event && {
      sync_job_id: outcome.event.sync_job_id,
      event_type: outcome.event.event_type,
      collection: outcome.event.collection_readable_id,
      source_type: outcome.event.source_type,
      source_connection_id: outcome.event.source_connection_id,
    }),
    ...(outcome.reason && { reason: outcome.reason }),
    ...(outcome.syncDurationSeconds !== undefined && { sync_duration_seconds: outcome.syncDurationSeconds }),
    ...(outcome.pipelines?.length && {
      pipelines: outcome.pipelines.map((p) => ({
        pipeline: p.pipeline,
        decision: p.decision,
        execution_name: p.executionName,
      })),
    }),
  };
}

function record(metrics: MetricsSink, outcome: IngestOutcome): void {
  const event = outcome.event;
  if (outcome.result === 'ignored') metrics.count(METRIC.ignored);
  if (outcome.result === 'quarantined') metrics.count(METRIC.quarantined);
  if (outcome.result === 'duplicate') metrics.count(METRIC.duplicates);
  if (outcome.result === 'processed' && event) {
    metrics.count(METRIC.events, { event_type: event.event_type, source_type: event.source_type });
    metrics.count(METRIC.recordedEvents, { origin: event.origin });
  }
  if (outcome.syncDurationSeconds !== undefined && event)
    metrics.seconds(METRIC.syncDuration, outcome.syncDurationSeconds, { source_type: event.source_type });
  // A retried delivery may be the one that finally starts a run, so these count on duplicates too.
  for (const pipeline of outcome.pipelines ?? []) {
    if (pipeline.decision === 'started')
      metrics.count(METRIC.pipelineRunsStarted, { pipeline: pipeline.pipeline });
    if (pipeline.decision === 'blocked')
      metrics.count(METRIC.pipelinesBlocked, { pipeline: pipeline.pipeline });
  }
}
