import { z } from 'zod';
import { parseDuration } from './duration';

/**
 * The app config (docs/DESIGN.md section 6): one JSON document, read by `bin/` (and by local mode), validated
 * here with an error that names the bad field. Durations are kept as written and converted with
 * `parseDuration`, which the schema has already proven succeeds.
 */
/** The `airweave` section when the config leaves it (or parts of it) out. */
export const AIRWEAVE_DEFAULTS = {
  apiUrl: 'https://api.airweave.ai',
  reconcile: { every: '15m', jobs: 5 },
};

const duration = z.string().refine((v) => parseDuration(v) !== undefined, {
  message: 'expected a duration such as 90s, 30m, 6h or 2d',
});
const collectionPattern = z
  .string()
  .min(1)
  .refine((v) => !v.slice(0, -1).includes('*'), {
    message: 'only a trailing * is allowed in a collection pattern',
  });
const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected lower-case letters, digits and dashes');
const arn = (service: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `expected an ARN of ${service}`);

const freshnessRule = z.strictObject({
  collection: collectionPattern,
  sourceType: z.string().min(1).optional(),
  sourceConnectionId: z.string().min(1).optional(),
  maxAge: duration,
});

const alertRoute = z.strictObject({
  team: name,
  match: z
    .strictObject({
      collections: z.array(collectionPattern).min(1).optional(),
      sourceTypes: z.array(z.string().min(1)).min(1).optional(),
    })
    .default({}),
  emails: z.array(z.email()).default([]),
});

/**
 * A step: an existing Lambda function or state machine by ARN, or a handler file of this repository
 * (path relative to the config file) that the stack deploys as a function and local mode runs in-process.
 */
const pipelineStep = z.union([
  z.strictObject({ lambda: arn('lambda') }),
  z.strictObject({ stateMachine: arn('states') }),
  z.strictObject({
    handler: z.string().regex(/\.(ts|js)$/, 'expected a .ts or .js file exporting `handler`'),
  }),
]);

const pipeline = z.strictObject({
  name,
  collection: z
    .string()
    .min(1)
    .refine((v) => !v.includes('*'), {
      message: 'a pipeline names one collection, not a pattern',
    }),
  requires: z.array(z.string().min(1)).min(1),
  window: duration,
  cooldown: duration.optional(),
  team: name.optional(),
  steps: z.array(pipelineStep).default([]),
});

export const appConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    retentionDays: z.number().int().min(1).max(3650).default(400),
    freshness: z.array(freshnessRule).default([]),
    alerts: z.array(alertRoute).default([]),
    pipelines: z.array(pipeline).default([]),
    watchdog: z
      .strictObject({ every: duration.default('5m'), stuckAfter: duration.default('6h') })
      .default({ every: '5m', stuckAfter: '6h' }),
    // Who receives the alerts that match no team (the `default` topic).
    defaultAlerts: z.strictObject({ emails: z.array(z.email()).default([]) }).default({ emails: [] }),
    operations: z.strictObject({ emails: z.array(z.email()).default([]) }).default({ emails: [] }),
    // Reconciliation with Airweave's API (README "Reconciliation"): off until the API key is set.
    airweave: z
      .strictObject({
        apiUrl: z
          .url({ protocol: /^https?$/, error: 'expected the API base URL, such as https://api.airweave.ai' })
          .default(AIRWEAVE_DEFAULTS.apiUrl),
        reconcile: z
          .strictObject({
            every: duration.default(AIRWEAVE_DEFAULTS.reconcile.every),
            // Airweave's jobs endpoint takes a limit of 1-1000.
            jobs: z.number().int().min(1).max(1000).default(AIRWEAVE_DEFAULTS.reconcile.jobs),
          })
          .default(AIRWEAVE_DEFAULTS.reconcile),
      })
      .default(AIRWEAVE_DEFAULTS),
  })
  .superRefine((config, ctx) => {
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
  });

export type AppConfig = z.infer<typeof appConfigSchema>;
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

/** The part of the config the Lambdas need at run time, passed to them as one JSON environment variable. */
export interface RuntimeSettings {
  readonly retentionDays: number;
  readonly freshness: readonly FreshnessRule[];
  /** Team routing without the subscribers: the functions need to know who matches, not who is told. */
  readonly alerts: readonly Pick<AlertRoute, 'team' | 'match'>[];
  readonly watchdog: AppConfig['watchdog'];
  /** Absent in settings built by hand (tests, benchmarks): `AIRWEAVE_DEFAULTS` apply. */
  readonly airweave?: AppConfig['airweave'];
  /** Pipelines without their steps: the gate needs what they require, not what they run. */
  readonly pipelines: readonly Pick<
    PipelineConfig,
    'name' | 'collection' | 'requires' | 'window' | 'cooldown' | 'team'
  >[];
}

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
