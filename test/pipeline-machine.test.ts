import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { parseConfig } from '../lambda/core/config';
import { SyncEventsStack } from '../lib/sync-events-stack';
import { resolveIntrinsics } from '../local/intrinsics';
import { forLocalEngine, localTaskHandlers, localTopicArn } from '../local/pipeline-runner';
import { type Engine, startEngine } from './helpers/engine';
import { RecordingNotifier } from '../harness/recording-notifier';

// asl-validator is CommonJS without types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: () => string;
};

/**
 * Each state machine definition exactly as the stack synthesizes it, taken from the template, validated,
 * then executed with aws-local-stepfunctions: DynamoDB tasks against the local engine through the real
 * DynamoDB API, SNS tasks to a recording notifier, the Lambda step to a local function.
 */
const STEP_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:analyze';
const config = parseConfig({
  alerts: [{ team: 'platform', match: { collections: ['engineering-*'] } }],
  pipelines: [
    {
      name: 'analysis',
      collection: 'engineering-x',
      requires: ['github', 'linear'],
      window: '30m',
      team: 'platform',
      steps: [{ lambda: STEP_ARN }],
    },
    { name: 'record-only', collection: 'engineering-x', requires: ['github'], window: '1h' },
  ],
});

let engine: Engine;
let table: string;
let definitions: Record<string, unknown>;

beforeAll(async () => {
  engine = await startEngine();
  table = await engine.newTable();
  const app = new App();
  const stack = new SyncEventsStack(app, 'Machines', { config });
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const logicalId = (resource: CfnResource) => Stack.of(resource).getLogicalId(resource);
  const refs: Record<string, string> = {
    [logicalId(stack.syncTable.table.node.defaultChild as CfnResource)]: table,
  };
  for (const [team, topic] of Object.entries(stack.alertTopics.topics))
    refs[logicalId(topic.node.defaultChild as CfnResource)] = localTopicArn(team);
  definitions = Object.fromEntries(
    Object.entries(stack.pipelines).map(([name, pipeline]) => {
      const id = logicalId(pipeline.stateMachine.node.defaultChild as CfnResource);
      const resource = template.Resources[id];
      if (!resource) throw new Error(`no resource ${id}`);
      return [name, JSON.parse(resolveIntrinsics(resource.Properties.DefinitionString, refs) as string)];
    }),
  );
}, 120_000);
afterAll(() => engine.stop());

let executions = 0;

async function execute(name: string, step: (payload: unknown) => Promise<unknown>) {
  const notifier = new RecordingNotifier();
  const definition = forLocalEngine(definitions[name] as never);
  const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
  const input = {
    pipeline: name,
    collection: 'engineering-x',
    consumed: {
      github: {
        source_connection_id: 'c1',
        source_type: 'github',
        job_id: 'g1',
        completed_at: '2026-04-23T13:00:00.000000Z',
      },
    },
    triggered_by: { sync_job_id: 'g1', svix_id: 'msg_1' },
  };
  const executionName = `${name}-${++executions}-abc`;
  const run = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: localTaskHandlers(definition, {
        client: engine.client,
        notifier,
        handlers: { [STEP_ARN]: step },
        print: () => {},
      }),
    },
    context: { Execution: { Name: executionName, Id: `local:${executionName}` } } as never,
  });
  const outcome = await run.result.then(
    (output) => ({ ok: true as const, output }),
    (error: unknown) => ({ ok: false as const, error: error as Error }),
  );
  const runs = (await engine.scan(table)).filter(
    (i) => i.pk === `PIPELINE#${name}` && String(i.sk).includes(executionName),
  );
  return { outcome, runs, notifier };
}

describe('pipeline state machines from the template', () => {
  it.each(['analysis', 'record-only'])('%s is a valid Amazon States Language definition', (name) => {
    const result = aslValidator(definitions[name]);
    expect({ valid: result.isValid, errors: result.errorsText() }).toEqual({
      valid: true,
      errors: expect.any(String),
    });
  });

  it('success path: runs the step with the pipeline input and records the run as succeeded', async () => {
    const payloads: unknown[] = [];
    const { outcome, runs, notifier } = await execute('analysis', async (payload) => {
      payloads.push(payload);
      return { analysed: true };
    });
    expect(outcome.ok).toBe(true);
    expect(payloads).toEqual([
      expect.objectContaining({
        pipeline: 'analysis',
        consumed: expect.objectContaining({ github: expect.any(Object) }),
      }),
    ]);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: 'succeeded',
      execution_name: expect.stringMatching(/^analysis-\d+-abc$/),
      pipeline: 'analysis',
      entity: 'pipeline-run',
    });
    expect(JSON.parse(String(runs[0]?.consumed))).toMatchObject({ github: { job_id: 'g1' } });
    expect(String(runs[0]?.finished_at) >= String(runs[0]?.started_at)).toBe(true);
    expect(notifier.alerts).toEqual([]);
  });

  it('failure path: records the run as failed with the error and alerts the pipeline team once', async () => {
    const { outcome, runs, notifier } = await execute('analysis', async () => {
      throw new Error('analysis crashed');
    });
    expect(outcome.ok).toBe(false);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'failed' });
    expect(String(runs[0]?.error)).toContain('analysis crashed');
    expect(notifier.alerts).toHaveLength(1);
    expect(notifier.alerts[0]).toMatchObject({
      team: 'platform',
      alert: {
        kind: 'pipeline.failed',
        subject: 'Pipeline analysis failed',
        body: { pipeline: 'analysis', execution_name: runs[0]?.execution_name },
      },
    });
  });

  it('a pipeline without steps only records its runs', async () => {
    const { outcome, runs } = await execute('record-only', async () => {
      throw new Error('no step should run');
    });
    expect(outcome.ok).toBe(true);
    expect(runs[0]).toMatchObject({ status: 'succeeded', collection_readable_id: 'engineering-x' });
  });
});
