import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from '../core/metrics';
import { PowertoolsMetrics, powertoolsLog } from './powertools';

/**
 * The Lambda functions' log and metrics, created once per container (the handler files call this at cold
 * start). `inContext` wraps a handler so that every log line of an invocation carries the Lambda context
 * (function name and version, `function_request_id`, `cold_start`): a line can then be found from the
 * request id CloudWatch and X-Ray show, and a slow first request told from a cold start.
 */
export function lambdaTelemetry(service: string) {
  const logger = new Logger({ serviceName: service });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  return {
    log: powertoolsLog(logger),
    metrics: new PowertoolsMetrics(metrics),
    inContext:
      <E, R>(handler: (event: E) => Promise<R>) =>
      (event: E, context?: Context): Promise<R> => {
        // Lambda always passes one; the benchmarks and tests that load a bundle call it with the event alone.
        if (context) logger.addContext(context);
        return handler(event);
      },
  };
}
