import {
  Annotations,
  ArnFormat,
  type CfnElement,
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULT_TEAM } from '../lambda/core/alerts';
import {
  type AppConfig,
  type PipelineStep,
  type RuntimeSettings,
  runtimeSettings,
} from '../lambda/core/config';
import { alertTopicOutput, pascalCase, STACK_OUTPUTS } from '../lambda/core/stack-contract';
import { ENV } from '../lambda/core/table-schema';
import { AlertTopics } from './alert-topics';
import { ChainedPipeline } from './chained-pipeline';
import { EventsTopic } from './events-topic';
import { FailureIndexStamp } from './failure-index-stamp';
import { Observability } from './observability';
import { OperationsTopic } from './operations-topic';
import { type CdkPipelineProps, cdkPipelineSettings } from './pipeline-props';
import { configSteps, deployStepFunction } from './pipeline-steps';
import { Reconciler } from './reconciler';
import { SyncTable } from './sync-table';
import { Watchdog } from './watchdog';
import { WebhookIngress } from './webhook-ingress';

export interface SyncEventsStackProps extends StackProps {
  /**
   * The validated app config, read and parsed in `bin/app.ts`; the `handler` paths of its pipeline steps
   * must be absolute (`bin/app.ts` resolves them against the config file's directory).
   */
  readonly config: AppConfig;
  /**
   * Chained pipelines declared in code, whose steps are any chain of states; validated like the config's,
   * and their names must differ from the config's pipelines.
   * @default - only the config's pipelines
   */
  readonly pipelines?: readonly CdkPipelineProps[];
}

// The output keys live in a module without CDK imports, which the CLI reads; re-exported for the stack's users.
export { alertTopicOutput, STACK_OUTPUTS } from '../lambda/core/stack-contract';

/** The construct id of a pipeline's state machine: `error-analysis` -> `PipelineErrorAnalysis`. */
export function pipelineConstructId(name: string): string {
  return `Pipeline${pascalCase(name)}`;
}

/**
 * Composes the stateful resources (table, topics) and the stateless ones (pipelines, ingress, watchdog,
 * dashboard and alarms); no resources are defined here directly.
 */
export class SyncEventsStack extends Stack {
  public readonly syncTable: SyncTable;
  public readonly alertTopics: AlertTopics;
  public readonly eventsTopic: EventsTopic;
  public readonly ingress: WebhookIngress;
  public readonly watchdog: Watchdog;
  public readonly operationsTopic: OperationsTopic;
  public readonly observability: Observability;
  public readonly reconciler: Reconciler;
  /** Since when the table's failure index holds every failure, written at deploy time. */
  public readonly failureIndexStamp: FailureIndexStamp;
  /** Every pipeline, the config's and the props', by name. */
  public readonly pipelines: Readonly<Record<string, ChainedPipeline>>;

  constructor(scope: Construct, id: string, props: SyncEventsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const cdkPipelines = props.pipelines ?? [];
    const base = runtimeSettings(config);
    // One settings object for every function: the gate must know the props' pipelines as well as the config's.
    const settings: RuntimeSettings = {
      ...base,
      pipelines: [...base.pipelines, ...cdkPipelineSettings(config, cdkPipelines)],
    };

    const stepFunctions = new Map<string, lambda.IFunction>();
    this.syncTable = new SyncTable(this, 'SyncTable');
    this.alertTopics = new AlertTopics(this, 'AlertTopics', {
      teams: config.alerts,
      defaultEmails: config.defaultAlerts.emails,
    });
    // One key for all topics: a customer-managed key costs per month, and the same functions publish on both.
    this.eventsTopic = new EventsTopic(this, 'EventsTopic', { masterKey: this.alertTopics.key });
    this.pipelines = this.createPipelines([
      ...config.pipelines.map((p) => ({
        ...p,
        // The handler steps' functions are kept by reference, for their acknowledgements below.
        steps: (s: Construct) =>
          configSteps(s, p.steps, (entry, index) => {
            const fn = deployStepFunction(s, entry, index);
            stepFunctions.set(`${p.name}/${index}`, fn);
            return fn;
          }),
      })),
      ...cdkPipelines,
    ]);
    for (const pipeline of config.pipelines)
      acknowledgeStepWildcards(this.pipelines[pipeline.name]!, pipeline.steps, (index) =>
        stepFunctions.get(`${pipeline.name}/${index}`),
      );
    this.ingress = new WebhookIngress(this, 'Ingress', {
      table: this.syncTable.table,
      settings,
      eventsTopic: this.eventsTopic.topic,
      alertTopics: this.alertTopics,
      pipelines: Object.fromEntries(
        Object.entries(this.pipelines).map(([name, pipeline]) => [name, pipeline.stateMachine]),
      ),
    });
    this.watchdog = new Watchdog(this, 'Watchdog', {
      table: this.syncTable.table,
      settings,
      eventsTopic: this.eventsTopic.topic,
      alertTopics: this.alertTopics,
      every: Duration.seconds(config.watchdog.every),
    });
    // The topics' one key again (a customer-managed key costs per month); the topic allows CloudWatch alarms on it.
    this.operationsTopic = new OperationsTopic(this, 'OperationsTopic', {
      masterKey: this.alertTopics.key,
      emails: config.operations.emails,
    });
    this.reconciler = new Reconciler(this, 'Reconciler', {
      table: this.syncTable.table,
      settings,
      eventsTopic: this.eventsTopic.topic,
      alertTopics: this.alertTopics,
      operationsTopic: this.operationsTopic.topic,
      stateMachines: Object.fromEntries(
        Object.entries(this.pipelines).map(([name, pipeline]) => [name, pipeline.stateMachine]),
      ),
      every: Duration.seconds(config.airweave.reconcile.every),
    });
    // The webhook hands pending/running events to the reconciler (asynchronously) on suspicion.
    this.ingress.webhookFunction.addEnvironment(
      ENV.reconcileFunctionName,
      this.reconciler.function.functionName,
    );
    this.reconciler.function.grantInvoke(this.ingress.webhookFunction);
    const reconcileFn = this.reconciler.function.node.defaultChild as CfnElement;
    Validations.of(this.ingress.webhookFunction.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(reconcileFn)}.Arn>:*]`,
      reason:
        'grantInvoke names the function and its versions and aliases (`<function ARN>:*`); it is one function, ' +
        'the reconciler, invoked asynchronously on suspicion.',
    });
    // After every function that records events (and so failures) runs the code that indexes them.
    this.failureIndexStamp = new FailureIndexStamp(this, 'FailureIndexStamp', {
      table: this.syncTable.table,
      ingesting: [this.ingress.webhookFunction, this.reconciler.function],
    });
    this.observability = new Observability(this, 'Observability', {
      api: this.ingress.api,
      functions: {
        webhook: this.ingress.webhookFunction,
        query: this.ingress.queryFunction,
        watchdog: this.watchdog.function,
      },
      stateMachines: Object.fromEntries(
        Object.entries(this.pipelines).map(([name, pipeline]) => [name, pipeline.stateMachine]),
      ),
      topic: this.operationsTopic.topic,
      extraAlarms: { ReconcileFailedRunsAlarm: this.reconciler.alarm },
    });

    this.warnOfUnheardTopics(config);

    new CfnOutput(this, STACK_OUTPUTS.webhookUrl, {
      value: this.ingress.webhookUrl,
      description: 'Register this URL as the Airweave webhook endpoint',
    });
    new CfnOutput(this, STACK_OUTPUTS.apiUrl, {
      value: this.ingress.api.apiEndpoint,
      description: 'Base URL of the IAM-authorized freshness API',
    });
    new CfnOutput(this, STACK_OUTPUTS.tableName, { value: this.syncTable.table.tableName });
    new CfnOutput(this, STACK_OUTPUTS.secretArn, {
      value: this.ingress.secret.secretArn,
      description: 'Put the Airweave whsec_... signing secret here',
    });
    new CfnOutput(this, STACK_OUTPUTS.eventsTopicArn, {
      value: this.eventsTopic.topic.topicArn,
      description: 'Subscribe caches here with a filter policy on event_type, collection, source_type',
    });
    for (const [team, topic] of Object.entries(this.alertTopics.topics)) {
      new CfnOutput(this, alertTopicOutput(team), {
        value: topic.topicArn,
        description:
          team === DEFAULT_TEAM
            ? 'Alert topic for failures that match no team'
            : `Alert topic of team ${team}: subscribe chat or paging endpoints here`,
      });
    }
    new CfnOutput(this, STACK_OUTPUTS.alertTopicArns, {
      value: this.alertTopics.topicArnsJson(),
      description: 'JSON object: alert team (and default) to its topic ARN',
    });
    new CfnOutput(this, STACK_OUTPUTS.pipelineStateMachineArns, {
      value: this.toJsonString(
        Object.fromEntries(
          Object.entries(this.pipelines).map(([name, p]) => [name, p.stateMachine.stateMachineArn]),
        ),
      ),
      description: 'JSON object: pipeline name to its state machine ARN',
    });
    new CfnOutput(this, STACK_OUTPUTS.airweaveApiKeySecretArn, {
      value: this.reconciler.secret.secretArn,
      description: "Put your Airweave API key here to reconcile with Airweave's API (off until then)",
    });
    new CfnOutput(this, STACK_OUTPUTS.operationsTopicArn, {
      value: this.operationsTopic.topic.topicArn,
      description: 'The CloudWatch alarms notify this topic: subscribe paging or chat endpoints here',
    });
  }

  /**
   * A topic with no email in the config may still have subscribers added outside the stack (chat, paging),
   * so this is a synth-time warning, not an error; each names the config field and the output to subscribe
   * to, and can be acknowledged by its id once the topic has subscribers.
   */
  private warnOfUnheardTopics(config: AppConfig): void {
    const alertEmails = new Map<string, readonly string[]>([
      ...config.alerts.map((route) => [route.team, route.emails] as const),
      [DEFAULT_TEAM, config.defaultAlerts.emails],
    ]);
    for (const [team, emails] of alertEmails) {
      if (emails.length > 0) continue;
      const topic = this.alertTopics.topics[team];
      if (!topic) continue;
      Annotations.of(topic).addWarningV2(
        `sync-events:alerts-unheard-${team}`,
        team === DEFAULT_TEAM
          ? 'Alerts that match no team go to the default topic, which has no subscriber: set ' +
              `defaultAlerts.emails in the config, or subscribe an endpoint to the ${alertTopicOutput(team)} output.`
          : `Alerts of team ${team} reach no subscriber: set its emails in the config's alerts, or subscribe an ` +
              `endpoint to the ${alertTopicOutput(team)} output.`,
      );
    }
    if (config.operations.emails.length === 0)
      Annotations.of(this.operationsTopic.topic).addWarningV2(
        'sync-events:alarms-unheard',
        'The CloudWatch alarms reach no subscriber: set operations.emails in the config, or subscribe an ' +
          `endpoint to the ${STACK_OUTPUTS.operationsTopicArn} output.`,
      );
  }

  private createPipelines(
    pipelines: readonly {
      readonly name: string;
      readonly collection: string;
      readonly team?: string;
      readonly steps?: (scope: Construct) => sfn.IChainable | undefined;
    }[],
  ): Record<string, ChainedPipeline> {
    const result: Record<string, ChainedPipeline> = {};
    const constructIds = new Map<string, string>();
    for (const pipeline of pipelines) {
      // The id derives from the name, so a machine (and its execution history) stays put when pipelines are
      // added, removed or reordered.
      const id = pipelineConstructId(pipeline.name);
      const clash = constructIds.get(id);
      if (clash !== undefined)
        throw new Error(
          `pipelines "${clash}" and "${pipeline.name}" would share the construct id "${id}"; rename one`,
        );
      constructIds.set(id, pipeline.name);
      // States need a scope before the machine exists; a sibling of its own keeps step ids per pipeline.
      const steps = pipeline.steps?.(new Construct(this, `${id}Steps`));
      // Both were validated (the config schema, cdkPipelineSettings): the team has a topic.
      const alertTopic = this.alertTopics.topics[pipeline.team ?? DEFAULT_TEAM];
      if (!alertTopic) throw new Error(`pipeline ${pipeline.name}: no alert team "${pipeline.team}"`);
      result[pipeline.name] = new ChainedPipeline(this, id, {
        name: pipeline.name,
        collection: pipeline.collection,
        table: this.syncTable.table,
        alertTopic,
        steps,
      });
    }
    return result;
  }
}

/**
 * The wildcards the config's step tasks add to a state machine role, each acknowledged by its exact
 * finding id, so any other wildcard still fails synthesis. The steps of props pipelines are the user's
 * code: their findings are acknowledged by the user, on `stack.pipelines[name].stateMachine`.
 */
function acknowledgeStepWildcards(
  pipeline: ChainedPipeline,
  steps: readonly PipelineStep[],
  /** The function a handler step deployed, by the step's index. */
  deployed: (index: number) => lambda.IFunction | undefined,
): void {
  const stack = Stack.of(pipeline);
  steps.forEach((step, index) => {
    const acknowledge = (resource: string, reason: string) =>
      Validations.of(pipeline.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(stack, resource)}]`,
        reason,
      });
    const versions =
      'LambdaInvoke grants the function and its versions and aliases (`<function ARN>:*`), so a ' +
      'qualified ARN keeps working; it is one function, the configured step.';
    if ('lambda' in step) acknowledge(`${step.lambda}:*`, versions);
    else if ('handler' in step) {
      const fn = deployed(index);
      if (!fn) throw new Error(`pipeline ${pipeline.node.id}: step ${index + 1} deployed no function`);
      acknowledge(`${fn.functionArn}:*`, versions);
    } else {
      const machine = stack.splitArn(step.stateMachine, ArnFormat.COLON_RESOURCE_NAME).resourceName;
      // The same ARN StepFunctionsStartExecution builds for a `.sync` step.
      const executions = stack.formatArn({
        service: 'states',
        resource: 'execution',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: `${machine}*`,
      });
      acknowledge(
        executions,
        'A `.sync` step waits for the nested execution, so Step Functions needs DescribeExecution and ' +
          'StopExecution on executions whose names it only learns at run time: those of the configured machine.',
      );
    }
  });
}

/** A resource as cdk-nag names it in a finding id: `{Ref: X}` -> `<X>`, `{Fn::GetAtt: [X, A]}` -> `<X.A>`. */
function nagResource(stack: Stack, value: string): string {
  const resolved = stack.resolve(value) as unknown;
  const parts = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']?.[1] ?? [resolved];
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const { Ref: ref, 'Fn::GetAtt': getAtt } = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (ref !== undefined) return `<${ref}>`;
      if (getAtt !== undefined) return `<${getAtt[0]}.${getAtt[1]}>`;
      throw new Error(`cannot name ${JSON.stringify(part)} as cdk-nag does`);
    })
    .join('');
}
