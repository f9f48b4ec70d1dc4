import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** What one cdk-nag synth of an app left behind in its temporary outdir. */
export interface NagSynth<T> {
  /** What `build` returned: the stacks, to read their templates and logical ids. */
  readonly built: T;
  readonly outdir: string;
  /** Every finding of the validation report, as `<rule> at <construct paths>`. */
  readonly violations: string[];
  /** What `app.synth()` threw, undefined when it did not. */
  readonly synthError: unknown;
  /** The synthesized template of one stack of the app, read from the outdir. */
  template(stack: Stack): Template;
  /** Removes the outdir. */
  cleanup(): void;
}

interface ValidationReport {
  pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/**
 * Builds the stacks of a new app in a temporary outdir (named with `prefix`) and synthesizes it with the
 * cdk-nag AwsSolutions checks. One synth per test file is the norm: esbuild bundles every function on each
 * synth, which is the slow part.
 */
export function synthWithNag<T>(prefix: string, build: (app: App) => T): NagSynth<T> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const app = new App({ outdir });
  const built = build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // cdk-nag 3 runs as a policy validation plugin: synth throws when it reports an unacknowledged error,
  // after the templates and validation-report.json are written, so both are read from disk.
  let synthError: unknown;
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8')) as unknown;
  const reportFile = path.join(outdir, 'validation-report.json');
  const report = (
    fs.existsSync(reportFile) ? read('validation-report.json') : { pluginReports: [] }
  ) as ValidationReport;
  const violations = report.pluginReports.flatMap((r) =>
    r.violations.map(
      (v) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
    ),
  );
  const templates = new Map<Stack, Template>();
  return {
    built,
    outdir,
    violations,
    synthError,
    template(stack) {
      let template = templates.get(stack);
      if (!template) {
        template = Template.fromJSON(read(`${stack.artifactId}.template.json`) as Record<string, unknown>);
        templates.set(stack, template);
      }
      return template;
    },
    cleanup() {
      fs.rmSync(outdir, { recursive: true, force: true });
    },
  };
}

/**
 * A CloudFormation string value as text: a literal as is, an `Fn::Join` with its parts joined. Each `Ref`
 * and `Fn::GetAtt` part becomes `placeholder(ref)`, `ref` being the logical id (or pseudo parameter) of a
 * `Ref` and `<logical id>.<attribute>` of a `Fn::GetAtt`; the default writes them as `Fn::Sub` does,
 * `${X}` and `${X.Attr}`. So JSON built from tokens (a dashboard body, a state machine definition, an
 * environment variable) parses and says what its values point at.
 */
export function joinToText(
  value: unknown,
  placeholder: (ref: string) => string = (ref) => `\${${ref}}`,
): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`expected a string or Fn::Join, got ${JSON.stringify(value)}`);
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const { Ref: ref, 'Fn::GetAtt': getAtt } = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (ref !== undefined) return placeholder(ref);
      if (getAtt !== undefined) return placeholder(`${getAtt[0]}.${getAtt[1]}`);
      throw new Error(`unexpected part ${JSON.stringify(part)}`);
    })
    .join(join[0]);
}

/** The logical id CloudFormation knows a construct's default resource by. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

export interface PolicyStatement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the inline policies attached to one role, by the role's logical id. */
export function roleStatements(template: Template, roleId: string): PolicyStatement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

export const actionsOf = (statements: readonly PolicyStatement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
