import { claims, failureAlertStandoff, type Claimant, type Standoff } from '../../core/claims';
import type { FreshnessRecord } from '../../core/freshness';
import { toFreshnessRecord } from '../../core/freshness-record';
import type { AlertLedger, EpisodeKind } from '../../core/ports';
import { keys } from '../../core/table-schema';
import type { ItemTable } from './item-table';

/** The alert ledger: the claims of `core/claims.ts` on the job (failure alerts) and the source (episodes). */
export class TableAlertLedger implements AlertLedger {
  constructor(private readonly table: ItemTable) {}

  async claimFailureAlert(
    jobId: string,
    claimant: Claimant,
    now: string,
  ): Promise<{ alreadyAlerted: string[] } | Standoff> {
    const item = await this.table.apply(claims.failureAlert(jobId, claimant, now));
    // Not taken (the rare path): one read says whether this attempt must be retried.
    if (!item) return failureAlertStandoff(await this.table.get(keys.job(jobId)), claimant.message);
    const alerted = item.alerted_teams;
    return { alreadyAlerted: alerted instanceof Set ? [...(alerted as Set<string>)] : [] };
  }

  async settleFailureAlert(
    jobId: string,
    claimant: Claimant,
    alerted: readonly string[],
    complete: boolean,
    now: string,
  ): Promise<void> {
    // A failed condition: the claim expired and another delivery took over; it will settle the alert.
    await this.table.apply(claims.settleFailureAlert(jobId, claimant, alerted, complete, now));
  }

  async sourceRecord(collection: string, source: string): Promise<FreshnessRecord | undefined> {
    const item = await this.table.get(keys.freshness(collection, source));
    return item ? toFreshnessRecord(item) : undefined;
  }

  async openEpisode(
    collection: string,
    source: string,
    kind: EpisodeKind,
    episode: string,
  ): Promise<boolean> {
    return (await this.table.apply(claims.openEpisode(collection, source, kind, episode))) !== undefined;
  }

  async closeEpisode(
    collection: string,
    source: string,
    kind: EpisodeKind,
    episode: string,
  ): Promise<boolean> {
    return (await this.table.apply(claims.closeEpisode(collection, source, kind, episode))) !== undefined;
  }
}
