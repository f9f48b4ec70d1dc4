import {
  type DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import { DEFAULT_TEAM, subjectLine, type AlertKind } from '../lambda/core/alerts';
import { alertId } from '../lambda/core/outbound';
import type { AppConfig } from '../lambda/core/config';
import type { PipelineStarter } from '../lambda/core/ports';
import { pipelineDefinition } from '../lib/pipeline-definition';
import { configSteps } from '../lib/pipeline-steps';
import { LOCAL_ACCOUNT, LOCAL_REGION, resolveIntrinsics } from './intrinsics';
import type { Notifier } from '../lambda/core/ports';

// The ASL types aws-local-stepfunctions accepts; definitions come from CDK, so they are taken as data.
type Definition = ConstructorParameters<typeof StateMachine>[0];
type Json = Parameters<StateMachine['run']>[0];
type TaskHandler = (input: Json) => Promise<Json>;
/** A step handler run in-process: a module's exported `handler`, called with the step's payload. */
export type StepHandler = (payload: unknown) => Promise<unknown>;

const TOPIC_PREFIX = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:sync-events-alerts-`;
export const localTopicArn = (team: string) => `${TOPIC_PREFIX}${team}`;
const localStepArn = (pipeline: string, index: number) =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${pipeline}-step-${index + 1}`;

export interface LocalPipeline {
  readonly name: string;
  readonly definition: Definition;
  /** In-process handlers of the pipeline's handler steps, by the function name the definition invokes. */
  readonly handlers: Readonly<Record<string, StepHandler>>;
}

/**
 * Builds each config pipeline's state machine definition with the same code the stack uses
 * (`pipelineDefinition`, `configSteps`), in a scratch app whose table and topics are the local ones.
 * Handler steps' paths are absolute (`readConfigFile` resolved them), and run in-process.
 */
export function localPipelines(config: AppConfig, tableName: string): LocalPipeline[] {
  const app = new App();
  return config.pipelines.map((pipeline) => {
    const scope = new Stack(app, `Local-${pipeline.name}`);
    const handlers: Record<string, StepHandler> = {};
    const steps = configSteps(scope, pipeline.steps, (entry, index) => {
      const arn = localStepArn(pipeline.name, index);
      handlers[arn] = loadHandler(entry);
      return lambda.Function.fromFunctionArn(scope, `Step${index + 1}Function`, arn);
    });
    const chain = pipelineDefinition(scope, {
      name: pipeline.name,
      collection: pipeline.collection,
      table: dynamodb.Table.fromTableName(scope, 'Table', tableName),
      alertTopic: sns.Topic.fromTopicArn(scope, 'AlertTopic', localTopicArn(pipeline.team ?? DEFAULT_TEAM)),
      steps,
    });
    const graph = new sfn.StateGraph(sfn.Chain.start(chain).startState, pipeline.name);
    const definition = forLocalEngine(
      resolveIntrinsics(scope.resolve(graph.toGraphJson()), {}) as Definition,
    );
    return { name: pipeline.name, definition, handlers };
  });
}

function loadHandler(file: string): StepHandler {
  return async (payload) => {
    // Loaded on first use, through the same module system that runs local mode (tsx) or the tests.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(file) as { handler?: StepHandler };
    if (typeof module.handler !== 'function') throw new Error(`${file} does not export a handler function`);
    return module.handler(payload);
  };
}

/** Stands in for `$$.State.EnteredTime`, which aws-local-stepfunctions does not put in the context object. */
const ENTERED_TIME = '$$.State.EnteredTime';
const NOW_TOKEN = '{{local:now}}';

/**
 * The definition as the local engine can run it: the one context field it lacks (`$$.State.EnteredTime`)
 * becomes a token that the local task handlers replace with the time the task runs. Nothing else changes.
 */
export function forLocalEngine(definition: Definition): Definition {
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, v]) =>
        key.endsWith('.$') && v === ENTERED_TIME ? [key.slice(0, -2), NOW_TOKEN] : [key, rewrite(v)],
      ),
    );
  };
  return rewrite(definition) as Definition;
}

function withNow(value: unknown, now: string): unknown {
  if (value === NOW_TOKEN) return now;
  if (Array.isArray(value)) return value.map((v) => withNow(v, now));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withNow(v, now)]),
  );
}

export interface TaskDeps {
  readonly client: DynamoDBClient;
  readonly notifier: Notifier;
  readonly handlers: Readonly<Record<string, StepHandler>>;
  readonly print: (line: string) => void;
}

interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Branches?: Array<{ States: Record<string, TaskState> }>;
  readonly Iterator?: { States: Record<string, TaskState> };
  readonly ItemProcessor?: { States: Record<string, TaskState> };
}

/**
 * Local stand-ins for the definition's task integrations, by state name: DynamoDB updates go to the local
 * engine through the real DynamoDB API, SNS publishes to the local notifier, Lambda invocations to the
 * in-process handlers of handler steps. Integrations with nothing local to call (Lambda or state machine
 * ARNs of the user's account) are reported and skipped, so the rest of the run can be seen.
 */
export function localTaskHandlers(definition: Definition, deps: TaskDeps): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  const visit = (states: Record<string, TaskState>) => {
    for (const [name, state] of Object.entries(states)) {
      for (const branch of state.Branches ?? []) visit(branch.States);
      if (state.Iterator) visit(state.Iterator.States);
      if (state.ItemProcessor) visit(state.ItemProcessor.States);
      if (state.Type !== 'Task' || !state.Resource) continue;
      handlers[name] = taskHandler(name, state.Resource, deps);
    }
  };
  visit((definition as unknown as { States: Record<string, TaskState> }).States);
  return handlers;
}

function taskHandler(name: string, resource: string, deps: TaskDeps): TaskHandler {
  if (resource.endsWith(':states:::dynamodb:updateItem'))
    return async (input) => {
      const update = withNow(input, new Date().toISOString()) as UpdateItemCommandInput;
      await deps.client.send(new UpdateItemCommand(update));
      return {};
    };
  if (resource.endsWith(':states:::sns:publish'))
    return async (input) => {
      const p = input as {
        TopicArn: string;
        Subject?: string;
        Message: unknown;
        MessageAttributes?: Record<string, { StringValue?: string }>;
      };
      const team = p.TopicArn.startsWith(TOPIC_PREFIX) ? p.TopicArn.slice(TOPIC_PREFIX.length) : DEFAULT_TEAM;
      const body = (typeof p.Message === 'string' ? JSON.parse(p.Message) : p.Message) as Record<
        string,
        unknown
      >;
      await deps.notifier.publishAlert(team, {
        kind: (p.MessageAttributes?.kind?.StringValue ?? 'pipeline.failed') as AlertKind,
        alert_id: p.MessageAttributes?.alert_id?.StringValue ?? alertId('pipeline.failed', name),
        subject: subjectLine(p.Subject ?? name),
        collection_readable_id: String(body.collection ?? ''),
        source_type: '',
        body,
      });
      return { MessageId: 'local' };
    };
  if (resource.endsWith(':states:::lambda:invoke'))
    return async (input) => {
      const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
      const handler = deps.handlers[FunctionName];
      if (!handler) {
        deps.print(`pipeline step "${name}": ${FunctionName} cannot run locally; skipped`);
        return { StatusCode: 200, Payload: { skipped: 'not available locally' } };
      }
      return { StatusCode: 200, Payload: ((await handler(Payload)) ?? null) as Json };
    };
  return async () => {
    deps.print(`pipeline step "${name}": ${resource} cannot run locally; skipped`);
    return { Output: { skipped: 'not available locally' } };
  };
}

/**
 * Local mode's Step Functions: starts each execution once per name (as Standard workflows do), runs the
 * definition with aws-local-stepfunctions in the background, and reports how it ended.
 */
export class LocalPipelineStarter implements PipelineStarter {
  private readonly started = new Map<string, Promise<void>>();
  private readonly pipelines: Map<string, LocalPipeline>;

  constructor(
    pipelines: readonly LocalPipeline[],
    private readonly deps: Omit<TaskDeps, 'handlers'>,
  ) {
    this.pipelines = new Map(pipelines.map((p) => [p.name, p]));
  }

  async start(pipeline: string, executionName: string, input: string): Promise<void> {
    if (this.started.has(executionName)) return;
    const local = this.pipelines.get(pipeline);
    if (!local) throw new Error(`no local definition for pipeline ${pipeline}`);
    const machine = new StateMachine(local.definition, { validationOptions: { checkArn: false } });
    const startTime = new Date().toISOString();
    const execution = machine.run(JSON.parse(input) as Json, {
      overrides: {
        taskResourceLocalHandlers: localTaskHandlers(local.definition, {
          ...this.deps,
          handlers: local.handlers,
        }),
      },
      context: {
        Execution: {
          Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${pipeline}:${executionName}`,
          Name: executionName,
          StartTime: startTime,
          Input: JSON.parse(input) as Json,
          RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`,
        },
      } as never,
    });
    this.deps.print(`pipeline ${pipeline}: started ${executionName}`);
    const done = execution.result.then(
      () => this.deps.print(`pipeline ${pipeline}: ${executionName} succeeded`),
      (error: unknown) =>
        this.deps.print(`pipeline ${pipeline}: ${executionName} failed: ${(error as Error).message}`),
    );
    this.started.set(executionName, done);
  }

  /** Resolves when every started execution has finished (tests, and a clean stop). */
  async idle(): Promise<void> {
    await Promise.all(this.started.values());
  }
}
