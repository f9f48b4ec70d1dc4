import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AppConfig, ConfigError, parseConfig } from '../lambda/core/config';

/**
 * Reads, validates and resolves the app config file: the one reader for the CDK app, local mode, the
 * CLI and the benchmark. Handler steps name files relative to the config file; they come back as absolute
 * paths, checked to exist. Everything a user can fix (a missing file, bad JSON, a bad field, a missing
 * handler) is a ConfigError whose message names it; each entry point decides how to exit.
 */
export function readConfigFile(file: string): AppConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `config file ${file} not found`
        : `cannot read the config ${file}: ${(error as Error).message}`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return resolveHandlers(parseConfig(document, file), file);
}

function resolveHandlers(config: AppConfig, file: string): AppConfig {
  const dir = path.dirname(file);
  const missing: string[] = [];
  const pipelines = config.pipelines.map((pipeline, i) => ({
    ...pipeline,
    steps: pipeline.steps.map((step, j) => {
      if (!('handler' in step)) return step;
      const handler = path.resolve(dir, step.handler);
      if (!fs.existsSync(handler))
        missing.push(
          `pipelines[${i}].steps[${j}].handler: file ${step.handler} not found (looked for ${handler})`,
        );
      return { handler };
    }),
  }));
  if (missing.length > 0) throw new ConfigError(`${file} is invalid:\n  ${missing.join('\n  ')}`);
  return { ...config, pipelines };
}
