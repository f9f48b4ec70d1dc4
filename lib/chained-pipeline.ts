import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pipelineDefinition } from './pipeline-definition';

export interface ChainedPipelineProps {
  /** The pipeline's name, as the gate knows it. */
  readonly name: string;
  /** The collection whose sources the pipeline requires. */
  readonly collection: string;
  readonly table: dynamodb.ITable;
  /**
   * The topic a failed, timed-out or aborted run is alerted on (the pipeline's team, else the default topic).
   * Its policy and its key's policy gain statements for EventBridge, so it must be a topic of this stack.
   */
  readonly alertTopic: sns.ITopic;
  /**
   * The work, any chain of states; receives the pipeline input (pipeline, collection, consumed, triggered_by).
   * @default - none: the pipeline only records its runs
   */
  readonly steps?: sfn.IChainable;
  /**
   * Longest a run may take before Step Functions stops it. A timed-out run (like an aborted one) never
   * reaches the definition's Catch: the pipeline's EventBridge rule alerts its team, and the run stays
   * recorded as running with its start time.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the execution logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One pipeline's Standard state machine (Standard, not Express: exactly-once execution per name, which is
 * what makes the gate's deterministic execution names safe). Logs every state without execution data (the
 * input carries source ids, not secrets, but logs are not the audit record) and is traced with X-Ray.
 *
 * A failed run is recorded and alerted by the definition's Catch. A timed-out or aborted run never reaches
 * it: an EventBridge rule on the machine's status changes alerts the pipeline's team instead, and the run
 * stays recorded as running with its start time.
 */
export class ChainedPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** Alerts the pipeline's team when an execution times out or is aborted. */
  public readonly stoppedRule: events.Rule;

  constructor(scope: Construct, id: string, props: ChainedPipelineProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      // Under /aws/vendedlogs/, because Step Functions adds any other log group it delivers to to the
      // account's CloudWatch Logs resource policy, which is capped at 5,120 characters: in a busy account,
      // or with many pipelines, creating a state machine would fail. Named per stack and pipeline (names
      // are unique in a stack; log groups are regional, like stacks).
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${props.name}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(
        pipelineDefinition(this, {
          name: props.name,
          collection: props.collection,
          table: props.table,
          alertTopic: props.alertTopic,
          steps: props.steps,
        }),
      ),
      timeout: props.timeout ?? Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: `airweave-sync-events pipeline ${props.name} (collection ${props.collection})`,
    });
    // The SnsPublish task grants sns:Publish only; the alert topics are encrypted with a customer-managed
    // key, and publishing to them also needs kms:GenerateDataKey* and kms:Decrypt on it, which this adds.
    props.alertTopic.grantPublish(this.stateMachine);
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions logging (logs:CreateLogDelivery and the other log delivery actions) and X-Ray tracing ' +
        '(xray:PutTraceSegments, GetSamplingRules, ...) support no resource-level permissions, so the state ' +
        'machine role needs Resource "*" for them; CDK grants nothing else on "*".',
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing the failure alert to the KMS-encrypted topic needs GenerateDataKey (the SNS grant names the ' +
        'action family); it is granted on the topics key only.',
    });

    this.stoppedRule = new events.Rule(this, 'StoppedRule', {
      description: `Alerts when an execution of pipeline ${props.name} times out or is aborted`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
    });
    // Not the SnsTopic target: on a topic of the stack it grants sns:Publish (topic policy) and the key use
    // (key policy) to events.amazonaws.com without any condition, so any account's rule could publish alerts
    // here; and on an imported reference (which grants nothing) it names that reference as the target
    // resource, whose environment comes from an ARN token, so synth with an account and region warns "Either
    // the Event Rule or target has an unresolved environment" once per pipeline. The topic is this stack's
    // (checked below), so the rule only needs its ARN; the grants below are scoped.
    const message = events.RuleTargetInput.fromText(
      `Pipeline ${props.name}: execution ${events.EventField.fromPath('$.detail.name')} ended ` +
        `${events.EventField.fromPath('$.detail.status')}; its run stays recorded as running. Check the ` +
        'execution history in the Step Functions console.',
    );
    this.stoppedRule.addTarget({ bind: () => ({ arn: props.alertTopic.topicArn, input: message }) });
    // This rule only, in the topic policy. The key policy cannot take these conditions (SNS does not pass them
    // to KMS for EventBridge publishes, so deliveries would fail); its statement lets EventBridge encrypt for
    // a topic only where the topic policy also lets it publish, which only these rules may.
    const added = props.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [props.alertTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnEquals: { 'aws:SourceArn': this.stoppedRule.ruleArn },
        },
      }),
    );
    if (!added.statementAdded)
      throw new Error(
        `pipeline ${props.name}: the alert topic must be a topic of this stack, not an imported one`,
      );
    props.alertTopic.masterKey?.grant(
      new iam.ServicePrincipal('events.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
  }
}
