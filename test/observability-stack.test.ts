import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { parseConfig } from '../lambda/core/config';
import { METRIC, METRICS_NAMESPACE, SERVICE } from '../lambda/core/metrics';
import { Observability, type ObservabilityProps } from '../lib/observability';
import { STACK_OUTPUTS, SyncEventsStack } from '../lib/sync-events-stack';
import { joinToText, logicalId, type NagSynth, synthWithNag } from './helpers/synth';

// One pipeline (failure, timeout and abort alarms) and one operations mailbox.
const config = parseConfig({
  operations: { emails: ['ops@example.com'] },
  pipelines: [
    {
      name: 'error-analysis',
      collection: 'engineering-context-ab123',
      requires: ['github', 'linear'],
      window: '30m',
    },
  ],
});

let synth: NagSynth<SyncEventsStack>;
let stack: SyncEventsStack;
let template: Template;

/** One entry of a graph widget's `metrics`, normalized: a metric or a math/search expression. */
interface GraphMetric {
  widget: string;
  namespace?: string;
  metricName?: string;
  dimensions?: Record<string, string>;
  stat?: string;
  expression?: string;
}

interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][]; alarms?: string[] };
}

function dashboardOf(t: Template): { widgets: Widget[]; metrics: GraphMetric[] } {
  const dashboards = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  // Refs and GetAtts in the body read `${X}` and `${X.Attr}`.
  const { widgets } = JSON.parse(joinToText(body)) as { widgets: Widget[] };
  const metrics = widgets.flatMap((w) =>
    (w.properties.metrics ?? []).map((entry): GraphMetric => {
      const widget = w.properties.title ?? '';
      const last = entry[entry.length - 1];
      const options = (typeof last === 'object' ? last : {}) as { expression?: string; stat?: string };
      if (options.expression !== undefined) return { widget, expression: options.expression };
      const [namespace, metricName, ...rest] = entry.filter((e) => typeof e === 'string') as string[];
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < rest.length; i += 2) dimensions[rest[i]!] = rest[i + 1]!;
      return { widget, namespace, metricName, dimensions, stat: options.stat };
    }),
  );
  return { widgets, metrics };
}

/** The SEARCH expression of one custom metric with exactly the dimensions the functions put on it. */
function search(metricName: string, dimensions: readonly string[], filter = ''): RegExp {
  const schema = [METRICS_NAMESPACE, ...dimensions].join(',');
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^SEARCH\\('${escaped(`{${schema}} MetricName="${metricName}" service="${SERVICE.webhook}"${filter}`)}'`,
  );
}

beforeAll(() => {
  synth = synthWithNag(
    'sync-events-observability-',
    (app) => new SyncEventsStack(app, 'ObservabilityStack', { config }),
  );
  stack = synth.built;
  template = synth.template(stack);
});

afterAll(() => {
  synth.cleanup();
});

const opsTopicId = () => logicalId(stack.operationsTopic.topic);
const machineId = () => logicalId(stack.pipelines['error-analysis']!.stateMachine);
const functionIds = () => ({
  webhook: logicalId(stack.ingress.webhookFunction),
  query: logicalId(stack.ingress.queryFunction),
  watchdog: logicalId(stack.watchdog.function),
});

test('cdk-nag (AwsSolutions) reports no unacknowledged finding', () => {
  expect(synth.violations).toEqual([]);
  expect(synth.synthError).toBeUndefined();
});

describe('operations topic', () => {
  test('encrypted with the topics key, retained, and the only subscription is the config mailbox', () => {
    template.hasResource('AWS::SNS::Topic', {
      Properties: {
        DisplayName: 'Airweave sync events: operations',
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.alertTopics.key), 'Arn'] },
      },
      DeletionPolicy: 'Retain',
    });
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toContain(opsTopicId());
    const onOps = Object.values(template.findResources('AWS::SNS::Subscription'))
      .map((s) => (s as { Properties: Record<string, unknown> }).Properties)
      .filter((p) => JSON.stringify(p.TopicArn) === JSON.stringify({ Ref: opsTopicId() }));
    expect(onOps).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: opsTopicId() } },
    ]);
  });

  const alarmSource = {
    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    ArnLike: {
      'aws:SourceArn': {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':cloudwatch:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':alarm:*',
          ],
        ],
      },
    },
  };

  test('topic policy: denies requests without TLS; CloudWatch alarms of this account may publish', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: opsTopicId() }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Resource: { Ref: opsTopicId() },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: opsTopicId() },
            Condition: alarmSource,
          }),
        ]),
      },
    });
  });

  test('key policy: CloudWatch alarms of this account may Decrypt and GenerateDataKey*, nothing more', () => {
    const key = template.toJSON().Resources[logicalId(stack.alertTopics.key)] as {
      Properties: { KeyPolicy: { Statement: { Principal: unknown }[] } };
    };
    const forCloudWatch = key.Properties.KeyPolicy.Statement.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(forCloudWatch).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: alarmSource,
      },
    ]);
  });

  test('OperationsTopicArn output', () => {
    expect(STACK_OUTPUTS.operationsTopicArn).toBe('OperationsTopicArn');
    template.hasOutput('OperationsTopicArn', { Value: { Ref: opsTopicId() } });
  });
});

describe('alarms', () => {
  const lambdaErrors = (id: string) => ({
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
  });
  const webhookMetric = (name: string) => ({
    Namespace: METRICS_NAMESPACE,
    MetricName: name,
    Dimensions: [{ Name: 'service', Value: SERVICE.webhook }],
  });
  const expected = () => ({
    ObservabilityWebhookErrors: { ...lambdaErrors(functionIds().webhook), Threshold: 1, Period: 300 },
    ObservabilityApiServerErrors: {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack.ingress.api) } }],
      Threshold: 1,
      Period: 300,
    },
    ObservabilityQuarantined: { ...webhookMetric(METRIC.quarantined), Threshold: 1, Period: 300 },
    ObservabilityRejectedSignatures: {
      ...webhookMetric(METRIC.rejectedSignatures),
      Threshold: 20,
      Period: 300,
    },
    ObservabilityPipelineFailedErrorAnalysis: {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId() } }],
      Threshold: 1,
      Period: 300,
    },
    // A timed-out or aborted run never reaches the definition's Catch, so these are the operators' signal.
    ObservabilityPipelineTimedOutErrorAnalysis: {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsTimedOut',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId() } }],
      Threshold: 1,
      Period: 300,
    },
    ObservabilityPipelineAbortedErrorAnalysis: {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsAborted',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId() } }],
      Threshold: 1,
      Period: 300,
    },
    ObservabilityWatchdogErrors: { ...lambdaErrors(functionIds().watchdog), Threshold: 1, Period: 900 },
  });

  test('exactly the eight alarms: webhook, API 5xx, quarantined, signatures, pipeline failed/timed out/aborted, watchdog', () => {
    // Plus the reconciler's consecutive-failure alarm (test/reconcile-stack.test.ts).
    const ids = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (id) => !id.startsWith('ReconcilerFailedRunsAlarm'),
    );
    expect(ids).toHaveLength(8);
    expect(Object.keys(expected())).toHaveLength(8);
    for (const prefix of Object.keys(expected()))
      expect(ids.filter((id) => new RegExp(`^${prefix}Alarm[0-9A-F]{8}$`).test(id))).toHaveLength(1);
  });

  test.each([
    'ObservabilityWebhookErrors',
    'ObservabilityApiServerErrors',
    'ObservabilityQuarantined',
    'ObservabilityRejectedSignatures',
    'ObservabilityPipelineFailedErrorAnalysis',
    'ObservabilityPipelineTimedOutErrorAnalysis',
    'ObservabilityPipelineAbortedErrorAnalysis',
    'ObservabilityWatchdogErrors',
  ] as const)('%s: metric, sum >= threshold in one period, missing data OK, notifies operations', (name) => {
    const [alarm] = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
      id.startsWith(`${name}Alarm`),
    );
    expect(alarm).toBeDefined();
    expect((alarm![1] as { Properties: unknown }).Properties).toEqual({
      ...expected()[name],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: opsTopicId() }],
      AlarmDescription: expect.any(String) as unknown,
    });
  });
});

describe('dashboard', () => {
  const expectMetric = (metrics: GraphMetric[], expected: Partial<GraphMetric>) =>
    expect(metrics).toEqual(expect.arrayContaining([expect.objectContaining(expected)]));

  test('custom metrics: SEARCH expressions over the dimensions the webhook emits them with', () => {
    const expressions = dashboardOf(template)
      .metrics.map((m) => m.expression)
      .filter((e): e is string => e !== undefined);
    const expectMatch = (pattern: RegExp) =>
      expect(expressions.filter((e) => pattern.test(e)).length).toBeGreaterThan(0);
    expectMatch(search(METRIC.syncDuration, ['service', 'source_type']));
    expectMatch(search(METRIC.events, ['service', 'event_type', 'source_type'], ' event_type="sync.failed"'));
    expectMatch(search(METRIC.events, ['service', 'event_type', 'source_type']));
    expectMatch(search(METRIC.pipelineRunsStarted, ['service', 'pipeline']));
    expectMatch(search(METRIC.pipelinesBlocked, ['service', 'pipeline']));
    // Every expression is a SEARCH in the app's namespace with the period of the graphs.
    for (const expression of expressions)
      expect(expression).toMatch(new RegExp(`^SEARCH\\('\\{${METRICS_NAMESPACE},.*', '\\w+', 300\\)$`));
  });

  test('delivery outcomes (service=webhook) and freshness gauges (service=watchdog)', () => {
    const { metrics } = dashboardOf(template);
    for (const name of [METRIC.duplicates, METRIC.ignored, METRIC.quarantined, METRIC.rejectedSignatures])
      expectMetric(metrics, {
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensions: { service: SERVICE.webhook },
        stat: 'Sum',
      });
    for (const name of [METRIC.oldestSuccessAge, METRIC.staleSources, METRIC.stuckJobs])
      expectMetric(metrics, {
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensions: { service: SERVICE.watchdog },
        stat: 'Maximum',
      });
  });

  test('API 4xx, 5xx and latency by ApiId', () => {
    const { metrics } = dashboardOf(template);
    const api = { ApiId: `\${${logicalId(stack.ingress.api)}}` };
    for (const name of ['4xx', '5xx'])
      expectMetric(metrics, { namespace: 'AWS/ApiGateway', metricName: name, dimensions: api, stat: 'Sum' });
    expectMetric(metrics, {
      namespace: 'AWS/ApiGateway',
      metricName: 'Latency',
      dimensions: api,
      stat: 'p99',
    });
  });

  test('Lambda errors and duration of the webhook, query and watchdog functions', () => {
    const { metrics } = dashboardOf(template);
    for (const id of Object.values(functionIds())) {
      const dimensions = { FunctionName: `\${${id}}` };
      expectMetric(metrics, { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions, stat: 'Sum' });
      expectMetric(metrics, { namespace: 'AWS/Lambda', metricName: 'Duration', dimensions, stat: 'p99' });
    }
  });

  test("the pipeline's state machine: executions succeeded, failed and timed out", () => {
    const { metrics } = dashboardOf(template);
    const dimensions = { StateMachineArn: `\${${machineId()}}` };
    for (const name of ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'])
      expectMetric(metrics, { namespace: 'AWS/States', metricName: name, dimensions, stat: 'Sum' });
  });

  test('an alarm status widget lists every alarm', () => {
    const alarmWidgets = dashboardOf(template).widgets.filter((w) => w.type === 'alarm');
    expect(alarmWidgets).toHaveLength(1);
    const arns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) => `\${${id}.Arn}`);
    expect([...alarmWidgets[0]!.properties.alarms!].sort()).toEqual(arns.sort());
  });

  test('named after the stack and region (dashboard names are unique per account, not per region)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['ObservabilityStack-', { Ref: 'AWS::Region' }]] },
    });
  });
});

describe('Observability props', () => {
  // Imported resources: no bundling, so these build in milliseconds.
  function build(
    props: Pick<ObservabilityProps, 'thresholds' | 'period' | 'watchdogPeriod'>,
    pipelines: readonly string[] = [],
  ): Template {
    const scope = new Stack(new App(), 'Props');
    const fn = (name: string) =>
      lambda.Function.fromFunctionArn(scope, name, `arn:aws:lambda:eu-west-1:123456789012:function:${name}`);
    new Observability(scope, 'Observability', {
      api: apigwv2.HttpApi.fromHttpApiAttributes(scope, 'Api', { httpApiId: 'api123' }),
      functions: { webhook: fn('webhook'), query: fn('query'), watchdog: fn('watchdog') },
      stateMachines: Object.fromEntries(
        pipelines.map((name) => [name, sfn.StateMachine.fromStateMachineName(scope, name, name)]),
      ),
      topic: new sns.Topic(scope, 'Topic'),
      ...props,
    });
    return Template.fromStack(scope);
  }
  const alarmsOf = (t: Template) =>
    Object.entries(t.findResources('AWS::CloudWatch::Alarm')).map(
      ([id, a]) => [id, (a as { Properties: { Threshold: number; Period: number } }).Properties] as const,
    );
  const alarm = (t: Template, prefix: string) => alarmsOf(t).find(([id]) => id.startsWith(prefix))![1];

  test('thresholds and periods override the defaults', () => {
    const t = build(
      {
        thresholds: { rejectedSignatures: 100, webhookErrors: 3, pipelineFailures: 2 },
        period: Duration.minutes(1),
        watchdogPeriod: Duration.hours(1),
      },
      ['nightly'],
    );
    expect(alarm(t, 'ObservabilityRejectedSignatures')).toMatchObject({ Threshold: 100, Period: 60 });
    expect(alarm(t, 'ObservabilityWebhookErrors')).toMatchObject({ Threshold: 3, Period: 60 });
    expect(alarm(t, 'ObservabilityPipelineFailedNightly')).toMatchObject({ Threshold: 2, Period: 60 });
    // Every timed-out or aborted run is worth a look: their threshold stays 1, the period follows the props.
    expect(alarm(t, 'ObservabilityPipelineTimedOutNightly')).toMatchObject({ Threshold: 1, Period: 60 });
    expect(alarm(t, 'ObservabilityPipelineAbortedNightly')).toMatchObject({ Threshold: 1, Period: 60 });
    expect(alarm(t, 'ObservabilityQuarantined')).toMatchObject({ Threshold: 1, Period: 60 });
    expect(alarm(t, 'ObservabilityWatchdogErrors')).toMatchObject({ Threshold: 1, Period: 3600 });
  });

  test('without pipelines: no pipeline alarm and no executions graph', () => {
    const t = build({});
    expect(
      alarmsOf(t)
        .map(([id]) => id.replace(/Alarm[0-9A-F]{8}$/, ''))
        .sort(),
    ).toEqual(
      [
        'ObservabilityApiServerErrors',
        'ObservabilityQuarantined',
        'ObservabilityRejectedSignatures',
        'ObservabilityWatchdogErrors',
        'ObservabilityWebhookErrors',
      ].sort(),
    );
    expect(dashboardOf(t).metrics.filter((m) => m.namespace === 'AWS/States')).toEqual([]);
  });
});
