import * as z from 'zod/mini';
import './zod';
import type { AlertRoute, AppConfig, FreshnessRule, PipelineConfig } from './config';
import { SettingError } from './errors';

/** The `airweave` section when the config leaves it (or parts of it) out; `every` in seconds. */
export const AIRWEAVE_DEFAULTS = {
  apiUrl: 'https://api.airweave.ai',
  reconcile: { every: 15 * 60, jobs: 5 },
};
/** The `watchdog` section when the config leaves it (or parts of it) out, in seconds. */
export const WATCHDOG_DEFAULTS = { every: 5 * 60, stuckAfter: 6 * 3600 };

/**
 * The part of the config the Lambdas need at run time, passed to them as one JSON environment variable
 * (`ENV.settings`), written by the stack from a config parsed at synth time (`core/config.ts`). Durations
 * are seconds.
 */
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

const seconds = z.number().check(z.positive());
const text = z.string().check(z.minLength(1));
const texts = z.array(text);

/**
 * The runtime settings' schema: a function parses its environment with it once, at cold start, into typed
 * values. It is its own module, apart from the config's schema, so a function bundles only this one; the
 * annotation makes tsc hold it to the `RuntimeSettings` type, so the two cannot drift apart.
 */
const runtimeSettingsSchema: z.ZodMiniType<RuntimeSettings> = z.object({
  retentionDays: z.int().check(z.positive()),
  freshness: z.array(
    z.object({
      collection: text,
      sourceType: z.optional(text),
      sourceConnectionId: z.optional(text),
      maxAge: seconds,
    }),
  ),
  alerts: z.array(
    z.object({
      team: text,
      match: z.object({ collections: z.optional(texts), sourceTypes: z.optional(texts) }),
    }),
  ),
  watchdog: z.object({ every: seconds, stuckAfter: seconds }),
  airweave: z.optional(
    z.object({
      apiUrl: text,
      reconcile: z.object({ every: seconds, jobs: z.int().check(z.positive()) }),
    }),
  ),
  pipelines: z.array(
    z.object({
      name: text,
      collection: text,
      requires: texts,
      window: seconds,
      cooldown: z.optional(seconds),
      team: z.optional(text),
    }),
  ),
});

/**
 * Parses the runtime settings' JSON (the environment variable `variable`) into typed values, or throws a
 * SettingError naming the variable and the first bad field (`pipelines[0].window`).
 */
export function parseRuntimeSettings(json: string, variable: string): RuntimeSettings {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new SettingError(`environment variable ${variable} is not JSON`);
  }
  const result = runtimeSettingsSchema.safeParse(value);
  if (result.success) return result.data;
  // A failed parse always reports at least one issue (zod builds its error from them).
  const { path, message } = result.error.issues[0]!;
  const field = path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`))
    .join('');
  throw new SettingError(`environment variable ${variable} has no valid ${field || 'value'}: ${message}`);
}
