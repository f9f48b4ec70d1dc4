import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../core/metrics';
import { PowertoolsMetrics, powertoolsLog } from './powertools';

/** The Lambda functions' log and metrics, created once per container (the handler files call this at cold start). */
export function lambdaTelemetry(service: string) {
  const logger = new Logger({ serviceName: service });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  return { log: powertoolsLog(logger), metrics: new PowertoolsMetrics(metrics) };
}
