import type { RuntimeSettings } from '../core/config';
import { SettingError } from '../core/errors';
import { ENV } from '../core/table-schema';

/** A required environment variable, or a SettingError naming it (thrown at cold start, not per request). */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new SettingError(`environment variable ${name} is not set`);
  return value;
}

/**
 * The runtime part of the app config, written by the stack from a config already validated at synth
 * time (`core/config.ts`). Only its shape is checked here: the full schema would put the config
 * validator, and its size, into every function's cold start.
 */
export function readSettings(): RuntimeSettings {
  const text = requireEnv(ENV.settings);
  let value: Partial<Record<keyof RuntimeSettings, unknown>>;
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    throw new SettingError(`environment variable ${ENV.settings} is not JSON`);
  }
  const shape: Record<keyof RuntimeSettings, (v: unknown) => boolean> = {
    retentionDays: (v) => typeof v === 'number' && v > 0,
    freshness: Array.isArray,
    alerts: Array.isArray,
    watchdog: (v) => typeof v === 'object' && v !== null,
    airweave: (v) => v === undefined || (typeof v === 'object' && v !== null),
    pipelines: Array.isArray,
  };
  for (const [key, valid] of Object.entries(shape))
    if (!valid(value[key as keyof RuntimeSettings]))
      throw new SettingError(`environment variable ${ENV.settings} has no valid ${key}`);
  return value as RuntimeSettings;
}

/** A JSON object of strings from the environment (topic ARNs by team), or a SettingError naming it. */
export function requireJsonMap(name: string): Record<string, string> {
  const text = requireEnv(name);
  try {
    const value = JSON.parse(text) as unknown;
    if (
      typeof value === 'object' &&
      value !== null &&
      Object.values(value).every((v) => typeof v === 'string')
    )
      return value as Record<string, string>;
  } catch {
    // fall through to the error below
  }
  throw new SettingError(`environment variable ${name} is not a JSON object of strings`);
}
