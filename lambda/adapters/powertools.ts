import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricName, MetricsSink } from '../core/metrics';
import type { Log } from '../core/ports';

/** The core's Log on Powertools' Logger: structured JSON lines with the fields as top-level keys. */
export function powertoolsLog(logger: Logger): Log {
  return {
    info: (message, fields = {}) => logger.info(message, fields),
    warn: (message, fields = {}) => logger.warn(message, fields),
    error: (message, fields = {}) => logger.error(message, fields),
  };
}

/**
 * Metrics as embedded-metric-format documents on stdout, each with its own dimensions (Powertools'
 * single metrics): CloudWatch extracts them from the logs, no PutMetricData call in the request path.
 */
export class PowertoolsMetrics implements MetricsSink {
  constructor(private readonly metrics: Metrics) {}

  count(name: MetricName, dimensions: Readonly<Record<string, string>> = {}, value = 1): void {
    this.emit(name, MetricUnit.Count, value, dimensions);
  }

  seconds(name: MetricName, value: number, dimensions: Readonly<Record<string, string>> = {}): void {
    this.emit(name, MetricUnit.Seconds, value, dimensions);
  }

  private emit(
    name: MetricName,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
    dimensions: Readonly<Record<string, string>>,
  ): void {
    const single = this.metrics.singleMetric();
    // CloudWatch refuses empty dimension values; an unknown source type is still a source type.
    for (const [key, dimension] of Object.entries(dimensions))
      single.addDimension(key, dimension || 'unknown');
    single.addMetric(name, unit, value);
  }
}
