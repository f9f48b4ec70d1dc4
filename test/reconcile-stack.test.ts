import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { API_KEY_PLACEHOLDER } from '../lambda/core/airweave';
import { parseConfig } from '../lambda/core/config';
import { METRIC } from '../lambda/core/metrics';
import { ENV } from '../lambda/core/table-schema';
import { STACK_OUTPUTS, SyncEventsStack } from '../lib/sync-events-stack';
import { actionsOf, logicalId, type NagSynth, roleStatements, synthWithNag } from './helpers/synth';

let synth: NagSynth<SyncEventsStack>;
let stack: SyncEventsStack;
let template: Template;
beforeAll(() => {
  synth = synthWithNag(
    'sync-events-reconcile-',
    (app) =>
      new SyncEventsStack(app, 'ReconcileStack', {
        config: parseConfig({ airweave: { reconcile: { every: '10m', jobs: 7 } } }),
      }),
  );
  stack = synth.built;
  template = synth.template(stack);
});
afterAll(() => synth.cleanup());

function environmentOf(id: string): Record<string, unknown> {
  const resource = template.toJSON().Resources[id] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return resource.Properties.Environment.Variables;
}

describe('the reconciler in the stack', () => {
  it('passes cdk-nag, every acknowledgement next to its resource', () => {
    expect(synth.violations).toEqual([]);
    expect(synth.synthError).toBeUndefined();
  });

  it('keeps the API key in a secret created with the placeholder, retained, and outputs its ARN', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { SecretString: API_KEY_PLACEHOLDER },
      DeletionPolicy: 'Retain',
    });
    template.hasOutput(STACK_OUTPUTS.airweaveApiKeySecretArn, {
      Value: { Ref: logicalId(stack.reconciler.secret) },
    });
  });

  it('runs its own function on an EventBridge schedule of airweave.reconcile.every', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.reconciler.function), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
        }),
      ],
    });
    const env = environmentOf(logicalId(stack.reconciler.function));
    expect(env[ENV.airweaveKeySecretArn]).toEqual({ Ref: logicalId(stack.reconciler.secret) });
    expect(JSON.parse(env[ENV.settings] as string).airweave).toEqual({
      apiUrl: 'https://api.airweave.ai',
      reconcile: { every: 10 * 60, jobs: 7 },
    });
    expect(env[ENV.operationsTopicArn]).toEqual({ Ref: logicalId(stack.operationsTopic.topic) });
  });

  it('the webhook may invoke it (suspicion) and knows its name', () => {
    expect(environmentOf(logicalId(stack.ingress.webhookFunction))[ENV.reconcileFunctionName]).toEqual({
      Ref: logicalId(stack.reconciler.function),
    });
    const statements = roleStatements(template, logicalId(stack.ingress.webhookFunction.role!));
    expect(actionsOf(statements)).toContain('lambda:InvokeFunction');
  });

  it('reads the key, writes no Scan, deletes only through DeleteItem on the table', () => {
    const actions = actionsOf(roleStatements(template, logicalId(stack.reconciler.function.role!)));
    expect(actions).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue', 'dynamodb:BatchGetItem']),
    );
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:BatchWriteItem');
  });

  it('alarms the operations topic when runs fail twice in a row', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRIC.reconcileFailedRuns,
      Dimensions: [{ Name: 'service', Value: 'reconcile' }],
      Period: 600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.operationsTopic.topic) }],
    });
  });

  it('refuses a period EventBridge cannot express, naming the setting', () => {
    expect(
      () =>
        new SyncEventsStack(new App(), 'Bad', {
          config: parseConfig({ airweave: { reconcile: { every: '90s' } } }),
        }),
    ).toThrow(/airweave\.reconcile\.every/);
  });
});
