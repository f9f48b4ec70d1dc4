#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type AppConfig, ConfigError, parseConfig } from '../lambda/core/config';
import { SyncEventsStack } from '../lib/sync-events-stack';

// The only place that reads files, context or the environment: everything below gets typed props.
const repoRoot = path.join(__dirname, '..');
const app = new App();

const configPath = path.resolve(
  repoRoot,
  process.env.SYNC_EVENTS_CONFIG ??
    (app.node.tryGetContext('config') as string | undefined) ??
    'config/default.json',
);

function loadConfig(file: string) {
  try {
    return parseConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file);
  } catch (error) {
    // A bad config is the user's to fix: print what is wrong without a stack trace.
    if (error instanceof ConfigError) console.error(error.message);
    else if (error instanceof SyntaxError) console.error(`${file} is not valid JSON: ${error.message}`);
    else if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      console.error(`config file ${file} not found`);
    else throw error;
    process.exit(1);
  }
}

/**
 * The config's handler steps name files relative to the config file; the stack bundles them by absolute
 * path. A missing file is the user's to fix too, so it is reported by its field, before any bundling.
 */
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
  if (missing.length > 0) {
    console.error(`${file} is invalid:\n  ${missing.join('\n  ')}`);
    process.exit(1);
  }
  return { ...config, pipelines };
}

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
new SyncEventsStack(
  app,
  (app.node.tryGetContext('stackName') as string | undefined) ?? 'AirweaveSyncEvents',
  {
    config: resolveHandlers(loadConfig(configPath), configPath),
    description: 'Airweave sync events: webhook ingress, freshness and audit record',
    // Environment-agnostic unless the CLI resolved an account and region (it does on deploy with credentials).
    env: account && region ? { account, region } : undefined,
  },
);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
