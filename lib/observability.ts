import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, type MetricName, SERVICE } from '../lambda/core/metrics';
import { pascalCase } from '../lambda/core/stack-contract';

/**
 * The dimension names the functions put on their metrics: `service` is Powertools' (`serviceName`), the
 * others are the keys `lambda/webhook/app.ts` passes to the metrics sink.
 */
const DIMENSION = {
  service: 'service',
  eventType: 'event_type',
  sourceType: 'source_type',
  pipeline: 'pipeline',
} as const;

/** The functions the dashboard shows and the alarms watch. */
export interface ObservedFunctions {
  readonly webhook: lambda.IFunction;
  readonly query: lambda.IFunction;
  readonly watchdog: lambda.IFunction;
}

/**
 * Alarm thresholds: each alarm fires when its metric's sum over one period is at least the threshold.
 * Errors default to 1, since the functions retry nothing silently: one error is a delivery Svix must retry or
 * a watchdog run that did not check freshness.
 */
export interface ObservabilityThresholds {
  /**
   * Webhook function errors (crashes and timeouts, not 4xx answers) in one period.
   * @default 1
   */
  readonly webhookErrors?: number;
  /**
   * API Gateway 5xx answers in one period (integration failures and throttled Lambda included).
   * @default 1
   */
  readonly apiServerErrors?: number;
  /**
   * Verified deliveries the webhook could not record as a lifecycle event (quarantined) in one period.
   * @default 1
   */
  readonly quarantined?: number;
  /**
   * Deliveries rejected for their signature in one period. A few are a retried delivery signed with a
   * rotated-out secret; a burst is a wrong secret after a rotation, or forged requests.
   * @default 20
   */
  readonly rejectedSignatures?: number;
  /**
   * Failed executions of one pipeline's state machine in one period.
   * @default 1
   */
  readonly pipelineFailures?: number;
  /**
   * Watchdog function errors in one watchdog period.
   * @default 1
   */
  readonly watchdogErrors?: number;
}

export interface ObservabilityProps {
  /** The HTTP API of the webhook and the freshness API. */
  readonly api: apigwv2.IHttpApi;
  readonly functions: ObservedFunctions;
  /**
   * The state machine of each chained pipeline, by pipeline name; each gets a failure, a timeout and an
   * abort alarm.
   * @default - no pipelines
   */
  readonly stateMachines?: Readonly<Record<string, sfn.IStateMachine>>;
  /** Every alarm notifies this topic when it fires. */
  readonly topic: sns.ITopic;
  /**
   * Alarms other constructs own (the reconciler's consecutive failed runs), shown in the dashboard's alarm
   * widget with these.
   * @default - none
   */
  readonly extraAlarms?: Readonly<Record<string, cloudwatch.Alarm>>;
  /** @default - the defaults of each threshold */
  readonly thresholds?: ObservabilityThresholds;
  /**
   * The period of the alarms on the webhook, the API and the pipelines, and of the dashboard's graphs.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * The period of the watchdog error alarm. Longer than the other alarms' because the watchdog runs every few
   * minutes and a failed run is retried asynchronously up to twice, about a minute and then two minutes
   * later: 15 minutes holds a run and its retries.
   * @default Duration.minutes(15)
   */
  readonly watchdogPeriod?: Duration;
  /**
   * The dashboard's name. Dashboard names are unique per account across regions, hence the region.
   * @default - `<stack name>-<region>`
   */
  readonly dashboardName?: string;
}

/**
 * The operations view of the deployment: one CloudWatch dashboard and the alarms that notify the operations
 * topic. The dashboard reads the functions' embedded metrics (namespace and names from
 * `lambda/core/metrics.ts`) next to the AWS metrics of the API, the functions and the pipelines' state
 * machines. Metrics whose dimension values are data (source types, event types, pipelines) are graphed with
 * SEARCH expressions, so a new source type appears without a deploy.
 *
 * Every alarm treats missing data as not breaching: the custom metrics are only emitted when something
 * happens (no quarantined delivery means no `Quarantined` data point), and a quiet night is no alarm.
 * Staleness (no syncs completing) is the watchdog's job, which alerts the owning team per source.
 */
export class Observability extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm, by construct id. */
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.period = props.period ?? Duration.minutes(5);
    const watchdogPeriod = props.watchdogPeriod ?? Duration.minutes(15);
    const thresholds = props.thresholds ?? {};
    const machines = Object.entries(props.stateMachines ?? {});
    const { webhook, query, watchdog } = props.functions;
    const action = new SnsAction(props.topic);

    const alarms: Record<string, cloudwatch.Alarm> = {};
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // One period: each of these is an event worth a look, not a rate that must be sustained.
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      // No OK action: CloudWatch would also send it when a new alarm first leaves INSUFFICIENT_DATA, one
      // email per alarm on every fresh deploy; the dashboard's alarm widget shows the recovery.
      created.addAlarmAction(action);
      alarms[alarmId] = created;
    };

    alarm(
      'WebhookErrorsAlarm',
      webhook.metricErrors({ statistic: cloudwatch.Stats.SUM, period: this.period }),
      thresholds.webhookErrors ?? 1,
      'The webhook function failed (error or timeout): Svix retries the delivery, but a lasting failure loses ' +
        'sync events. Check the function logs.',
    );
    alarm(
      'ApiServerErrorsAlarm',
      props.api.metricServerError({ period: this.period }),
      thresholds.apiServerErrors ?? 1,
      'The HTTP API answered 5xx (function failures or Lambda throttling). Check the API access logs and the ' +
        'function logs.',
    );
    alarm(
      'QuarantinedAlarm',
      this.webhookMetric(METRIC.quarantined, cloudwatch.Stats.SUM),
      thresholds.quarantined ?? 1,
      'A verified delivery could not be read as a sync lifecycle event and was quarantined in the table: ' +
        'Airweave may have changed its payload. Re-process it with `sync-events replay` once the cause is fixed.',
    );
    alarm(
      'RejectedSignaturesAlarm',
      this.webhookMetric(METRIC.rejectedSignatures, cloudwatch.Stats.SUM),
      thresholds.rejectedSignatures ?? 20,
      'Many deliveries were rejected for their Svix signature: the signing secret in Secrets Manager does not ' +
        'match Airweave (after a rotation?), or someone is sending forged requests.',
    );
    for (const [name, machine] of machines) {
      // The ids derive from the pipeline name, like the state machine's, so they stay put when pipelines change.
      alarm(
        `PipelineFailed${pascalCase(name)}Alarm`,
        machine.metricFailed({ statistic: cloudwatch.Stats.SUM, period: this.period }),
        thresholds.pipelineFailures ?? 1,
        `An execution of pipeline ${name} failed; its team was alerted too. Check the execution history.`,
      );
      // A timed-out or aborted execution never reaches the definition's Catch: its run stays recorded as
      // running, and only these alarms and the pipeline's EventBridge rule (lib/chained-pipeline.ts) tell anyone.
      // Threshold 1, not configurable: every one leaves a run record that needs a look.
      alarm(
        `PipelineTimedOut${pascalCase(name)}Alarm`,
        machine.metricTimedOut({ statistic: cloudwatch.Stats.SUM, period: this.period }),
        1,
        `An execution of pipeline ${name} timed out; its team was alerted too. Its run stays recorded as ` +
          'running: check the execution history, then raise the timeout or shorten the steps.',
      );
      alarm(
        `PipelineAborted${pascalCase(name)}Alarm`,
        machine.metricAborted({ statistic: cloudwatch.Stats.SUM, period: this.period }),
        1,
        `An execution of pipeline ${name} was aborted (StopExecution); its team was alerted too. Its run stays ` +
          'recorded as running: check who stopped it in CloudTrail.',
      );
    }
    alarm(
      'WatchdogErrorsAlarm',
      watchdog.metricErrors({ statistic: cloudwatch.Stats.SUM, period: watchdogPeriod }),
      thresholds.watchdogErrors ?? 1,
      'The freshness watchdog failed: until it runs again, stale sources and stuck jobs go unreported. ' +
        'Check the function logs.',
    );
    Object.assign(alarms, props.extraAlarms);
    this.alarms = alarms;

    const stack = Stack.of(this);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${stack.stackName}-${stack.region}`,
      // Syncs run a few times a day per source: a day shows the pattern, shorter mostly shows gaps.
      defaultInterval: Duration.days(1),
    });
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });

    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(alarms),
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Sync duration by source type (seconds, running to completed)',
        [
          this.search(METRIC.syncDuration, [DIMENSION.sourceType], {}, cloudwatch.Stats.AVERAGE),
          this.search(METRIC.syncDuration, [DIMENSION.sourceType], {}, cloudwatch.Stats.MAXIMUM, 'max '),
        ],
        { leftYAxis: { min: 0 } },
      ),
      graph('Sync failures by source type', [
        this.search(
          METRIC.events,
          [DIMENSION.eventType, DIMENSION.sourceType],
          { [DIMENSION.eventType]: 'sync.failed' },
          cloudwatch.Stats.SUM,
        ),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Lifecycle events by type and source type',
        [this.search(METRIC.events, [DIMENSION.eventType, DIMENSION.sourceType], {}, cloudwatch.Stats.SUM)],
        { stacked: true },
      ),
      graph('Deliveries not recorded as new events', [
        this.webhookMetric(METRIC.duplicates, cloudwatch.Stats.SUM),
        this.webhookMetric(METRIC.ignored, cloudwatch.Stats.SUM),
        this.webhookMetric(METRIC.quarantined, cloudwatch.Stats.SUM),
        this.webhookMetric(METRIC.rejectedSignatures, cloudwatch.Stats.SUM),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Freshness (watchdog)',
        [this.watchdogMetric(METRIC.oldestSuccessAge, 'Oldest last success (seconds)')],
        {
          right: [
            this.watchdogMetric(METRIC.staleSources, 'Sources past their SLA'),
            this.watchdogMetric(METRIC.stuckJobs, 'Jobs running too long'),
          ],
          leftYAxis: { min: 0 },
          rightYAxis: { min: 0 },
        },
      ),
      graph('Pipeline runs started and blocked by the gate', [
        this.search(METRIC.pipelineRunsStarted, [DIMENSION.pipeline], {}, cloudwatch.Stats.SUM, 'started '),
        this.search(METRIC.pipelinesBlocked, [DIMENSION.pipeline], {}, cloudwatch.Stats.SUM, 'blocked '),
      ]),
    );
    if (machines.length > 0) {
      this.dashboard.addWidgets(
        graph(
          'Pipeline executions',
          machines.flatMap(([name, machine]) => [
            machine.metricSucceeded({ label: `${name} succeeded`, period: this.period }),
            machine.metricFailed({ label: `${name} failed`, period: this.period }),
            machine.metricTimedOut({ label: `${name} timed out`, period: this.period }),
          ]),
          { width: 24 },
        ),
      );
    }
    this.dashboard.addWidgets(
      graph('API answers 4xx and 5xx', [
        props.api.metricClientError({ label: '4xx', period: this.period }),
        props.api.metricServerError({ label: '5xx', period: this.period }),
      ]),
      graph('API latency (ms)', [
        props.api.metricLatency({ label: 'p99', statistic: cloudwatch.Stats.p(99), period: this.period }),
        props.api.metricLatency({
          label: 'average',
          statistic: cloudwatch.Stats.AVERAGE,
          period: this.period,
        }),
      ]),
    );
    const functions = Object.entries({ webhook, query, watchdog });
    this.dashboard.addWidgets(
      graph(
        'Lambda errors',
        functions.map(([name, fn]) =>
          fn.metricErrors({ label: name, statistic: cloudwatch.Stats.SUM, period: this.period }),
        ),
      ),
      graph(
        'Lambda duration p99 (ms)',
        functions.map(([name, fn]) =>
          fn.metricDuration({ label: name, statistic: cloudwatch.Stats.p(99), period: this.period }),
        ),
      ),
    );
  }

  /**
   * A metric of the webhook function that carries only the `service` dimension. Without a label: an alarm on a
   * labelled metric is rendered as a metric math query, which the alarm list shows less plainly.
   */
  private webhookMetric(metricName: MetricName, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { [DIMENSION.service]: SERVICE.webhook },
      statistic,
      period: this.period,
    });
  }

  /**
   * A watchdog gauge: one data point per run, so the maximum over a period is the worst the runs saw. The
   * period is the dashboard's, and a graph point can span several runs.
   */
  private watchdogMetric(metricName: MetricName, label: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { [DIMENSION.service]: SERVICE.watchdog },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: this.period,
      label,
    });
  }

  /**
   * Every time series of a webhook metric with these dimensions (besides `service`), one per dimension value
   * combination, e.g. one sync duration series per source type. `filters` narrow it to some values.
   */
  private search(
    metricName: MetricName,
    dimensions: readonly string[],
    filters: Readonly<Record<string, string>>,
    statistic: string,
    labelPrefix = '',
  ): cloudwatch.SearchExpression {
    // The schema lists every dimension of the metric, so only series with exactly these dimensions match.
    const schema = [METRICS_NAMESPACE, DIMENSION.service, ...dimensions].join(',');
    const terms = [
      `MetricName="${metricName}"`,
      `${DIMENSION.service}="${SERVICE.webhook}"`,
      ...Object.entries(filters).map(([key, value]) => `${key}="${value}"`),
    ].join(' ');
    return new cloudwatch.SearchExpression({
      expression: `SEARCH('{${schema}} ${terms}', '${statistic}', ${this.period.toSeconds()})`,
      period: this.period,
      // The series' own label (its dimension values) after the prefix.
      label: labelPrefix,
    });
  }
}
