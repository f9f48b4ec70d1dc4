#!/usr/bin/env node
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type AppConfig, ConfigError } from '../lambda/core/config';
import { SyncEventsStack } from '../lib/sync-events-stack';
import { readConfigFile } from './config-file';

// The only place that reads files, context or the environment: everything below gets typed props.
const repoRoot = path.join(__dirname, '..');
const app = new App();

const configPath = path.resolve(
  repoRoot,
  process.env.SYNC_EVENTS_CONFIG ??
    (app.node.tryGetContext('config') as string | undefined) ??
    'config/default.json',
);

function loadConfig(file: string): AppConfig {
  try {
    return readConfigFile(file);
  } catch (error) {
    // A bad config is the user's to fix: print what is wrong without a stack trace.
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
new SyncEventsStack(
  app,
  (app.node.tryGetContext('stackName') as string | undefined) ?? 'AirweaveSyncEvents',
  {
    config: loadConfig(configPath),
    description: 'Airweave sync events: webhook ingress, freshness and audit record',
    // Environment-agnostic unless the CLI resolved an account and region (it does on deploy with credentials).
    env: account && region ? { account, region } : undefined,
  },
);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
