import {
  applyRule,
  CLAIM_TTL_MS,
  claims,
  failureAlertStandoff,
  pipelineBlockStandoff,
} from '../lambda/core/claims';
import type { Item } from '../lambda/core/conditions';

/** The once-only rules as executable specs (core/claims.ts): which write takes a claim, and what it leaves. */
const NOW = '2026-04-23T13:00:00.000Z';
const ms = (offset: number) => new Date(Date.parse(NOW) + offset).toISOString();
const first = { message: 'msg_1', attempt: 'a1' };
const retry = { message: 'msg_1', attempt: 'a2' };
const JOB_KEY = { pk: 'JOB#j1', sk: 'JOB' };

describe('failure alert claim', () => {
  const failed: Item = { ...JOB_KEY, state: 'failed' };

  it('is taken on a failed job with no alert sent and no claim, recording the attempt, message and time', () => {
    expect(CLAIM_TTL_MS).toBe(60_000);
    expect(applyRule(failed, claims.failureAlert('j1', first, NOW))).toEqual({
      ...failed,
      alert_claim: 'a1',
      alert_claim_message: 'msg_1',
      alert_claim_at: NOW,
    });
  });

  it('is refused on a job not failed, already alerted, or held by a live claim', () => {
    expect(
      applyRule({ ...JOB_KEY, state: 'completed' }, claims.failureAlert('j1', first, NOW)),
    ).toBeUndefined();
    expect(applyRule(undefined, claims.failureAlert('j1', first, NOW))).toBeUndefined();
    expect(
      applyRule({ ...failed, alert_sent_at: NOW }, claims.failureAlert('j1', first, NOW)),
    ).toBeUndefined();
    const held = applyRule(failed, claims.failureAlert('j1', first, NOW))!;
    expect(applyRule(held, claims.failureAlert('j1', retry, ms(CLAIM_TTL_MS)))).toBeUndefined();
  });

  it('is taken over once the holder is older than the claim TTL (it died)', () => {
    const held = applyRule(failed, claims.failureAlert('j1', first, NOW))!;
    expect(applyRule(held, claims.failureAlert('j1', retry, ms(CLAIM_TTL_MS + 1)))).toMatchObject({
      alert_claim: 'a2',
      alert_claim_at: ms(CLAIM_TTL_MS + 1),
    });
  });

  it('settling by the holder records the teams, marks it sent when complete, and releases the claim', () => {
    const held = applyRule(failed, claims.failureAlert('j1', first, NOW))!;
    expect(applyRule(held, claims.settleFailureAlert('j1', first, ['eng', 'ops'], true, ms(5)))).toEqual({
      ...failed,
      alert_sent_at: ms(5),
      alerted_teams: new Set(['eng', 'ops']),
    });
    expect(applyRule(held, claims.settleFailureAlert('j1', first, ['eng'], false, ms(5)))).toEqual({
      ...failed,
      alerted_teams: new Set(['eng']),
    });
    expect(applyRule(held, claims.settleFailureAlert('j1', first, [], false, ms(5)))).toEqual(failed);
    expect(applyRule(held, claims.settleFailureAlert('j1', retry, ['eng'], true, ms(5)))).toBeUndefined();
  });

  it("an attempt meeting its own message's unsettled claim is busy; anything else is done", () => {
    const held = applyRule(failed, claims.failureAlert('j1', first, NOW))!;
    expect(failureAlertStandoff(held, 'msg_1')).toBe('busy');
    expect(failureAlertStandoff(held, 'msg_2')).toBe('done');
    expect(failureAlertStandoff({ ...held, alert_sent_at: NOW }, 'msg_1')).toBe('done');
    expect(failureAlertStandoff({ ...held, state: 'completed' }, 'msg_1')).toBe('done');
    expect(failureAlertStandoff(undefined, 'msg_1')).toBe('done');
  });
});

describe('watchdog episodes', () => {
  const source: Item = { pk: 'COLL#c', sk: 'SRC#s' };

  it('open on an existing source unless that same episode is open, and close only the episode given', () => {
    const opened = applyRule(source, claims.openEpisode('c', 's', 'stale', 'e1'));
    expect(opened).toEqual({ ...source, stale_episode: 'e1' });
    expect(applyRule(opened, claims.openEpisode('c', 's', 'stale', 'e1'))).toBeUndefined();
    expect(applyRule(opened, claims.openEpisode('c', 's', 'stale', 'e2'))).toEqual({
      ...source,
      stale_episode: 'e2',
    });
    expect(applyRule(opened, claims.openEpisode('c', 's', 'stuck', 'e1'))).toEqual({
      ...source,
      stale_episode: 'e1',
      stuck_episode: 'e1',
    });
    expect(applyRule(undefined, claims.openEpisode('c', 's', 'stale', 'e1'))).toBeUndefined();
    expect(applyRule(opened, claims.closeEpisode('c', 's', 'stale', 'e2'))).toBeUndefined();
    expect(applyRule(opened, claims.closeEpisode('c', 's', 'stale', 'e1'))).toEqual(source);
  });
});

describe('pipeline gate claims', () => {
  const spec = { name: 'analysis', collection: 'c' };
  const GATE = { pk: 'PIPELINE#analysis', sk: 'GATE' };
  const run = (version: number) =>
    claims.pipelineRun(spec, version, {
      executionName: 'x1',
      input: '{}',
      consumed: { s: { job: 'j' } } as never,
      now: NOW,
    });

  it('a run is claimed at the expected version only (0: no gate yet), and bumps it', () => {
    const started = applyRule(undefined, run(0));
    expect(started).toEqual({
      ...GATE,
      version: 1,
      consumed: { s: { job: 'j' } },
      last_started_at: NOW,
      execution_name: 'x1',
      execution_input: '{}',
      pipeline: 'analysis',
      collection_readable_id: 'c',
      entity: 'pipeline',
    });
    expect(applyRule(started, run(0))).toBeUndefined();
    expect(applyRule(started, run(2))).toBeUndefined();
    expect(applyRule(started, run(1))).toMatchObject({ version: 2 });
    expect(applyRule(started, claims.confirmPipelineRun('analysis', 'x1'))).toMatchObject({
      confirmed_execution: 'x1',
      version: 1,
    });
    expect(applyRule(undefined, claims.confirmPipelineRun('analysis', 'x1'))).toEqual({
      ...GATE,
      confirmed_execution: 'x1',
    });
  });

  it('a block is taken by a new job, or by the same job once its unconfirmed claim expired', () => {
    const blocked = applyRule(undefined, claims.blockPipeline(spec, 'j1', first, NOW));
    expect(blocked).toEqual({
      ...GATE,
      blocked_by: 'j1',
      blocked_message: 'msg_1',
      blocked_at: NOW,
      pipeline: 'analysis',
      collection_readable_id: 'c',
      entity: 'pipeline',
    });
    expect(applyRule(blocked, claims.blockPipeline(spec, 'j2', retry, NOW))).toMatchObject({
      blocked_by: 'j2',
    });
    expect(applyRule(blocked, claims.blockPipeline(spec, 'j1', retry, ms(CLAIM_TTL_MS)))).toBeUndefined();
    expect(applyRule(blocked, claims.blockPipeline(spec, 'j1', retry, ms(CLAIM_TTL_MS + 1)))).toMatchObject({
      blocked_message: 'msg_1',
      blocked_at: ms(CLAIM_TTL_MS + 1),
    });
    const alerted = applyRule(blocked, claims.confirmPipelineBlocked('analysis', 'j1'));
    expect(alerted).toMatchObject({ blocked_alerted: 'j1' });
    expect(applyRule(blocked, claims.confirmPipelineBlocked('analysis', 'j2'))).toBeUndefined();
    expect(applyRule(alerted, claims.blockPipeline(spec, 'j1', retry, ms(CLAIM_TTL_MS + 1)))).toBeUndefined();
    expect(
      applyRule(
        { ...alerted, blocked_alerted: 'j0' },
        claims.blockPipeline(spec, 'j1', retry, ms(CLAIM_TTL_MS + 1)),
      ),
    ).toBeDefined();
  });

  it('only the blocking job unblocks', () => {
    const blocked = applyRule(undefined, claims.blockPipeline(spec, 'j1', first, NOW))!;
    expect(applyRule(blocked, claims.unblockPipeline('analysis', 'j2'))).toBeUndefined();
    expect(applyRule(blocked, claims.unblockPipeline('analysis', 'j1'))).not.toHaveProperty('blocked_by');
  });

  it('a block held for this job by its own message, alert unconfirmed, is busy; anything else is done', () => {
    const gate: Item = { blocked_by: 'j1', blocked_message: 'msg_1' };
    expect(pipelineBlockStandoff(gate, 'j1', 'msg_1')).toBe('busy');
    expect(pipelineBlockStandoff(gate, 'j1', 'msg_2')).toBe('done');
    expect(pipelineBlockStandoff(gate, 'j2', 'msg_1')).toBe('done');
    expect(pipelineBlockStandoff({ ...gate, blocked_alerted: 'j1' }, 'j1', 'msg_1')).toBe('done');
    expect(pipelineBlockStandoff({ ...gate, blocked_alerted: 'j0' }, 'j1', 'msg_1')).toBe('busy');
    expect(pipelineBlockStandoff(undefined, 'j1', 'msg_1')).toBe('done');
  });
});
