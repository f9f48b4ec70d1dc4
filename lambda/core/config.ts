import * as z from 'zod/mini';
import './zod';
import { parseDuration } from './duration';
import { AIRWEAVE_DEFAULTS, type RuntimeSettings, WATCHDOG_DEFAULTS } from './settings';

export { AIRWEAVE_DEFAULTS, WATCHDOG_DEFAULTS, type RuntimeSettings } from './settings';

/**
 * The app config (docs/DESIGN.md section 6): one JSON document, read by `bin/` (and by local mode), parsed
 * here into typed values with an error that names the bad field. Durations are written as text (`90s`,
 * `30m`, `6h`, `2d`) and parsed once, here, into whole seconds: no later code re-parses or casts them.
 *
 * zod/mini rather than classic zod: the same checks at a fraction of the load time, which every CLI command
 * that reads the config pays (BENCHMARKS.md, "CLI start").
 */

/** A duration of the config as text, parsed into seconds; the issue names the field and the expected form. */
const duration = z.pipe(
  z.string(),
  z.transform((value: string, ctx) => {
    const seconds = parseDuration(value);
    if (seconds !== undefined) return seconds;
    ctx.issues.push({
      code: 'custom',
      message: 'expected a duration such as 90s, 30m, 6h or 2d',
      input: value,
    });
    return z.NEVER;
  }),
);

const nonEmpty = z.string().check(z.minLength(1));
const collectionPattern = nonEmpty.check(
  z.refine((v) => !v.slice(0, -1).includes('*'), {
    message: 'only a trailing * is allowed in a collection pattern',
  }),
);
const name = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected lower-case letters, digits and dashes'));
const arn = (service: string) =>
  z.string().check(z.regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `expected an ARN of ${service}`));
const emails = z._default(z.array(z.email()), []);

const freshnessRule = z.strictObject({
  collection: collectionPattern,
  sourceType: z.optional(nonEmpty),
  sourceConnectionId: z.optional(nonEmpty),
  /** Seconds. */
  maxAge: duration,
});

const alertRoute = z.strictObject({
  team: name,
  match: z._default(
    z.strictObject({
      collections: z.optional(z.array(collectionPattern).check(z.minLength(1))),
      sourceTypes: z.optional(z.array(nonEmpty).check(z.minLength(1))),
    }),
    {},
  ),
  emails,
});

/**
 * A step: an existing Lambda function or state machine by ARN, or a handler file of this repository
 * (path relative to the config file) that the stack deploys as a function and local mode runs in-process.
 */
const pipelineStep = z.union([
  z.strictObject({ lambda: arn('lambda') }),
  z.strictObject({ stateMachine: arn('states') }),
  z.strictObject({
    handler: z.string().check(z.regex(/\.(ts|js)$/, 'expected a .ts or .js file exporting `handler`')),
  }),
]);

const pipeline = z.strictObject({
  name,
  collection: nonEmpty.check(
    z.refine((v) => !v.includes('*'), { message: 'a pipeline names one collection, not a pattern' }),
  ),
  requires: z.array(nonEmpty).check(z.minLength(1)),
  /** Seconds. */
  window: duration,
  /** Seconds. */
  cooldown: z.optional(duration),
  team: z.optional(name),
  steps: z._default(z.array(pipelineStep), []),
});

export const appConfigSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    retentionDays: z._default(z.int().check(z.minimum(1), z.maximum(3650)), 400),
    freshness: z._default(z.array(freshnessRule), []),
    alerts: z._default(z.array(alertRoute), []),
    pipelines: z._default(z.array(pipeline), []),
    watchdog: z._default(
      z.strictObject({
        every: z._default(duration, WATCHDOG_DEFAULTS.every),
        stuckAfter: z._default(duration, WATCHDOG_DEFAULTS.stuckAfter),
      }),
      WATCHDOG_DEFAULTS,
    ),
    // Who receives the alerts that match no team (the `default` topic).
    defaultAlerts: z._default(z.strictObject({ emails }), { emails: [] }),
    operations: z._default(z.strictObject({ emails }), { emails: [] }),
    // Reconciliation with Airweave's API (README "Reconciliation"): off until the API key is set.
    airweave: z._default(
      z.strictObject({
        apiUrl: z._default(
          z.url({
            protocol: /^https?$/,
            error: 'expected the API base URL, such as https://api.airweave.ai',
          }),
          AIRWEAVE_DEFAULTS.apiUrl,
        ),
        reconcile: z._default(
          z.strictObject({
            every: z._default(duration, AIRWEAVE_DEFAULTS.reconcile.every),
            // Airweave's jobs endpoint takes a limit of 1-1000.
            jobs: z._default(z.int().check(z.minimum(1), z.maximum(1000)), AIRWEAVE_DEFAULTS.reconcile.jobs),
          }),
          AIRWEAVE_DEFAULTS.reconcile,
        ),
      }),
      AIRWEAVE_DEFAULTS,
    ),
  })
  .check(
    z.superRefine((config, ctx) => {
      const teams = new Set<string>();
      config.alerts.forEach((route, i) => {
        if (teams.has(route.team) || route.team === 'default')
          ctx.addIssue({
            code: 'custom',
            path: ['alerts', i, 'team'],
            message: `team "${route.team}" is taken`,
          });
        teams.add(route.team);
      });
      const pipelines = new Set<string>();
      config.pipelines.forEach((p, i) => {
        if (pipelines.has(p.name))
          ctx.addIssue({
            code: 'custom',
            path: ['pipelines', i, 'name'],
            message: `pipeline "${p.name}" is declared twice`,
          });
        pipelines.add(p.name);
        if (p.team !== undefined && !teams.has(p.team))
          ctx.addIssue({
            code: 'custom',
            path: ['pipelines', i, 'team'],
            message: `no alert team "${p.team}"`,
          });
      });
    }),
  );

/** The parsed config: durations in seconds. */
export type AppConfig = z.output<typeof appConfigSchema>;
/** The config as written (durations as text), e.g. for tests and `CdkPipelineProps`. */
export type AppConfigDocument = z.input<typeof appConfigSchema>;
export type FreshnessRule = AppConfig['freshness'][number];
export type AlertRoute = AppConfig['alerts'][number];
export type PipelineConfig = AppConfig['pipelines'][number];
export type PipelineStep = PipelineConfig['steps'][number];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates a parsed config document; throws a ConfigError naming every bad field (`pipelines[0].window: ...`). */
export function parseConfig(document: unknown, source = 'config'): AppConfig {
  const result = appConfigSchema.safeParse(document);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  throw new ConfigError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (text, part) =>
        typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part),
      '',
    ) || '(root)'
  );
}

/** The runtime part of a parsed config, as the stack writes it into the functions' environment. */
export function runtimeSettings(config: AppConfig): RuntimeSettings {
  return {
    retentionDays: config.retentionDays,
    freshness: config.freshness,
    alerts: config.alerts.map(({ team, match }) => ({ team, match })),
    watchdog: config.watchdog,
    airweave: config.airweave,
    pipelines: config.pipelines.map(({ name, collection, requires, window, cooldown, team }) => ({
      name,
      collection,
      requires,
      window,
      ...(cooldown !== undefined && { cooldown }),
      ...(team !== undefined && { team }),
    })),
  };
}
