import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { PipelineStep } from '../lambda/core/config';
import { SyncFunction } from './sync-function';

/** The state name of a config step, shared with local mode's task handlers. */
export const stepStateName = (index: number) => `Step ${index + 1}`;

/** A handler step of the config deployed as a function of this stack (5 minutes, as a pipeline step may run). */
export function deployStepFunction(scope: Construct, entry: string, index: number): lambda.IFunction {
  return new SyncFunction(scope, `Step${index + 1}Function`, {
    entry,
    timeout: Duration.minutes(5),
    description: 'Pipeline step from the app config',
  });
}

/**
 * A config pipeline's steps as a chain: each step receives the pipeline input and leaves its result under
 * `$.step_<n>`. Lambda steps invoke the function (retrying Lambda's transient errors, which the task adds);
 * state machine steps start the other machine and wait for it (`.sync`); handler steps deploy the file as
 * a function of this stack. `handler` paths must be absolute here: `bin/app.ts` resolves them.
 */
export function configSteps(
  scope: Construct,
  steps: readonly PipelineStep[],
  /** How a handler step becomes a function; local mode refers to its in-process handler instead of deploying one. */
  handlerFunction: (entry: string, index: number) => lambda.IFunction = (entry, index) =>
    deployStepFunction(scope, entry, index),
): sfn.IChainable | undefined {
  const states = steps.map((step, index): sfn.TaskStateBase => {
    const stateName = stepStateName(index);
    const resultPath = `$.step_${index + 1}`;
    if ('stateMachine' in step)
      return new tasks.StepFunctionsStartExecution(scope, stateName, {
        stateName,
        stateMachine: sfn.StateMachine.fromStateMachineArn(scope, `${stateName} machine`, step.stateMachine),
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        input: sfn.TaskInput.fromJsonPathAt('$'),
        resultSelector: { 'output.$': '$.Output' },
        resultPath,
      });
    const fn =
      'lambda' in step
        ? lambda.Function.fromFunctionArn(scope, `${stateName} function`, step.lambda)
        : handlerFunction(step.handler, index);
    return new tasks.LambdaInvoke(scope, stateName, {
      stateName,
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      resultSelector: { 'payload.$': '$.Payload' },
      resultPath,
    });
  });
  const [first, ...rest] = states;
  if (!first) return undefined;
  return rest.reduce<sfn.Chain>((chain, state) => chain.next(state), sfn.Chain.start(first));
}
