import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { DEFAULT_TEAM } from '../lambda/core/alerts';
import { type AppConfig, parseConfig, runtimeSettings } from '../lambda/core/config';
import { ENV } from '../lambda/core/table-schema';
import { alertTopicOutput, STACK_OUTPUTS, SyncEventsStack } from '../lib/sync-events-stack';
import {
  actionsOf,
  joinToText,
  logicalId,
  type NagSynth,
  type PolicyStatement,
  roleStatements,
  synthWithNag,
} from './helpers/synth';

// Two teams: one with a routing rule and one mailbox, one matching everything with two mailboxes.
const config = parseConfig({
  freshness: [{ collection: '*', sourceType: 'github', maxAge: '6h' }],
  alerts: [
    {
      team: 'platform',
      match: { collections: ['engineering-*'], sourceTypes: ['github', 'linear'] },
      emails: ['oncall@example.com'],
    },
    { team: 'data', emails: ['data@example.com', 'lead@example.com'] },
  ],
});
const teams = ['data', DEFAULT_TEAM, 'platform'];

interface Synthesized {
  stack: SyncEventsStack;
  template: Template;
  violations: string[];
  synthError: unknown;
}

const synths: NagSynth<SyncEventsStack>[] = [];

/** Synthesizes the stack with cdk-nag (which makes synth throw after writing the template and report). */
function synthesize(appConfig: AppConfig): Synthesized {
  const synth = synthWithNag(
    'sync-events-alerting-',
    (app) => new SyncEventsStack(app, 'AlertingStack', { config: appConfig }),
  );
  synths.push(synth);
  const { built: stack, violations, synthError } = synth;
  return { stack, template: synth.template(stack), violations, synthError };
}

let synthesized: Synthesized;
let template: Template;
let stack: SyncEventsStack;

const topicId = (team: string) => logicalId(stack.alertTopics.topics[team]!);
const keyArn = () => ({ 'Fn::GetAtt': [logicalId(stack.alertTopics.key), 'Arn'] });

const statementsOf = (role: IConstruct) => roleStatements(template, logicalId(role));
const withAction = (statements: readonly PolicyStatement[], prefix: string) =>
  statements.filter((s) => actionsOf([s]).some((a) => a.startsWith(prefix)));
const resourcesOf = (statements: readonly PolicyStatement[]): unknown[] =>
  statements.flatMap((s) => (Array.isArray(s.Resource) ? (s.Resource as unknown[]) : [s.Resource]));
const distinct = (values: readonly string[]) => [...new Set(values)];
const refs = (ids: readonly string[]) => ids.map((id) => ({ Ref: id }));

function environmentOf(fn: IConstruct): Record<string, unknown> {
  const resource = template.toJSON().Resources[logicalId(fn)] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return resource.Properties.Environment.Variables;
}

beforeAll(() => {
  synthesized = synthesize(config);
  ({ stack, template } = synthesized);
});

afterAll(() => {
  for (const synth of synths) synth.cleanup();
});

test('cdk-nag (AwsSolutions) reports no unacknowledged finding, SNS2 and SNS3 included', () => {
  expect(synthesized.violations).toEqual([]);
  expect(synthesized.synthError).toBeUndefined();
});

describe('topics', () => {
  test('one alert topic per team plus default, the events and operations topics; logical ids pinned', () => {
    expect(Object.keys(stack.alertTopics.topics).sort()).toEqual(teams);
    // Users subscribe to these topics outside the stack: a changed logical id would replace the topic.
    expect(Object.keys(template.findResources('AWS::SNS::Topic')).sort()).toEqual(
      [
        'AlertTopicsDataTopicFB551AE3',
        'AlertTopicsDefaultTopic17FEBD51',
        'AlertTopicsPlatformTopicA02EC0FA',
        'EventsTopicE2B56CDB',
        'OperationsTopic6000C985',
      ].sort(),
    );
  });

  test('every topic is encrypted with the one customer-managed key, which rotates', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const topics = Object.values(template.findResources('AWS::SNS::Topic'));
    // The alert topics, the events topic and the operations topic.
    expect(topics).toHaveLength(teams.length + 2);
    for (const topic of topics) expect(topic).toMatchObject({ Properties: { KmsMasterKeyId: keyArn() } });
  });

  test('topics and key are retained with the stack deleted, like the table', () => {
    for (const topic of Object.values(template.findResources('AWS::SNS::Topic')))
      expect(topic).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('every topic has a policy denying requests without TLS', () => {
    const topicIds = [
      ...teams.map(topicId),
      logicalId(stack.eventsTopic.topic),
      logicalId(stack.operationsTopic.topic),
    ];
    template.resourceCountIs('AWS::SNS::TopicPolicy', topicIds.length);
    for (const id of topicIds) {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: '*',
              Resource: { Ref: id },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  test("email subscriptions: exactly the config's addresses, each on its own team's topic", () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map(
      (s) =>
        (s as { Properties: { Protocol: string; Endpoint: string; TopicArn: { Ref: string } } }).Properties,
    );
    const expected = config.alerts.flatMap(({ team, emails }) =>
      emails.map((email) => ({ Protocol: 'email', Endpoint: email, TopicArn: { Ref: topicId(team) } })),
    );
    expect(expected).toHaveLength(3);
    expect(subscriptions).toEqual(expect.arrayContaining(expected));
    expect(subscriptions).toHaveLength(expected.length);
  });

  test('the events topic has no subscriptions of the stack (consumers add theirs with a filter policy)', () => {
    const onEvents = Object.values(template.findResources('AWS::SNS::Subscription')).filter(
      (s) =>
        JSON.stringify((s as { Properties: { TopicArn: unknown } }).Properties.TopicArn) ===
        JSON.stringify({ Ref: logicalId(stack.eventsTopic.topic) }),
    );
    expect(onEvents).toEqual([]);
  });
});

describe('function environment', () => {
  test.each(['webhook', 'watchdog'] as const)(
    '%s: ALERT_TOPIC_ARNS maps exactly the teams and default to their topics; EVENTS_TOPIC_ARN; settings',
    (name) => {
      const fn = name === 'webhook' ? stack.ingress.webhookFunction : stack.watchdog.function;
      const variables = environmentOf(fn);
      // Built with `Stack.toJsonString`: an Fn::Join of literal text and the topics' Refs.
      const arns = JSON.parse(joinToText(variables[ENV.alertTopicArns])) as Record<string, string>;
      expect(Object.keys(arns).sort()).toEqual(teams);
      for (const team of teams) expect(arns[team]).toBe(`\${${topicId(team)}}`);
      expect(variables[ENV.eventsTopicArn]).toEqual({ Ref: logicalId(stack.eventsTopic.topic) });
      expect(JSON.parse(variables[ENV.settings] as string)).toEqual(runtimeSettings(config));
    },
  );

  test('the runtime settings carry the alert routes (without emails) and the watchdog settings', () => {
    const settings = JSON.parse(environmentOf(stack.watchdog.function)[ENV.settings] as string) as {
      alerts: unknown[];
      watchdog: unknown;
    };
    expect(settings.alerts).toEqual([
      { team: 'platform', match: { collections: ['engineering-*'], sourceTypes: ['github', 'linear'] } },
      { team: 'data', match: {} },
    ]);
    expect(settings.watchdog).toEqual({ every: 5 * 60, stuckAfter: 6 * 3600 });
    expect(JSON.stringify(settings)).not.toMatch(/@example\.com/);
  });
});

describe('watchdog schedule', () => {
  test('an EventBridge rule runs the watchdog function every 5 minutes by default, with bounded retries', () => {
    // Two schedules: the watchdog's and the reconciler's (test/reconcile-stack.test.ts).
    template.resourceCountIs('AWS::Events::Rule', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.watchdog.function), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack.watchdog.function), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.watchdog.rule), 'Arn'] },
    });
  });

  test('watchdog.every from the config sets the rate', () => {
    const custom = synthesize(parseConfig({ watchdog: { every: '10m' } }));
    custom.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      Targets: [Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumEventAgeInSeconds: 600 }) })],
    });
    expect(custom.violations).toEqual([]);
  });

  test('a period EventBridge cannot express is refused at synth, naming the setting', () => {
    const app = new App();
    expect(
      () => new SyncEventsStack(app, 'Bad', { config: parseConfig({ watchdog: { every: '90s' } }) }),
    ).toThrow(/watchdog\.every/);
  });
});

describe('IAM: least privilege', () => {
  test('watchdog role: DynamoDB reads plus UpdateItem only; no PutItem, DeleteItem or batch writes', () => {
    const statements = statementsOf(stack.watchdog.function.role!);
    const dynamoActions = actionsOf(withAction(statements, 'dynamodb:'));
    expect(dynamoActions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
    const allowed =
      /^dynamodb:(BatchGetItem|ConditionCheckItem|DescribeTable|GetItem|GetRecords|GetShardIterator|Query|Scan|UpdateItem)$/;
    expect(dynamoActions.filter((a) => !allowed.test(a))).toEqual([]);
  });

  test('watchdog role: sns:Publish on exactly the alert topics (not the events topic, never "*")', () => {
    const statements = statementsOf(stack.watchdog.function.role!);
    const publish = withAction(statements, 'sns:');
    expect(distinct(actionsOf(publish))).toEqual(['sns:Publish']);
    expect(resourcesOf(publish)).toEqual(expect.arrayContaining(refs(teams.map(topicId))));
    expect(resourcesOf(publish)).toHaveLength(teams.length);
  });

  test('webhook role: sns:Publish on exactly the events topic and the alert topics', () => {
    const publish = withAction(statementsOf(stack.ingress.webhookFunction.role!), 'sns:');
    expect(distinct(actionsOf(publish))).toEqual(['sns:Publish']);
    const expected = refs([...teams.map(topicId), logicalId(stack.eventsTopic.topic)]);
    expect(resourcesOf(publish)).toEqual(expect.arrayContaining(expected));
    expect(resourcesOf(publish)).toHaveLength(expected.length);
  });

  test.each(['webhook', 'watchdog'] as const)(
    '%s role: KMS use only on the topics key, only what publishing needs',
    (name) => {
      const fn = name === 'webhook' ? stack.ingress.webhookFunction : stack.watchdog.function;
      const kms = withAction(statementsOf(fn.role!), 'kms:');
      // One statement per topic grant, unless the policy minimization feature flag merges them.
      expect(kms.length).toBeGreaterThan(0);
      for (const statement of kms)
        expect(statement).toEqual({
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Effect: 'Allow',
          Resource: keyArn(),
        });
    },
  );

  test('the query role publishes nothing and uses no key', () => {
    const statements = statementsOf(stack.ingress.queryFunction.role!);
    expect(withAction(statements, 'sns:')).toEqual([]);
    expect(withAction(statements, 'kms:')).toEqual([]);
  });
});

describe('outputs', () => {
  test('one AlertTopicArn<Team> output per alert topic, plus EventsTopicArn', () => {
    expect(teams.map(alertTopicOutput)).toEqual([
      'AlertTopicArnData',
      'AlertTopicArnDefault',
      'AlertTopicArnPlatform',
    ]);
    for (const team of teams) template.hasOutput(alertTopicOutput(team), { Value: { Ref: topicId(team) } });
    template.hasOutput('EventsTopicArn', { Value: { Ref: logicalId(stack.eventsTopic.topic) } });
    const alertOutputs = Object.keys(template.toJSON().Outputs as object).filter(
      (k) => k.startsWith('AlertTopicArn') && k !== STACK_OUTPUTS.alertTopicArns,
    );
    expect(alertOutputs.sort()).toEqual(teams.map(alertTopicOutput));
  });

  test('AlertTopicArns: one JSON output mapping exactly the teams and default to their topics', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const arns = JSON.parse(joinToText(outputs[STACK_OUTPUTS.alertTopicArns]!.Value)) as Record<
      string,
      string
    >;
    expect(arns).toEqual(Object.fromEntries(teams.map((team) => [team, `\${${topicId(team)}}`])));
  });
});
