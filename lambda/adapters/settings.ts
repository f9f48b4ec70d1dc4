import { appConfigSchema, type RuntimeSettings } from '../core/config';
import { SettingError } from '../core/errors';
import { ENV } from '../core/table-schema';

/** A required environment variable, or a SettingError naming it (thrown at cold start, not per request). */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new SettingError(`environment variable ${name} is not set`);
  return value;
}

/** The runtime part of the app config, passed by the stack as JSON and validated by the same schema. */
export function readSettings(): RuntimeSettings {
  const text = requireEnv(ENV.settings);
  try {
    const parsed = appConfigSchema.parse(JSON.parse(text));
    return { retentionDays: parsed.retentionDays, freshness: parsed.freshness };
  } catch (error) {
    throw new SettingError(`environment variable ${ENV.settings} is not a valid settings document: ${(error as Error).message}`);
  }
}
