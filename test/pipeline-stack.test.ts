import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { DEFAULT_TEAM } from '../lambda/core/alerts';
import { type AppConfig, parseConfig } from '../lambda/core/config';
import { ENV } from '../lambda/core/table-schema';
import { PIPELINE_STATES } from '../lib/pipeline-definition';
import type { CdkPipelineProps } from '../lib/pipeline-props';
import { STACK_OUTPUTS, SyncEventsStack } from '../lib/sync-events-stack';
import {
  actionsOf,
  joinToText,
  logicalId,
  type NagSynth,
  type PolicyStatement,
  roleStatements,
  synthWithNag,
} from './helpers/synth';

// asl-validator ships no type declarations: load it through a typed require.
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(__filename)('asl-validator') as AslValidator;

const repoRoot = path.join(__dirname, '..');
const LAMBDA_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:analyse-errors';
const NESTED_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:file-report';
const HANDLER = path.join(repoRoot, 'examples', 'error-analysis.ts');

// Two config pipelines (one with an ARN step of each kind and a team, one that only records its runs)
// and one pipeline of the props whose steps are a plain Pass state.
const config = parseConfig({
  alerts: [{ team: 'platform', match: { collections: ['engineering-*'] } }],
  pipelines: [
    {
      name: 'error-analysis',
      collection: 'engineering-context-ab123',
      requires: ['github', 'linear'],
      window: '30m',
      team: 'platform',
      steps: [{ lambda: LAMBDA_ARN }, { stateMachine: NESTED_ARN }],
    },
    { name: 'record-only', collection: 'support-xy', requires: ['slack'], window: '2h', cooldown: '1h' },
  ],
});
const cdkPipeline: CdkPipelineProps = {
  name: 'cdk-digest',
  collection: 'engineering-context-ab123',
  requires: ['github'],
  window: '1h',
  steps: (scope) =>
    new sfn.Pass(scope, 'Digest', { stateName: 'Digest', result: sfn.Result.fromString('ok') }),
};
const names = ['cdk-digest', 'error-analysis', 'record-only'];

// A second stack, synthesized with the first: a handler step deployed by the stack.
const handlerConfig = parseConfig({
  pipelines: [
    { name: 'handled', collection: 'c', requires: ['github'], window: '30m', steps: [{ handler: HANDLER }] },
  ],
});

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Next?: string;
  End?: boolean;
  Catch?: unknown[];
  Branches?: { StartAt: string; States: Record<string, AslState> }[];
}

interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
}

let synth: NagSynth<{ stack: SyncEventsStack; handlerStack: SyncEventsStack }>;
let stack: SyncEventsStack;
let handlerStack: SyncEventsStack;
let template: Template;
let handlerTemplate: Template;

function resourceOf(t: Template, id: string): { Type: string; Properties: Record<string, unknown> } {
  const resource = t.toJSON().Resources[id] as { Type: string; Properties: Record<string, unknown> };
  expect(resource).toBeDefined();
  return resource;
}

/** Pseudo parameters as a deployment would resolve them: asl-validator checks that task resources are ARNs. */
const DEPLOYED = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012' };

function definitionOf(
  t: Template,
  machine: sfn.StateMachine,
  pseudo: Readonly<Record<string, string>> = {},
): Asl {
  const { Properties } = resourceOf(t, logicalId(machine));
  // `{Ref: X}` as `${X}` and `{Fn::GetAtt: [X, A]}` as `${X.A}`, unless `pseudo` gives the value.
  return JSON.parse(joinToText(Properties.DefinitionString, (ref) => pseudo[ref] ?? `\${${ref}}`)) as Asl;
}

const statementsOf = (t: Template, role: IConstruct) => roleStatements(t, logicalId(role));
const resourcesOf = (statements: PolicyStatement[]): unknown[] =>
  statements.flatMap((s) => (Array.isArray(s.Resource) ? (s.Resource as unknown[]) : [s.Resource]));
const withAction = (statements: PolicyStatement[], prefix: string) =>
  statements.filter((s) => actionsOf([s]).some((a) => a.startsWith(prefix)));
const distinct = (values: string[]) => [...new Set(values)].sort();

function environmentOf(t: Template, fn: IConstruct): Record<string, unknown> {
  return (resourceOf(t, logicalId(fn)).Properties.Environment as { Variables: Record<string, unknown> })
    .Variables;
}

function acknowledgedIds(construct: IConstruct): string[] {
  return (
    construct.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.keys(entry.data as Record<string, string>))
      // Stored under a namespace prefix (`Annotation::`); the ids are what cdk-nag reports.
      .map((id) => id.replace(/^[A-Za-z]+::/, ''))
      .sort()
  );
}

const machine = (name: string) => stack.pipelines[name]!.stateMachine;
const topicRef = (team: string) => ({ Ref: logicalId(stack.alertTopics.topics[team]!) });
const tableId = () => logicalId(stack.syncTable.table);

beforeAll(() => {
  synth = synthWithNag('sync-events-pipelines-', (app) => ({
    stack: new SyncEventsStack(app, 'PipelineStack', { config, pipelines: [cdkPipeline] }),
    handlerStack: new SyncEventsStack(app, 'HandlerStack', { config: handlerConfig }),
  }));
  ({ stack, handlerStack } = synth.built);
  template = synth.template(stack);
  handlerTemplate = synth.template(handlerStack);
});

afterAll(() => {
  synth.cleanup();
});

describe('cdk-nag (AwsSolutions)', () => {
  test('both stacks synthesize with no unacknowledged finding', () => {
    expect(synth.violations).toEqual([]);
    expect(synth.synthError).toBeUndefined();
  });

  test('state machine acknowledgements are the specific wildcards of each pipeline, nothing broader', () => {
    const common = ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Resource::*]'];
    expect(acknowledgedIds(machine('error-analysis'))).toEqual(
      [
        ...common,
        `AwsSolutions-IAM5[Resource::${LAMBDA_ARN}:*]`,
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:file-report*]',
      ].sort(),
    );
    expect(acknowledgedIds(machine('record-only'))).toEqual(common);
    expect(acknowledgedIds(machine('cdk-digest'))).toEqual(common);
    const handlerFn = handlerStack.node.findChild('PipelineHandledSteps').node.findChild('Step1Function');
    expect(acknowledgedIds(handlerStack.pipelines.handled!.stateMachine)).toEqual(
      [...common, `AwsSolutions-IAM5[Resource::<${logicalId(handlerFn)}.Arn>:*]`].sort(),
    );
  });
});

describe('state machines', () => {
  test('one per pipeline, with logical ids derived from the pipeline name', () => {
    const machines = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).sort();
    expect(machines).toHaveLength(3);
    expect(Object.keys(stack.pipelines).sort()).toEqual(names);
    expect(machines).toEqual(names.map((name) => logicalId(machine(name))).sort());
    expect(machines.map((id) => id.replace(/StateMachine[0-9A-F]{8}$/, ''))).toEqual([
      'PipelineCdkDigest',
      'PipelineErrorAnalysis',
      'PipelineRecordOnly',
    ]);
  });

  test.each(names)(
    '%s: Standard, traced, logs every state without execution data to its log group',
    (name) => {
      const { Properties } = resourceOf(template, logicalId(machine(name)));
      expect(Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [
            { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } },
          ],
        },
      });
      const logGroupId = (
        Properties.LoggingConfiguration as {
          Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[];
        }
      ).Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(resourceOf(template, logGroupId)).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
      });
    },
  );

  test.each(names)('%s: the definition is valid ASL (asl-validator)', (name) => {
    const result = aslValidator(definitionOf(template, machine(name), DEPLOYED));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('asl-validator does reject a broken definition', () => {
    // Guards the test above against a validator that accepts anything.
    const broken = definitionOf(template, machine('error-analysis'), DEPLOYED);
    broken.States[PIPELINE_STATES.steps]!.Next = 'No such state';
    expect(aslValidator(broken).isValid).toBe(false);
  });

  test('error-analysis: record started, run the steps, record the outcome, alert the team on failure', () => {
    const asl = definitionOf(template, machine('error-analysis'));
    const partition = '${AWS::Partition}';
    expect(asl.StartAt).toBe(PIPELINE_STATES.recordStarted);
    expect(asl.States[PIPELINE_STATES.recordStarted]).toMatchObject({
      Type: 'Task',
      Resource: `arn:${partition}:states:::dynamodb:updateItem`,
      Parameters: {
        TableName: `\${${tableId()}}`,
        Key: { pk: { S: 'PIPELINE#error-analysis' } },
      },
      Next: PIPELINE_STATES.steps,
    });
    expect(asl.States[PIPELINE_STATES.steps]).toMatchObject({
      Type: 'Parallel',
      ResultPath: '$.result',
      Next: PIPELINE_STATES.recordSucceeded,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: PIPELINE_STATES.recordFailed }],
    });
    expect(asl.States[PIPELINE_STATES.recordFailed]).toMatchObject({ Next: PIPELINE_STATES.alertFailed });
    expect(asl.States[PIPELINE_STATES.alertFailed]).toMatchObject({
      Type: 'Task',
      Resource: `arn:${partition}:states:::sns:publish`,
      Parameters: { TopicArn: `\${${topicRef('platform').Ref}}` },
      Next: PIPELINE_STATES.failed,
    });
    expect(asl.States[PIPELINE_STATES.failed]).toEqual({ Type: 'Fail' });

    const branch = asl.States[PIPELINE_STATES.steps]!.Branches![0]!;
    expect(branch.StartAt).toBe('Step 1');
    expect(branch.States['Step 1']).toMatchObject({
      Type: 'Task',
      Resource: `arn:${partition}:states:::lambda:invoke`,
      Parameters: { FunctionName: LAMBDA_ARN, 'Payload.$': '$' },
      ResultPath: '$.step_1',
      Next: 'Step 2',
    });
    expect(branch.States['Step 2']).toMatchObject({
      Type: 'Task',
      Resource: `arn:${partition}:states:::states:startExecution.sync:2`,
      Parameters: { StateMachineArn: NESTED_ARN, 'Input.$': '$' },
      ResultPath: '$.step_2',
      End: true,
    });
  });

  test('record-only: the branch is a single Pass, failures alert the default topic', () => {
    const asl = definitionOf(template, machine('record-only'));
    const branch = asl.States[PIPELINE_STATES.steps]!.Branches![0]!;
    expect(Object.values(branch.States).map((s) => s.Type)).toEqual(['Pass']);
    expect(asl.States[PIPELINE_STATES.alertFailed]!.Parameters).toMatchObject({
      TopicArn: `\${${topicRef(DEFAULT_TEAM).Ref}}`,
    });
  });

  test("cdk-digest: the props' chain is the branch", () => {
    const asl = definitionOf(template, machine('cdk-digest'));
    const branch = asl.States[PIPELINE_STATES.steps]!.Branches![0]!;
    expect(branch).toEqual({
      StartAt: 'Digest',
      States: { Digest: { Type: 'Pass', Result: 'ok', End: true } },
    });
  });
});

describe('timed-out and aborted executions', () => {
  // Step Functions stops such an execution without running the definition's Catch, so the rule alerts instead.
  const teams = { 'error-analysis': 'platform', 'record-only': DEFAULT_TEAM, 'cdk-digest': DEFAULT_TEAM };
  const ruleId = (name: string) => logicalId(stack.pipelines[name]!.stoppedRule);

  test.each(names)(
    '%s: a rule on its machine TIMED_OUT or ABORTED alerts its team topic with the execution',
    (name) => {
      const { Type, Properties } = resourceOf(template, ruleId(name));
      expect(Type).toBe('AWS::Events::Rule');
      expect(Properties).toMatchObject({
        State: 'ENABLED',
        EventPattern: {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: {
            status: ['TIMED_OUT', 'ABORTED'],
            stateMachineArn: [{ Ref: logicalId(machine(name)) }],
          },
        },
      });
      const targets = Properties.Targets as {
        Arn: unknown;
        RoleArn?: unknown;
        InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
      }[];
      expect(targets).toHaveLength(1);
      expect(targets[0]!.Arn).toEqual(topicRef(teams[name as keyof typeof teams]));
      // Resource-based: EventBridge publishes as itself, which the topic and key policies allow (below).
      expect(targets[0]!.RoleArn).toBeUndefined();
      const { InputPathsMap: paths, InputTemplate: message } = targets[0]!.InputTransformer;
      expect(paths).toEqual({ 'detail-name': '$.detail.name', 'detail-status': '$.detail.status' });
      const text = JSON.parse(message) as string;
      expect(text).toContain(`Pipeline ${name}: execution <detail-name> ended <detail-status>`);
      expect(text).toMatch(/recorded as running/);
    },
  );

  test('no other rule watches the state machines', () => {
    const rules = Object.keys(template.findResources('AWS::Events::Rule'));
    expect(rules.sort()).toEqual(
      [...names.map(ruleId), logicalId(stack.watchdog.rule), logicalId(stack.reconciler.rule)].sort(),
    );
  });

  interface TopicPolicyStatement extends PolicyStatement {
    Principal?: unknown;
  }
  const topicPolicyStatements = (team: string): TopicPolicyStatement[] => {
    const policies = Object.values(
      template.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [topicRef(team)] } }),
    ) as { Properties: { PolicyDocument: { Statement: TopicPolicyStatement[] } } }[];
    expect(policies).toHaveLength(1);
    return policies[0]!.Properties.PolicyDocument.Statement;
  };
  const fromEvents = (statements: TopicPolicyStatement[]) =>
    statements.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }),
    );

  test.each([
    ['platform', ['error-analysis']],
    [DEFAULT_TEAM, ['cdk-digest', 'record-only']],
  ])(
    '%s topic policy: EventBridge may publish only for the rules of its pipelines in this account',
    (team, pipelines) => {
      const statements = fromEvents(topicPolicyStatements(team));
      expect(statements).toHaveLength(pipelines.length);
      expect(statements).toEqual(
        expect.arrayContaining(
          pipelines.map((name) =>
            expect.objectContaining({
              Effect: 'Allow',
              Action: 'sns:Publish',
              Resource: topicRef(team),
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId(name), 'Arn'] } },
              },
            }),
          ),
        ),
      );
    },
  );

  test('the events and operations topics allow EventBridge nothing', () => {
    for (const topic of [stack.eventsTopic.topic, stack.operationsTopic.topic]) {
      const policies = Object.values(
        template.findResources('AWS::SNS::TopicPolicy', {
          Properties: { Topics: [{ Ref: logicalId(topic) }] },
        }),
      ) as { Properties: { PolicyDocument: { Statement: TopicPolicyStatement[] } } }[];
      expect(fromEvents(policies.flatMap((p) => p.Properties.PolicyDocument.Statement))).toEqual([]);
    }
  });

  test('key policy: EventBridge may Decrypt and GenerateDataKey* on the topics key, nothing more', () => {
    const { Properties } = resourceOf(template, logicalId(stack.alertTopics.key));
    const statements = (Properties.KeyPolicy as { Statement: TopicPolicyStatement[] }).Statement;
    // No aws:SourceArn or aws:SourceAccount condition: SNS does not pass them to KMS for EventBridge
    // publishes, so deliveries would fail. The topic policies above are what limit EventBridge.
    expect(fromEvents(statements)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      },
    ]);
  });
});

describe('handler steps', () => {
  test('the handler file is bundled as a function of the stack, which Step 1 invokes', () => {
    const fn = handlerStack.node.findChild('PipelineHandledSteps').node.findChild('Step1Function');
    const fnId = logicalId(fn);
    const { Properties } = resourceOf(handlerTemplate, fnId);
    expect(Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler', Timeout: 300 });
    // The asset is the bundle of examples/error-analysis.ts, not some other entry.
    const asset = (fn.node.findChild('Code') as unknown as { assetPath: string }).assetPath;
    expect(fs.readFileSync(path.join(synth.outdir, asset, 'index.js'), 'utf8')).toMatch(
      /analysing fresh context/,
    );

    const asl = definitionOf(handlerTemplate, handlerStack.pipelines.handled!.stateMachine);
    expect(asl.States[PIPELINE_STATES.steps]!.Branches![0]!.States['Step 1']).toMatchObject({
      Resource: 'arn:${AWS::Partition}:states:::lambda:invoke',
      Parameters: { FunctionName: `\${${fnId}.Arn}` },
    });
    const invoke = withAction(
      statementsOf(handlerTemplate, handlerStack.pipelines.handled!.stateMachine.role),
      'lambda:',
    );
    expect(resourcesOf(invoke)).toEqual([
      { 'Fn::GetAtt': [fnId, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fnId, 'Arn'] }, ':*']] },
    ]);
  });
});

describe('IAM: least privilege', () => {
  const tableArnJoin = () => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':dynamodb:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':table/',
        { Ref: tableId() },
      ],
    ],
  });
  const keyArn = () => ({ 'Fn::GetAtt': [logicalId(stack.alertTopics.key), 'Arn'] });
  const logDeliveryAndXray =
    /^(logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets))$/;

  test.each([
    ['error-analysis', 'platform'],
    ['record-only', DEFAULT_TEAM],
    ['cdk-digest', DEFAULT_TEAM],
  ])(
    '%s role: UpdateItem on the table only, Publish on its team topic only, KMS on the key only',
    (name, team) => {
      const statements = statementsOf(template, machine(name).role);
      const dynamo = withAction(statements, 'dynamodb:');
      expect(distinct(actionsOf(dynamo))).toEqual(['dynamodb:UpdateItem']);
      // The table itself: no index, and no other table.
      expect(resourcesOf(dynamo)).toEqual([tableArnJoin()]);
      const publish = withAction(statements, 'sns:');
      expect(distinct(actionsOf(publish))).toEqual(['sns:Publish']);
      expect(resourcesOf(publish)).toEqual([topicRef(team)]);
      const kms = withAction(statements, 'kms:');
      expect(distinct(actionsOf(kms))).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(distinct(resourcesOf(kms).map((r) => JSON.stringify(r)))).toEqual([JSON.stringify(keyArn())]);
      // "*" only for log delivery and X-Ray, which have no resource-level permissions.
      const wildcard = statements.filter((s) => JSON.stringify(s.Resource) === '"*"');
      expect(actionsOf(wildcard).filter((a) => !logDeliveryAndXray.test(a))).toEqual([]);
    },
  );

  test('error-analysis role: invokes only the configured function, starts and watches only the nested machine', () => {
    const statements = statementsOf(template, machine('error-analysis').role);
    const invoke = withAction(statements, 'lambda:');
    expect(distinct(actionsOf(invoke))).toEqual(['lambda:InvokeFunction']);
    expect(resourcesOf(invoke)).toEqual([LAMBDA_ARN, `${LAMBDA_ARN}:*`]);
    const start = statements.filter((s) => actionsOf([s]).includes('states:StartExecution'));
    expect(actionsOf(start)).toEqual(['states:StartExecution']);
    expect(resourcesOf(start)).toEqual([NESTED_ARN]);
    const watch = statements.filter((s) => actionsOf([s]).includes('states:DescribeExecution'));
    expect(actionsOf(watch).sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(joinToText(resourcesOf(watch)[0])).toBe(
      'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:file-report*',
    );
    // `.sync` waits through the one EventBridge rule Step Functions manages for it.
    const events = withAction(statements, 'events:');
    expect(resourcesOf(events).map((r) => joinToText(r))).toEqual([
      'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
    ]);
    const allowed = new Set([
      'dynamodb:UpdateItem',
      'sns:Publish',
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      'lambda:InvokeFunction',
      'states:StartExecution',
      'states:DescribeExecution',
      'states:StopExecution',
      'events:PutTargets',
      'events:PutRule',
      'events:DescribeRule',
    ]);
    expect(actionsOf(statements).filter((a) => !allowed.has(a) && !logDeliveryAndXray.test(a))).toEqual([]);
  });

  test.each(['record-only', 'cdk-digest'])('%s role: invokes and starts nothing', (name) => {
    const statements = statementsOf(template, machine(name).role);
    expect(withAction(statements, 'lambda:')).toEqual([]);
    expect(withAction(statements, 'states:')).toEqual([]);
    expect(withAction(statements, 'events:')).toEqual([]);
  });

  test("webhook role: StartExecution on exactly the pipelines' machines, Query on the base table only", () => {
    const statements = statementsOf(template, stack.ingress.webhookFunction.role!);
    const states = withAction(statements, 'states:');
    expect(distinct(actionsOf(states))).toEqual(['states:StartExecution']);
    expect(resourcesOf(states)).toEqual(
      expect.arrayContaining(names.map((name) => ({ Ref: logicalId(machine(name)) }))),
    );
    expect(resourcesOf(states)).toHaveLength(names.length);
    const query = statements.filter((s) => actionsOf([s]).includes('dynamodb:Query'));
    expect(query).toEqual([
      { Action: 'dynamodb:Query', Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableId(), 'Arn'] } },
    ]);
    expect(distinct(actionsOf(withAction(statements, 'dynamodb:')))).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  test('no other role may start a pipeline', () => {
    for (const fn of [stack.ingress.queryFunction, stack.watchdog.function])
      expect(withAction(statementsOf(template, fn.role!), 'states:')).toEqual([]);
  });
});

describe('webhook environment', () => {
  test('PIPELINE_STATE_MACHINE_ARNS maps exactly the pipeline names to their machines', () => {
    const variables = environmentOf(template, stack.ingress.webhookFunction);
    const arns = JSON.parse(joinToText(variables[ENV.pipelineStateMachineArns])) as Record<string, string>;
    expect(Object.keys(arns).sort()).toEqual(names);
    for (const name of names) expect(arns[name]).toBe(`\${${logicalId(machine(name))}}`);
  });

  test('the settings carry the gate settings of the config and the props pipelines, without steps', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.pipelineStateMachineArns]: Match.anyValue(),
          [ENV.settings]: Match.serializedJson(
            Match.objectLike({
              pipelines: [
                {
                  name: 'error-analysis',
                  collection: 'engineering-context-ab123',
                  requires: ['github', 'linear'],
                  window: 30 * 60,
                  team: 'platform',
                },
                {
                  name: 'record-only',
                  collection: 'support-xy',
                  requires: ['slack'],
                  window: 2 * 3600,
                  cooldown: 3600,
                },
                {
                  name: 'cdk-digest',
                  collection: 'engineering-context-ab123',
                  requires: ['github'],
                  window: 3600,
                },
              ],
            }),
          ),
        }),
      },
    });
  });
});

describe('outputs', () => {
  test('AlertTopicArns and PipelineStateMachineArns: JSON maps the CLI parses', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const topics = JSON.parse(joinToText(outputs[STACK_OUTPUTS.alertTopicArns]!.Value)) as Record<
      string,
      string
    >;
    expect(topics).toEqual({
      platform: `\${${topicRef('platform').Ref}}`,
      [DEFAULT_TEAM]: `\${${topicRef(DEFAULT_TEAM).Ref}}`,
    });
    const machines = JSON.parse(joinToText(outputs[STACK_OUTPUTS.pipelineStateMachineArns]!.Value)) as Record<
      string,
      string
    >;
    expect(machines).toEqual(Object.fromEntries(names.map((n) => [n, `\${${logicalId(machine(n))}}`])));
  });
});

describe('props pipelines are validated like the config', () => {
  const build =
    (pipelines: CdkPipelineProps[], appConfig: AppConfig = config) =>
    () =>
      new SyncEventsStack(new App(), 'Invalid', { config: appConfig, pipelines });
  const base = { collection: 'c', requires: ['github'], window: '30m' };

  test('a name already declared in the config', () => {
    expect(build([{ ...base, name: 'error-analysis' }])).toThrow(
      /pipelines\[0\] \(error-analysis\)\.name: .*already declared in the app config/,
    );
  });

  test('a name declared twice in the props', () => {
    expect(
      build([
        { ...base, name: 'twice' },
        { ...base, name: 'twice' },
      ]),
    ).toThrow(/pipelines\[1\] \(twice\)\.name: .*declared twice/);
  });

  test('a window that is no duration', () => {
    expect(build([{ ...base, name: 'nightly', window: 'soon' }])).toThrow(
      /pipelines\[0\] \(nightly\)\.window: expected a duration/,
    );
  });

  test('an unknown team, a collection pattern and a bad name, all in one error', () => {
    const run = build([
      { ...base, name: 'ok', team: 'nobody' },
      { ...base, name: 'Bad Name', collection: 'eng-*' },
    ]);
    expect(run).toThrow(/pipelines\[0\] \(ok\)\.team: no alert team "nobody"/);
    expect(run).toThrow(/pipelines\[1\] \(Bad Name\)\.name: /);
    expect(run).toThrow(/pipelines\[1\] \(Bad Name\)\.collection: /);
  });
});

describe('bin/app.ts', () => {
  test('a handler step whose file is missing exits 1 naming the field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-events-handler-'));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        pipelines: [
          {
            name: 'p',
            collection: 'c',
            requires: ['github'],
            window: '30m',
            steps: [{ lambda: LAMBDA_ARN }, { handler: 'steps/missing.ts' }],
          },
        ],
      }),
    );
    const tsx = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const run = spawnSync(process.execPath, [tsx, path.join(repoRoot, 'bin', 'app.ts')], {
      env: { ...process.env, SYNC_EVENTS_CONFIG: file, CDK_OUTDIR: dir },
      encoding: 'utf8',
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/pipelines\[0\]\.steps\[1\]\.handler/);
    // Resolved against the config file's directory, not the working directory.
    expect(run.stderr).toContain(path.join(dir, 'steps', 'missing.ts'));
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
