import {
  DEFAULT_TEAM,
  failureAlert,
  recoveredAlert,
  staleAlert,
  stuckAlert,
  subjectLine,
} from '../lambda/core/alerts';
import type { SourceFreshness } from '../lambda/core/freshness';
import { alertId } from '../lambda/core/outbound';
import { syncEvent } from './helpers/core-fixtures';

/** Each alert's kind, stable id, subject and body (core/alerts.ts): what subscribers filter and read. */
const source = { collection_readable_id: 'docs', source_type: 'github', source_key: 'conn-1' };
const freshness = (lastSuccess: string | null) => ({ last_success_at: lastSuccess }) as SourceFreshness;

describe('alerts', () => {
  it('unmatched alerts go to the "default" team', () => {
    expect(DEFAULT_TEAM).toBe('default');
  });

  it('a failure alert carries the event and the freshness it left, under an id made of the job', () => {
    const event = syncEvent({ event_type: 'sync.failed', error: 'token\nexpired' });
    const left = freshness('2026-04-23T10:00:00.000000Z');
    expect(failureAlert(event, left)).toEqual({
      kind: 'sync.failed',
      alert_id: alertId('sync.failed', event.sync_job_id),
      subject: `Sync failed: ${event.collection_readable_id} / ${event.source_type}: token expired`,
      collection_readable_id: event.collection_readable_id,
      source_type: event.source_type,
      body: { kind: 'sync.failed', event, freshness: left },
    });
    expect(failureAlert(event, null).body).toEqual({ kind: 'sync.failed', event, freshness: null });
  });

  it('a stale alert says when the source last succeeded, or that it never did, under an id of the source and episode', () => {
    const left = freshness('2026-04-23T10:00:00.000000Z');
    expect(staleAlert(source, left, 'e1')).toEqual({
      kind: 'source.stale',
      alert_id: alertId('source.stale', 'docs', 'conn-1', 'e1'),
      subject: 'Stale source: docs / github (last success 2026-04-23T10:00:00.000000Z)',
      collection_readable_id: 'docs',
      source_type: 'github',
      body: { kind: 'source.stale', collection_readable_id: 'docs', freshness: left },
    });
    expect(staleAlert({ ...source, source_type: '' }, freshness(null), 'e1').subject).toBe(
      'Stale source: docs / unknown source (never synced)',
    );
    expect(staleAlert(source, left, 'e2').alert_id).not.toBe(staleAlert(source, left, 'e1').alert_id);
  });

  it('a stuck alert says since when the job is active, under an id of the source and job', () => {
    const left = freshness(null);
    expect(stuckAlert(source, left, '2026-04-23T09:00:00.000000Z', 'j7')).toEqual({
      kind: 'job.stuck',
      alert_id: alertId('job.stuck', 'docs', 'conn-1', 'j7'),
      subject: 'Stuck sync job: docs / github active since 2026-04-23T09:00:00.000000Z',
      collection_readable_id: 'docs',
      source_type: 'github',
      body: {
        kind: 'job.stuck',
        collection_readable_id: 'docs',
        active_since: '2026-04-23T09:00:00.000000Z',
        freshness: left,
      },
    });
  });

  it('a recovery alert says the source is fresh again, under an id of the source and the episode it ends', () => {
    const left = freshness('2026-04-23T13:00:00.000000Z');
    expect(recoveredAlert(source, left, 'e1')).toEqual({
      kind: 'source.recovered',
      alert_id: alertId('source.recovered', 'docs', 'conn-1', 'e1'),
      subject: 'Recovered: docs / github is fresh again',
      collection_readable_id: 'docs',
      source_type: 'github',
      body: { kind: 'source.recovered', collection_readable_id: 'docs', freshness: left },
    });
  });

  it('a subject line is what SNS accepts: one line, no control characters, never empty', () => {
    expect(subjectLine('a\r\nb\u001b[31m c')).toBe('a b c');
    expect(subjectLine('   ')).toBe('Airweave sync notification');
  });
});
