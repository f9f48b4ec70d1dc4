import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
  /** The topic a failed run is alerted on (the pipeline's team, else the default topic). */
  readonly alertTopic: sns.ITopic;
  /**
   * The work, any chain of states; receives the pipeline input (pipeline, collection, consumed, triggered_by).
   * @default - none: the pipeline only records its runs
   */
  readonly steps?: sfn.IChainable;
  /**
   * Longest a run may take before Step Functions stops it (and it is recorded as failed).
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
 */
export class ChainedPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ChainedPipelineProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
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
  }
}
