import { ConfigError, parseConfig, runtimeSettings } from '../lambda/core/config';
import { SettingError } from '../lambda/core/errors';
import { AIRWEAVE_DEFAULTS, parseRuntimeSettings, WATCHDOG_DEFAULTS } from '../lambda/core/settings';

/** The app config and the runtime settings the stack derives from it (core/config.ts, core/settings.ts). */
const problem = (document: unknown, source?: string) => {
  try {
    parseConfig(document, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return 'valid';
};
const pipeline = { name: 'p', collection: 'c', requires: ['github'], window: '30m' };

describe('app config', () => {
  it('an empty document gets every default, durations in seconds', () => {
    expect(parseConfig({})).toEqual({
      retentionDays: 400,
      freshness: [],
      alerts: [],
      pipelines: [],
      watchdog: { every: 300, stuckAfter: 21600 },
      defaultAlerts: { emails: [] },
      operations: { emails: [] },
      airweave: { apiUrl: 'https://api.airweave.ai', reconcile: { every: 900, jobs: 5 } },
    });
    expect(WATCHDOG_DEFAULTS).toEqual({ every: 300, stuckAfter: 21600 });
    expect(AIRWEAVE_DEFAULTS).toEqual({
      apiUrl: 'https://api.airweave.ai',
      reconcile: { every: 900, jobs: 5 },
    });
  });

  it('lists every bad field on its own line under the source it came from', () => {
    expect(
      problem({ retentionDays: 0, freshness: [{ collection: '*', maxAge: 'soon' }] }, 'app.json'),
    ).toMatch(
      /^app\.json is invalid:\n {2}retentionDays: .*\n {2}freshness\[0\]\.maxAge: expected a duration such as 90s, 30m, 6h or 2d$/,
    );
    expect(problem([])).toBe('config is invalid:\n  (root): Invalid input: expected object, received array');
  });

  it('a collection pattern may end in *, nowhere else; a pipeline names one collection', () => {
    expect(problem({ freshness: [{ collection: 'eng-*', maxAge: '1h' }] })).toBe('valid');
    expect(problem({ freshness: [{ collection: '*', maxAge: '1h' }] })).toBe('valid');
    expect(problem({ freshness: [{ collection: '*x', maxAge: '1h' }] })).toContain(
      'freshness[0].collection: only a trailing * is allowed in a collection pattern',
    );
    expect(problem({ alerts: [{ team: 'ops', match: { collections: ['a*b'] } }] })).toContain(
      'alerts[0].match.collections[0]: only a trailing *',
    );
    expect(problem({ pipelines: [{ ...pipeline, collection: 'c*' }] })).toContain(
      'pipelines[0].collection: a pipeline names one collection, not a pattern',
    );
    expect(problem({ pipelines: [{ ...pipeline, collection: '*c' }] })).toContain('pipelines[0].collection');
  });

  it('team and pipeline names are lower-case letters, digits and dashes, up to 64', () => {
    expect(problem({ alerts: [{ team: 'data-eng-2' }] })).toBe('valid');
    expect(problem({ alerts: [{ team: 'a'.repeat(64) }] })).toBe('valid');
    for (const team of ['Ops', '-ops', 'a'.repeat(65), 'o_p', ''])
      expect(problem({ alerts: [{ team }] })).toContain(
        'alerts[0].team: expected lower-case letters, digits and dashes',
      );
  });

  it('a team is declared once, and "default" is taken by the unmatched alerts', () => {
    expect(problem({ alerts: [{ team: 'ops' }, { team: 'eng' }, { team: 'ops' }] })).toBe(
      'config is invalid:\n  alerts[2].team: team "ops" is taken',
    );
    expect(problem({ alerts: [{ team: 'default' }] })).toBe(
      'config is invalid:\n  alerts[0].team: team "default" is taken',
    );
  });

  it('a pipeline is declared once, and its team must be an alert team', () => {
    expect(problem({ pipelines: [pipeline, { ...pipeline, collection: 'd' }] })).toBe(
      'config is invalid:\n  pipelines[1].name: pipeline "p" is declared twice',
    );
    expect(problem({ pipelines: [{ ...pipeline, team: 'ops' }] })).toBe(
      'config is invalid:\n  pipelines[0].team: no alert team "ops"',
    );
    expect(problem({ alerts: [{ team: 'ops' }], pipelines: [{ ...pipeline, team: 'ops' }] })).toBe('valid');
  });

  it('a step is a Lambda or state machine ARN of any partition, or a .ts/.js handler file', () => {
    const steps = (s: unknown[]) => problem({ pipelines: [{ ...pipeline, steps: s }] });
    expect(
      steps([
        { lambda: 'arn:aws:lambda:eu-west-1:123:function:f' },
        { lambda: 'arn:aws-cn:lambda:cn-north-1:123:function:f' },
        { stateMachine: 'arn:aws:states:eu-west-1:123:stateMachine:s' },
        { handler: 'steps/a.ts' },
        { handler: 'steps/b.js' },
      ]),
    ).toBe('valid');
    expect(steps([{ lambda: 'arn:aws:states:eu-west-1:123:stateMachine:s' }])).toContain(
      'pipelines[0].steps[0]',
    );
    expect(steps([{ handler: 'steps/a.tsx' }])).toContain('pipelines[0].steps[0]');
  });

  it('the airweave API URL must be http or https; reconcile.jobs 1 to 1000', () => {
    expect(parseConfig({ airweave: { apiUrl: 'http://localhost:8001' } }).airweave.apiUrl).toBe(
      'http://localhost:8001',
    );
    expect(problem({ airweave: { apiUrl: 'ftp://x' } })).toContain(
      'airweave.apiUrl: expected the API base URL, such as https://api.airweave.ai',
    );
    expect(parseConfig({ airweave: { reconcile: { jobs: 1000 } } }).airweave.reconcile).toEqual({
      every: 900,
      jobs: 1000,
    });
    expect(problem({ airweave: { reconcile: { jobs: 1001 } } })).toContain('airweave.reconcile.jobs');
  });

  it('the runtime settings keep what the functions need: routing without emails, pipelines without steps', () => {
    const config = parseConfig({
      retentionDays: 30,
      freshness: [{ collection: '*', maxAge: '6h' }],
      alerts: [{ team: 'ops', match: { sourceTypes: ['github'] }, emails: ['ops@example.com'] }],
      pipelines: [
        { ...pipeline, cooldown: '90s', team: 'ops', steps: [{ handler: 'a.ts' }] },
        { ...pipeline, name: 'q' },
      ],
    });
    expect(runtimeSettings(config)).toEqual({
      retentionDays: 30,
      freshness: [{ collection: '*', maxAge: 21600 }],
      alerts: [{ team: 'ops', match: { sourceTypes: ['github'] } }],
      watchdog: { every: 300, stuckAfter: 21600 },
      airweave: { apiUrl: 'https://api.airweave.ai', reconcile: { every: 900, jobs: 5 } },
      pipelines: [
        { name: 'p', collection: 'c', requires: ['github'], window: 1800, cooldown: 90, team: 'ops' },
        { name: 'q', collection: 'c', requires: ['github'], window: 1800 },
      ],
    });
    expect(Object.keys(runtimeSettings(config).pipelines[1]!)).toEqual([
      'name',
      'collection',
      'requires',
      'window',
    ]);
    // What the stack writes, the functions read back unchanged.
    expect(parseRuntimeSettings(JSON.stringify(runtimeSettings(config)), 'SETTINGS')).toEqual(
      runtimeSettings(config),
    );
  });
});

describe('runtime settings', () => {
  const valid = runtimeSettings(parseConfig({ pipelines: [pipeline] }));
  const refusal = (value: unknown) => {
    try {
      parseRuntimeSettings(typeof value === 'string' ? value : JSON.stringify(value), 'SETTINGS');
    } catch (error) {
      expect(error).toBeInstanceOf(SettingError);
      return (error as Error).message;
    }
    return 'valid';
  };

  it('name the variable and the first bad field by its path', () => {
    expect(refusal(valid)).toBe('valid');
    expect(refusal('{')).toBe('environment variable SETTINGS is not JSON');
    expect(refusal({ ...valid, pipelines: [{ ...valid.pipelines[0], window: 0 }] })).toMatch(
      /^environment variable SETTINGS has no valid pipelines\[0\]\.window: /,
    );
    expect(refusal({ ...valid, watchdog: { every: 300 } })).toMatch(
      /^environment variable SETTINGS has no valid watchdog\.stuckAfter: /,
    );
    expect(refusal({ ...valid, retentionDays: 1.5 })).toMatch(/has no valid retentionDays: /);
    expect(refusal(null)).toMatch(
      /^environment variable SETTINGS has no valid value: Invalid input: expected object, received null$/,
    );
  });

  it('airweave may be left out; when given, its fields are checked', () => {
    const withoutAirweave = { ...valid, airweave: undefined };
    expect(refusal(withoutAirweave)).toBe('valid');
    expect(refusal({ ...valid, airweave: { apiUrl: '', reconcile: { every: 900, jobs: 5 } } })).toMatch(
      /airweave\.apiUrl: /,
    );
    expect(refusal({ ...valid, airweave: { apiUrl: 'x', reconcile: { every: 900, jobs: 0 } } })).toMatch(
      /airweave\.reconcile\.jobs: /,
    );
  });
});
