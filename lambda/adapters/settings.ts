import { parseRuntimeSettings, type RuntimeSettings } from '../core/settings';
import { SettingError } from '../core/errors';
import { ENV } from '../core/table-schema';

/** A required environment variable, or a SettingError naming it (thrown at cold start, not per request). */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new SettingError(`environment variable ${name} is not set`);
  return value;
}

/**
 * The runtime part of the app config, parsed once at cold start into typed values (durations in seconds)
 * with the runtime schema (`core/settings.ts`): a bad value fails the cold start with the variable and the
 * field named, never a request. The config's full schema stays out of the functions' bundles.
 */
export function readSettings(): RuntimeSettings {
  return parseRuntimeSettings(requireEnv(ENV.settings), ENV.settings);
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
