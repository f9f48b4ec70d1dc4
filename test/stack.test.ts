import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ConfigError, parseConfig, runtimeSettings } from '../lambda/core/config';
import {
  ENV,
  FAILURE_INDEX_ATTRIBUTES,
  GSI1,
  GSI2,
  GSI3,
  KEY,
  TTL_ATTRIBUTE,
} from '../lambda/core/table-schema';
import { readConfigFile } from '../bin/config-file';
import { STACK_OUTPUTS, SyncEventsStack } from '../lib/sync-events-stack';
import { environmentSize, LAMBDA_ENVIRONMENT_LIMIT } from '../lib/sync-function';
import { actionsOf, logicalId, type NagSynth, roleStatements, synthWithNag } from './helpers/synth';

const repoRoot = path.join(__dirname, '..');

// A config of the test's own, so the assertions do not move when config/default.json is edited.
const config = parseConfig({
  retentionDays: 90,
  freshness: [{ collection: 'engineering-*', sourceType: 'github', maxAge: '6h' }],
});

// One synth per file: esbuild bundles both functions on every synth, which is the slow part.
let synth: NagSynth<SyncEventsStack>;
let stack: SyncEventsStack;
let template: Template;
let ids: {
  table: string;
  secret: string;
  webhookFn: string;
  queryFn: string;
  webhookRole: string;
  queryRole: string;
  watchdogRole: string;
};

/** Every statement of the inline policies attached to one role. */
const statementsOf = (roleId: string) => roleStatements(template, roleId);
const tableArn = () => ({ 'Fn::GetAtt': [ids.table, 'Arn'] });

beforeAll(() => {
  synth = synthWithNag('sync-events-stack-', (app) => new SyncEventsStack(app, 'TestStack', { config }));
  stack = synth.built;
  template = synth.template(stack);
  ids = {
    table: logicalId(stack.syncTable.table),
    secret: logicalId(stack.ingress.secret),
    webhookFn: logicalId(stack.ingress.webhookFunction),
    queryFn: logicalId(stack.ingress.queryFunction),
    webhookRole: logicalId(stack.ingress.webhookFunction.role!),
    queryRole: logicalId(stack.ingress.queryFunction.role!),
    watchdogRole: logicalId(stack.watchdog.function.role!),
  };
});

afterAll(() => {
  synth.cleanup();
});

describe('bundles', () => {
  test('every function bundle stays within the 250 KB budget (docs/DESIGN.md section 7)', () => {
    // A bundle that pulls in a whole library namespace (all of zod's locales once made the webhook 513 KB)
    // costs every cold start: the size is deterministic, so it is pinned here, not only benchmarked.
    const kb = Object.fromEntries(
      [
        stack.ingress.webhookFunction,
        stack.ingress.queryFunction,
        stack.watchdog.function,
        stack.failureIndexStamp.function,
      ].map((fn) => {
        const asset = (fn.node.findChild('Code') as unknown as { assetPath: string }).assetPath;
        return [fn.node.path, fs.statSync(path.join(synth.outdir, asset, 'index.js')).size / 1024];
      }),
    );
    expect(Object.keys(kb)).toHaveLength(4);
    expect(Object.entries(kb).filter(([, size]) => size > 250)).toEqual([]);
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  test('synthesis reports no unacknowledged finding', () => {
    expect(synth.violations).toEqual([]);
    expect(synth.synthError).toBeUndefined();
  });

  test('the same plugin setup does fail synthesis on an unacknowledged finding', () => {
    // Guards the test above against a plugin that silently checks nothing.
    const probe = synthWithNag('sync-events-nag-', (app) => {
      new secretsmanager.Secret(new Stack(app, 'Probe'), 'Unrotated');
    });
    try {
      expect(String(probe.synthError)).toMatch(/AwsSolutions-SMG4/);
    } finally {
      probe.cleanup();
    }
  });
});

describe('stateful resources', () => {
  test('logical ids of the table and the secret never change (a rename would replace them)', () => {
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toEqual(['SyncTable731B149B']);
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret')).sort()).toEqual([
      'IngressSigningSecret542981BD',
      'ReconcilerApiKey92389B90',
    ]);
  });

  test('table: key schema and GSIs from table-schema.ts, on-demand, PITR, TTL, encrypted, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: KEY.pk, KeyType: 'HASH' },
          { AttributeName: KEY.sk, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayEquals(
          [KEY.pk, KEY.sk, GSI1.pk, GSI1.sk, GSI2.pk, GSI2.sk, GSI3.pk, GSI3.sk].map((name) => ({
            AttributeName: name,
            AttributeType: 'S',
          })),
        ),
        GlobalSecondaryIndexes: Match.arrayEquals(
          [GSI1, GSI2, GSI3].map((gsi) => ({
            IndexName: gsi.name,
            KeySchema: [
              { AttributeName: gsi.pk, KeyType: 'HASH' },
              { AttributeName: gsi.sk, KeyType: 'RANGE' },
            ],
            // The failure index is narrow: a failure with a long error costs one index write unit.
            Projection:
              gsi === GSI3
                ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...FAILURE_INDEX_ATTRIBUTES] }
                : { ProjectionType: 'ALL' },
          })),
        ),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        TableName: Match.absent(),
      },
    });
  });

  test('signing secret: generated placeholder, retained, no hard-coded name', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        // 32 letters and digits are also valid base64, so the placeholder decodes as a key and deliveries are
        // rejected with 401 (retried by Svix) until the real whsec_ value is set.
        GenerateSecretString: { PasswordLength: 32, ExcludePunctuation: true, IncludeSpace: false },
        Name: Match.absent(),
        SecretString: Match.absent(),
      },
    });
  });
});

describe('functions', () => {
  test('all share the SyncFunction defaults: Node 24, arm64, no X-Ray, source maps, own log group', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).sort()).toEqual(
      [
        ids.queryFn,
        ids.webhookFn,
        logicalId(stack.watchdog.function),
        logicalId(stack.reconciler.function),
        logicalId(stack.failureIndexStamp.function),
      ].sort(),
    );
    // The two functions on a request path get more memory, hence CPU (lib/webhook-ingress.ts); the rest 256 MB.
    for (const [roleId, timeout, memory] of [
      [ids.webhookRole, 10, 1024],
      [ids.queryRole, 10, 1024],
      [ids.watchdogRole, 60, 256],
      [logicalId(stack.failureIndexStamp.function.role!), 30, 256],
    ] as const) {
      const logGroup = new Capture();
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: memory,
        Timeout: timeout,
        // Tracing off, by measurement (lib/sync-function.ts): no TracingConfig, and no X-Ray grant.
        TracingConfig: Match.absent(),
        LoggingConfig: { LogGroup: { Ref: logGroup } },
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
      expect(template.toJSON().Resources[logGroup.asString()]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Delete',
      });
    }
  });

  test('webhook function environment: table, secret ARN, topics and the runtime settings as JSON', () => {
    const settings = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          [ENV.tableName]: { Ref: ids.table },
          [ENV.secretArn]: { Ref: ids.secret },
          [ENV.settings]: settings,
          [ENV.eventsTopicArn]: { Ref: logicalId(stack.eventsTopic.topic) },
          [ENV.alertTopicArns]: Match.anyValue(),
          // Always set: the handler reads it at cold start, and this config declares no pipelines.
          [ENV.pipelineStateMachineArns]: '{}',
        },
      },
      Description: Match.stringLikeRegexp('webhook'),
    });
    expect(JSON.parse(settings.asString())).toEqual(runtimeSettings(config));
  });

  test('query function environment: table and settings, no secret', () => {
    const settings = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          [ENV.tableName]: { Ref: ids.table },
          [ENV.secretArn]: Match.absent(),
          [ENV.settings]: settings,
        },
      },
      Description: Match.stringLikeRegexp('freshness'),
    });
    expect(JSON.parse(settings.asString())).toEqual(runtimeSettings(config));
  });

  test('no AWS managed policy: log writes are granted on the function log group only', () => {
    for (const fn of [stack.ingress.webhookFunction, stack.ingress.queryFunction, stack.watchdog.function]) {
      const roleId = logicalId(fn.role!);
      expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
      const logStatements = statementsOf(roleId).filter((s) =>
        actionsOf([s]).some((a) => a.startsWith('logs:')),
      );
      expect(logStatements).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalId(fn.logGroup), 'Arn'] },
        },
      ]);
    }
  });
});

describe('IAM: least privilege through grants', () => {
  test('webhook role without pipelines: item writes on the table, Query and job-partition DeleteItem on the base table, GetSecretValue on the secret', () => {
    const statements = statementsOf(ids.webhookRole);
    expect(statements).toContainEqual({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Effect: 'Allow',
      Resource: [tableArn(), { 'Fn::Join': ['', [tableArn(), '/index/*']] }],
    });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['secretsmanager:GetSecretValue']),
        Resource: { Ref: ids.secret },
      }),
    );
    // DeleteItem only on job partitions: a delivery refused for good takes back the audit event it added.
    expect(statements).toContainEqual({
      Action: 'dynamodb:DeleteItem',
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['JOB#*'] } },
      Effect: 'Allow',
      Resource: tableArn(),
    });
    // Query on the base table only (a collection's freshness partition: the gate, collection.deleted); no
    // Scan or BatchWriteItem, and nothing on the indexes beyond the item actions that have no effect there.
    expect(statements).toContainEqual({ Action: 'dynamodb:Query', Effect: 'Allow', Resource: tableArn() });
    const dynamoActions = actionsOf(statements).filter((a) => a.startsWith('dynamodb:'));
    expect([...new Set(dynamoActions)].sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(actionsOf(statements).filter((a) => a.startsWith('states:'))).toEqual([]);
  });

  test('query role: only DynamoDB read actions, no secret', () => {
    const actions = actionsOf(statementsOf(ids.queryRole));
    const dynamoActions = actions.filter((a) => a.startsWith('dynamodb:'));
    expect(dynamoActions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']));
    const readOnly =
      /^dynamodb:(BatchGetItem|ConditionCheckItem|DescribeTable|GetItem|GetRecords|GetShardIterator|Query|Scan)$/;
    expect(dynamoActions.filter((a) => !readOnly.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
  });

  test('no Resource "*" at all: with tracing off (by measurement) the roles carry no X-Ray grant', () => {
    for (const roleId of [ids.webhookRole, ids.queryRole, ids.watchdogRole]) {
      const wildcard = statementsOf(roleId).filter((s) => JSON.stringify(s.Resource) === '"*"');
      expect(actionsOf(wildcard)).toEqual([]);
      expect(actionsOf(statementsOf(roleId)).filter((a) => a.startsWith('xray:'))).toEqual([]);
    }
  });
});

describe('failure index stamp (docs/DESIGN.md section 8)', () => {
  const stampId = () => logicalId(stack.failureIndexStamp.resource);

  test('its logical id never changes: a rename would create a resource that keeps the stamp, then delete the one that owns it', () => {
    expect(stampId()).toBe('FailureIndexStamp6A10CCD7');
  });

  test('a custom resource of the stamp function, on the table, with the longest ingesting timeout as its drain', () => {
    template.hasResource('Custom::FailureIndexStamp', {
      Properties: {
        ServiceToken: { 'Fn::GetAtt': [logicalId(stack.failureIndexStamp.function), 'Arn'] },
        TableName: { Ref: ids.table },
        // The reconciler's 5 minutes, the longest of the functions that record events.
        DrainSeconds: 300,
        // Not CloudFormation's default hour, should the function die without answering.
        ServiceTimeout: '300',
      },
    });
    template.resourceCountIs('Custom::FailureIndexStamp', 1);
  });

  test('is written after every function that records events (any whose role may PutItem) runs the new code', () => {
    const resource = template.toJSON().Resources[stampId()] as { DependsOn: string[] };
    const functions = template.findResources('AWS::Lambda::Function') as Record<
      string,
      { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }
    >;
    const recorders = Object.entries(functions)
      .filter(([id]) => id !== logicalId(stack.failureIndexStamp.function))
      .filter(([, fn]) =>
        actionsOf(statementsOf(fn.Properties.Role['Fn::GetAtt'][0])).includes('dynamodb:PutItem'),
      )
      .map(([id]) => id);
    expect(recorders.sort()).toEqual([ids.webhookFn, logicalId(stack.reconciler.function)].sort());
    expect(resource.DependsOn).toEqual(expect.arrayContaining(recorders));
  });

  test('its role may only put and delete items of the META partition of the table, and write its own logs', () => {
    const fn = stack.failureIndexStamp.function;
    expect(statementsOf(logicalId(fn.role!))).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(fn.logGroup), 'Arn'] },
      },
      {
        Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['META'] } },
        Effect: 'Allow',
        Resource: tableArn(),
      },
    ]);
    // The function exists (with its policy) before CloudFormation invokes it.
    expect(template.toJSON().Resources[logicalId(fn)].DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^FailureIndexStampFunctionRoleDefaultPolicy/)]),
    );
  });
});

describe('HTTP API', () => {
  const integrationTarget = (routeKey: string): string => {
    const target = new Capture();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: target }]] },
    });
    const integration = template.toJSON().Resources[target.asString()] as {
      Properties: { IntegrationUri: { 'Fn::GetAtt': [string, string] }; IntegrationType: string };
    };
    expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
    return integration.Properties.IntegrationUri['Fn::GetAtt'][0];
  };

  test('exactly the five routes of the contract', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r as { Properties: { RouteKey: string } }).Properties.RouteKey,
    );
    expect(routes.sort()).toEqual([
      'GET /freshness',
      'GET /freshness/{collection_readable_id}',
      'GET /pipelines',
      'HEAD /webhooks/airweave',
      'POST /webhooks/airweave',
    ]);
  });

  test.each(['POST /webhooks/airweave', 'HEAD /webhooks/airweave'])(
    '%s: no API Gateway auth (Svix cannot sign AWS requests), served by the webhook function',
    (routeKey) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'NONE',
      });
      expect(integrationTarget(routeKey)).toBe(ids.webhookFn);
    },
  );

  test.each(['GET /freshness', 'GET /freshness/{collection_readable_id}', 'GET /pipelines'])(
    '%s: IAM-authorized, served by the query function',
    (routeKey) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'AWS_IAM',
      });
      expect(integrationTarget(routeKey)).toBe(ids.queryFn);
    },
  );

  test('default stage: auto-deployed, throttled, JSON access logs to a retained-for-a-month log group', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const destination = new Capture();
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [destination, 'Arn'] },
        Format: Match.serializedJson(
          Match.objectLike({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
          }),
        ),
      },
    });
    expect(template.toJSON().Resources[destination.asString()]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
  });
});

describe('outputs the CLI reads', () => {
  test('WebhookUrl, ApiUrl, TableName, SecretArn unchanged; topic ARNs and the JSON maps added', () => {
    const apiId = logicalId(stack.ingress.api);
    expect(Object.values(STACK_OUTPUTS).sort()).toEqual([
      'AirweaveApiKeySecretArn',
      'AlertTopicArns',
      'ApiUrl',
      'EventsTopicArn',
      'OperationsTopicArn',
      'PipelineStateMachineArns',
      'SecretArn',
      'TableName',
      'WebhookUrl',
    ]);
    template.hasOutput('WebhookUrl', {
      Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, '/webhooks/airweave']] },
    });
    template.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
    template.hasOutput('TableName', { Value: { Ref: ids.table } });
    template.hasOutput('SecretArn', { Value: { Ref: ids.secret } });
    template.hasOutput('EventsTopicArn', { Value: { Ref: logicalId(stack.eventsTopic.topic) } });
    // Without pipelines the map is still there, empty, so the CLI can always parse it.
    template.hasOutput('PipelineStateMachineArns', { Value: '{}' });
    template.hasOutput('AlertTopicArns', { Value: Match.anyValue() });
    template.hasOutput('OperationsTopicArn', { Value: { Ref: logicalId(stack.operationsTopic.topic) } });
  });
});

describe('config', () => {
  test('a bad duration is a ConfigError naming the field', () => {
    const bad = { freshness: [{ collection: '*', maxAge: '6x' }] };
    expect(() => parseConfig(bad)).toThrow(ConfigError);
    expect(() => parseConfig(bad)).toThrow(/freshness\[0\]\.maxAge/);
  });

  test('config/default.json parses', () => {
    const document: unknown = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'config', 'default.json'), 'utf8'),
    );
    expect(parseConfig(document, 'config/default.json').retentionDays).toBeGreaterThan(0);
  });

  test('readConfigFile resolves handler steps against the config file and names what is unreadable', () => {
    const config = readConfigFile(path.join(repoRoot, 'config', 'default.json'));
    expect(config.pipelines[0]?.steps).toEqual([
      { handler: path.join(repoRoot, 'examples', 'error-analysis.ts') },
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-events-config-'));
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "retentionDays": ');
    expect(() => readConfigFile(path.join(dir, 'broken.json'))).toThrow(/broken\.json is not valid JSON/);
    expect(() => readConfigFile(path.join(dir, 'absent.json'))).toThrow(
      /config file .*absent\.json not found/,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('bin/app.ts prints the ConfigError and exits 1 on a bad config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-events-config-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ freshness: [{ collection: '*', maxAge: '6x' }] }));
    const tsx = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const run = spawnSync(process.execPath, [tsx, path.join(repoRoot, 'bin', 'app.ts')], {
      env: { ...process.env, SYNC_EVENTS_CONFIG: file, CDK_OUTDIR: dir },
      encoding: 'utf8',
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/freshness\[0\]\.maxAge/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message for the user, not a stack trace
  });
});

describe('Lambda environment size (4 KB for all variables of a function)', () => {
  // Bundling skipped: these only construct the stacks, which is where the check throws.
  const unbundled = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

  /** config/default.json as bin/app.ts reads it (handler paths resolved against the file). */
  const defaultConfig = () => readConfigFile(path.join(repoRoot, 'config', 'default.json'));

  test('the default config fits', () => {
    expect(
      () => new SyncEventsStack(unbundled(), 'DefaultConfig', { config: defaultConfig() }),
    ).not.toThrow();
  });

  test('a config with 200 freshness rules fails synthesis naming the function and the limit', () => {
    const freshness = Array.from({ length: 200 }, (_, i) => ({
      collection: `engineering-${i}-*`,
      sourceType: 'github',
      maxAge: '6h',
    }));
    const build = () => new SyncEventsStack(unbundled(), 'Huge', { config: parseConfig({ freshness }) });
    expect(build).toThrow(/Huge\/Ingress\/WebhookFunction: .* over Lambda's 4 KB limit \(4096 bytes/);
    expect(build).toThrow(/shorten the app config/);
  });

  test('the estimate counts names and literals, and each deploy-time value as 128 bytes', () => {
    const scope = new Stack(unbundled(), 'Estimate');
    const topics = ['a', 'b'].map((id) => new sns.Topic(scope, id));
    expect(environmentSize(scope, { A: 'xyz' })).toBe(4);
    expect(environmentSize(scope, { ARN: topics[0]!.topicArn })).toBe(3 + 128);
    expect(environmentSize(scope, { URL: `https://${topics[0]!.topicName}/x` })).toBe(3 + 10 + 128);
    // A JSON map of ARNs is one token; it counts its literal parts and 128 per ARN in it.
    const map = scope.toJsonString({ a: topics[0]!.topicArn, b: topics[1]!.topicArn });
    expect(environmentSize(scope, { MAP: map })).toBe(3 + '{"a":"","b":""}'.length + 2 * 128);
    expect(LAMBDA_ENVIRONMENT_LIMIT).toBe(4096);
  });
});
