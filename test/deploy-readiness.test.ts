import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { readConfigFile } from '../bin/config-file';
import { type AppConfig, parseConfig } from '../lambda/core/config';
import { DEFAULT_CONFIG_PATH } from '../local/defaults';
import { SyncEventsStack } from '../lib/sync-events-stack';

/**
 * What a first `cdk deploy` into a real account meets: the default config, an account and a region.
 * Bundling is skipped (the context below): the templates are the same, and these tests read templates.
 */
const ENV = { account: '123456789012', region: 'eu-west-1' };

function synth(config: AppConfig): { stack: SyncEventsStack; templateFile: string; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-events-deploy-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new SyncEventsStack(app, 'AirweaveSyncEvents', { config, env: ENV });
  app.synth();
  return { stack, templateFile: path.join(outdir, `${stack.artifactId}.template.json`), outdir };
}

const defaults = synth(readConfigFile(DEFAULT_CONFIG_PATH));
const heard = synth(
  parseConfig({
    alerts: [{ team: 'platform', match: { collections: ['engineering-*'] }, emails: ['team@example.com'] }],
    defaultAlerts: { emails: ['triage@example.com'] },
    operations: { emails: ['ops@example.com'] },
  }),
);
afterAll(() => {
  for (const s of [defaults, heard]) fs.rmSync(s.outdir, { recursive: true, force: true });
});

/** cfn-lint is a Python tool; .ci/run installs it. Without it the lint test is skipped, and says why. */
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
if (!cfnLint)
  console.warn('cfn-lint is not installed: the template lint test is skipped (.ci/run installs it)');
const withCfnLint = cfnLint ? it : it.skip;

describe('deploy readiness', () => {
  it('names every state machine log group under /aws/vendedlogs/states/', () => {
    const template = Template.fromStack(defaults.stack);
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Array<{
      Properties: {
        LoggingConfiguration: {
          Destinations: Array<{
            CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } };
          }>;
        };
      };
    }>;
    expect(machines.length).toBeGreaterThan(0);
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    for (const machine of machines) {
      const [logicalId] =
        machine.Properties.LoggingConfiguration.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn[
          'Fn::GetAtt'
        ];
      const name = (logGroups[logicalId] as { Properties: { LogGroupName?: string } }).Properties
        .LogGroupName;
      expect(name).toMatch(/^\/aws\/vendedlogs\/states\/AirweaveSyncEvents-[a-z0-9-]+$/);
    }
  });

  it('synthesizes with an account and region without the unresolved-environment warning', () => {
    const warnings = Annotations.fromStack(defaults.stack).findWarning(
      '*',
      Match.stringLikeRegexp('unresolved environment'),
    );
    expect(warnings).toEqual([]);
    // The timed-out/aborted rule still targets the pipeline's alert topic (default: it names no team).
    const template = Template.fromStack(defaults.stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ status: ['TIMED_OUT', 'ABORTED'] }) }),
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^AlertTopicsDefaultTopic') } })],
    });
  });

  it('warns when alerts or alarms would reach no subscriber, and not once they would', () => {
    const unheard = Annotations.fromStack(defaults.stack)
      .findWarning('*', Match.stringLikeRegexp('no subscriber'))
      .map((w) => String(w.entry.data));
    expect(unheard).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Alerts of team platform reach no subscriber.*AlertTopicArnPlatform/),
        expect.stringMatching(/default topic, which has no subscriber: set defaultAlerts\.emails/),
        expect.stringMatching(/alarms reach no subscriber: set operations\.emails/),
      ]),
    );
    expect(unheard).toHaveLength(3);
    expect(
      Annotations.fromStack(heard.stack).findWarning('*', Match.stringLikeRegexp('no subscriber')),
    ).toEqual([]);
    // defaultAlerts.emails subscribes to the default topic.
    Template.fromStack(heard.stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'triage@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^AlertTopicsDefaultTopic') },
    });
  });

  /* eslint-disable jest/no-standalone-expect -- withCfnLint is `it`, or `it.skip` without cfn-lint */
  withCfnLint('passes cfn-lint with no errors', () => {
    for (const { templateFile } of [defaults, heard]) {
      const result = spawnSync('cfn-lint', ['--format', 'json', '--', templateFile], { encoding: 'utf8' });
      const findings = JSON.parse(result.stdout || '[]') as Array<{
        Level: string;
        Rule: { Id: string };
        Message: string;
      }>;
      expect(findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id}: ${f.Message}`)).toEqual(
        [],
      );
    }
  });
  /* eslint-enable jest/no-standalone-expect */
});
