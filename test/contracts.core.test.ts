import * as z from 'zod/mini';
import { formatAge, formatDuration, parseDuration } from '../lambda/core/duration';
import { matchesPattern } from '../lambda/core/patterns';
import {
  alertTopicOutput,
  isQueryPath,
  pascalCase,
  QUERY_ROUTES,
  ROUTES,
  STACK_OUTPUTS,
} from '../lambda/core/stack-contract';
import '../lambda/core/zod';

describe('the stack contract: routes and output keys clients depend on', () => {
  it('serves the documented routes, the query function three of them', () => {
    expect(ROUTES).toEqual({
      webhook: '/webhooks/airweave',
      freshness: '/freshness',
      collectionFreshness: '/freshness/{collection_readable_id}',
      pipelines: '/pipelines',
    });
    expect(QUERY_ROUTES).toEqual(['/freshness', '/freshness/{collection_readable_id}', '/pipelines']);
  });

  it('names the outputs the CLI reads by their documented keys', () => {
    expect(STACK_OUTPUTS).toEqual({
      webhookUrl: 'WebhookUrl',
      apiUrl: 'ApiUrl',
      tableName: 'TableName',
      secretArn: 'SecretArn',
      eventsTopicArn: 'EventsTopicArn',
      alertTopicArns: 'AlertTopicArns',
      pipelineStateMachineArns: 'PipelineStateMachineArns',
      operationsTopicArn: 'OperationsTopicArn',
      airweaveApiKeySecretArn: 'AirweaveApiKeySecretArn',
    });
  });

  it('routes /freshness, /freshness/<id> and /pipelines to the query function, nothing else', () => {
    expect(['/freshness', '/freshness/c1', '/pipelines'].map(isQueryPath)).toEqual([true, true, true]);
    expect(
      ['/freshnessx', '/freshness-at', '/pipelines/p', '/webhooks/airweave', '/', '/x/freshness'].map(
        isQueryPath,
      ),
    ).toEqual([false, false, false, false, false, false]);
  });

  it('derives PascalCase ids from config names, splitting on every non-alphanumeric run', () => {
    expect(pascalCase('error-analysis')).toBe('ErrorAnalysis');
    expect(pascalCase('--a__b c9--')).toBe('ABC9');
    expect(pascalCase('already')).toBe('Already');
    expect(pascalCase('')).toBe('');
    expect(alertTopicOutput('platform')).toBe('AlertTopicArnPlatform');
    expect(alertTopicOutput('data-eng')).toBe('AlertTopicArnDataEng');
  });
});

describe('durations', () => {
  it('parse only a whole positive number and one of s, m, h, d, nothing around it', () => {
    expect(['1s', '90s', '2m', '3h', '4d'].map(parseDuration)).toEqual([1, 90, 120, 10800, 345600]);
    expect(
      ['0s', '', 's', '5', '5 m', ' 5m', '5m ', '1.5h', '-1m', '5M', 'x5m', '5mm'].map(parseDuration),
    ).toEqual(Array(12).fill(undefined));
  });

  it('format seconds in the largest unit that divides them, seconds otherwise', () => {
    expect([86400, 172800, 3600, 7200, 60, 120, 59, 61, 3660, 90000].map(formatDuration)).toEqual([
      '1d',
      '2d',
      '1h',
      '2h',
      '1m',
      '2m',
      '59s',
      '61s',
      '61m',
      '25h',
    ]);
  });

  it('read an age in s below a minute, min below an hour, h below two days, d after', () => {
    expect([-5, 0, 0.4, 59, 59.4].map(formatAge)).toEqual(['0 s', '0 s', '0 s', '59 s', '59 s']);
    expect([60, 90, 3599].map(formatAge)).toEqual(['1 min', '2 min', '60 min']);
    expect([3600, 5400, 172799].map(formatAge)).toEqual(['1 h', '2 h', '48 h']);
    expect([172800, 216000, 86400 * 10].map(formatAge)).toEqual(['2 d', '3 d', '10 d']);
  });
});

describe('collection patterns', () => {
  it('an exact id matches only itself; a trailing * matches the prefix', () => {
    expect(matchesPattern('docs', 'docs')).toBe(true);
    expect(matchesPattern('docs', 'docs-2')).toBe(false);
    expect(matchesPattern('docs', 'doc')).toBe(false);
    expect(matchesPattern('docs-*', 'docs-2')).toBe(true);
    expect(matchesPattern('docs-*', 'docs-')).toBe(true);
    expect(matchesPattern('docs-*', 'docs')).toBe(false);
    expect(matchesPattern('docs-*', 'my-docs-2')).toBe(false);
    expect(matchesPattern('*', 'anything')).toBe(true);
    expect(matchesPattern('*docs', 'my-docs')).toBe(false);
    expect(matchesPattern('*docs', '*docs')).toBe(true);
  });
});

describe('zod messages', () => {
  it('say what was expected once the core configures them (zod/mini alone says "Invalid input")', () => {
    const result = z.object({ id: z.string() }).safeParse({ id: 42 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/expected string, received number/i);
  });
});
