import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { subjectLine } from '../lambda/core/alerts';
import { attributeValue } from '../lambda/core/outbound';
import { keys } from '../lambda/core/table-schema';

export interface PipelineDefinitionProps {
  /** The pipeline's name (gate and run items are keyed by it). */
  readonly name: string;
  readonly collection: string;
  /** Where the run's outcome is recorded. */
  readonly table: dynamodb.ITable;
  /** Where a failed run is alerted. */
  readonly alertTopic: sns.ITopic;
  /**
   * The work: any chain of states. It receives the pipeline input (pipeline, collection, consumed,
   * triggered_by) and its result is kept under `$.result`.
   * @default - none: the pipeline only records its runs
   */
  readonly steps?: sfn.IChainable;
}

/** State names are part of the contract with local mode's task handlers and the tests. */
export const PIPELINE_STATES = {
  recordStarted: 'Record run started',
  steps: 'Run steps',
  recordSucceeded: 'Record run succeeded',
  recordFailed: 'Record run failed',
  alertFailed: 'Alert run failed',
  failed: 'Run failed',
} as const;

/**
 * One pipeline run, the same for the stack and for local mode (which executes this very definition):
 * record the run as started, run the steps, record succeeded, or on any error record failed, alert the
 * pipeline's team and fail. The run item's key comes from the execution's own name and start time, so a
 * redelivered start can never record a second run.
 */
export function pipelineDefinition(scope: Construct, props: PipelineDefinitionProps): sfn.IChainable {
  const pk = tasks.DynamoAttributeValue.fromString(keys.pipelineGate(props.name).pk);
  const sk = tasks.DynamoAttributeValue.fromString(
    sfn.JsonPath.format('RUN#{}#{}', sfn.JsonPath.executionStartTime, sfn.JsonPath.executionName),
  );
  // `status`, `error` and `consumed` are reserved words in DynamoDB expressions, hence the placeholders.
  const record = (id: string, expression: string, values: Record<string, tasks.DynamoAttributeValue>) =>
    new tasks.DynamoUpdateItem(scope, id, {
      stateName: id,
      table: props.table,
      key: { pk, sk },
      updateExpression: expression,
      expressionAttributeNames: Object.fromEntries(
        ['status', 'error', 'consumed']
          .filter((word) => expression.includes(`#${word}`))
          .map((word) => [`#${word}`, word]),
      ),
      expressionAttributeValues: values,
      resultPath: sfn.JsonPath.DISCARD,
    }).addRetry({
      // Throttling or a transient error must not lose the run's record: each update only SETs, so a
      // repeated one changes nothing.
      maxAttempts: 4,
      interval: Duration.seconds(1),
      backoffRate: 2,
    });
  const now = tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.State.EnteredTime'));

  const started = record(
    PIPELINE_STATES.recordStarted,
    'SET #status = :status, started_at = :started, execution_name = :name, #consumed = :consumed, ' +
      'pipeline = :pipeline, collection_readable_id = :collection, entity = :entity',
    {
      ':status': tasks.DynamoAttributeValue.fromString('running'),
      ':started': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionStartTime),
      ':name': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionName),
      ':consumed': tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.consumed')),
      ),
      ':pipeline': tasks.DynamoAttributeValue.fromString(props.name),
      ':collection': tasks.DynamoAttributeValue.fromString(props.collection),
      ':entity': tasks.DynamoAttributeValue.fromString('pipeline-run'),
    },
  );
  const succeeded = record(PIPELINE_STATES.recordSucceeded, 'SET #status = :status, finished_at = :now', {
    ':status': tasks.DynamoAttributeValue.fromString('succeeded'),
    ':now': now,
  });
  const failed = record(
    PIPELINE_STATES.recordFailed,
    'SET #status = :status, finished_at = :now, #error = :error',
    {
      ':status': tasks.DynamoAttributeValue.fromString('failed'),
      ':now': now,
      ':error': tasks.DynamoAttributeValue.fromString(
        sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.error')),
      ),
    },
  );

  const alert = new tasks.SnsPublish(scope, PIPELINE_STATES.alertFailed, {
    stateName: PIPELINE_STATES.alertFailed,
    topic: props.alertTopic,
    subject: subjectLine(`Pipeline ${props.name} failed`),
    message: sfn.TaskInput.fromObject({
      kind: 'pipeline.failed',
      pipeline: props.name,
      collection: props.collection,
      execution_name: sfn.JsonPath.executionName,
      error: sfn.JsonPath.objectAt('$.error'),
      consumed: sfn.JsonPath.objectAt('$.consumed'),
    }),
    messageAttributes: {
      kind: { value: 'pipeline.failed' },
      collection: { value: attributeValue(props.collection) },
      // One run fails once: its execution name identifies the alert across the task's own retries.
      alert_id: { value: sfn.JsonPath.format('pipeline.failed:{}', sfn.JsonPath.executionName) },
    },
    resultPath: sfn.JsonPath.DISCARD,
  });

  const steps = new sfn.Parallel(scope, PIPELINE_STATES.steps, {
    stateName: PIPELINE_STATES.steps,
    resultPath: '$.result',
  });
  steps.branch(
    props.steps ?? new sfn.Pass(scope, 'No steps', { comment: 'This pipeline only records its runs.' }),
  );
  steps.addCatch(
    failed
      .next(alert)
      .next(new sfn.Fail(scope, PIPELINE_STATES.failed, { stateName: PIPELINE_STATES.failed })),
    {
      resultPath: '$.error',
    },
  );

  return started.next(steps).next(succeeded);
}
