import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  type AppConfig,
  appConfigSchema,
  type RuntimeSettings,
  runtimeSettings,
} from '../lambda/core/config';

/**
 * A chained pipeline declared in code instead of the app config (docs/DESIGN.md section 5): the same gate
 * settings, validated by the same rules, but its steps are any chain of states.
 */
export interface CdkPipelineProps {
  /** Lower-case letters, digits and dashes; unique among the config's and the props' pipelines. */
  readonly name: string;
  /** The one collection (no pattern) whose sources the pipeline requires. */
  readonly collection: string;
  /** The required sources, by `source_type` or `source_connection_id`. */
  readonly requires: readonly string[];
  /** How close together the required completions must be, as a duration such as `30m`. */
  readonly window: string;
  /**
   * Least time between two runs, as a duration such as `1h`.
   * @default - none: every new set of completions starts a run
   */
  readonly cooldown?: string;
  /**
   * The alert team a failed run is reported to; it must be a team of the config's `alerts`.
   * @default - the `default` alert topic
   */
  readonly team?: string;
  /**
   * Builds the work: states must be created inside a scope, so the stack calls this with a scope of the
   * pipeline's own. The chain receives the pipeline input (pipeline, collection, consumed, triggered_by).
   * @default - none: the pipeline only records its runs
   */
  readonly steps?: (scope: Construct) => sfn.IChainable;
}

/**
 * Validates the props' pipelines with the app config's own schema (durations, names, the collection, the
 * team against the config's alert teams) and against the config's pipelines, and returns their gate
 * settings in the shape `runtimeSettings` gives the config's. Throws one error naming every bad field as
 * `pipelines[<index>] (<name>).<field>`.
 */
export function cdkPipelineSettings(
  config: AppConfig,
  pipelines: readonly CdkPipelineProps[],
): RuntimeSettings['pipelines'] {
  const problems: string[] = [];
  const settings: RuntimeSettings['pipelines'][number][] = [];
  const configNames = new Set(config.pipelines.map((p) => p.name));
  const seen = new Set<string>();
  pipelines.forEach((pipeline, index) => {
    const label = `pipelines[${index}] (${pipeline.name})`;
    if (configNames.has(pipeline.name))
      problems.push(`${label}.name: pipeline "${pipeline.name}" is already declared in the app config`);
    else if (seen.has(pipeline.name))
      problems.push(`${label}.name: pipeline "${pipeline.name}" is declared twice`);
    seen.add(pipeline.name);
    // One pipeline at a time, with the config's alert teams, so the schema's team check applies and its
    // issue paths point at this pipeline; the steps are code, which the schema has no rule for.
    const result = appConfigSchema.safeParse({
      alerts: config.alerts,
      pipelines: [
        {
          name: pipeline.name,
          collection: pipeline.collection,
          requires: [...pipeline.requires],
          window: pipeline.window,
          ...(pipeline.cooldown !== undefined && { cooldown: pipeline.cooldown }),
          ...(pipeline.team !== undefined && { team: pipeline.team }),
        },
      ],
    });
    if (result.success) settings.push(...runtimeSettings(result.data).pipelines);
    else
      for (const issue of result.error.issues) {
        const field = issue.path
          .slice(2)
          .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
          .join('');
        problems.push(`${label}${field}: ${issue.message}`);
      }
  });
  if (problems.length > 0)
    throw new Error(`SyncEventsStackProps.pipelines is invalid:\n  ${problems.join('\n  ')}`);
  return settings;
}
