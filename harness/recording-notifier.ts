import type { Alert } from '../lambda/core/alerts';
import type { SyncEvent } from '../lambda/core/events';
import type { Notifier } from '../lambda/core/ports';

/**
 * Stands in for SNS, which has no local engine: records what would be published, and can be told to
 * fail, the way a throttled or unreachable topic would.
 */
export class RecordingNotifier implements Notifier {
  readonly events: SyncEvent[] = [];
  readonly alerts: Array<{ team: string; alert: Alert }> = [];
  /** Publishing to these teams (or 'events') throws until cleared. */
  readonly failing = new Set<string>();
  /** Alert publishes waiting on `hold` (an attempt caught mid-publish). */
  held = 0;
  private gate: Promise<void> | undefined;

  /** Makes alert publishes wait until the returned function is called. */
  hold(): () => void {
    let release = () => {};
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** The publishes waiting on `hold` never finish (their attempt died); later ones go through. */
  abandonHeld(): void {
    this.gate = undefined;
  }

  async publishEvent(event: SyncEvent): Promise<void> {
    await Promise.resolve();
    if (this.failing.has('events'))
      throw Object.assign(new Error('events topic unavailable'), { name: 'ThrottledException' });
    this.events.push(event);
  }

  async publishAlert(team: string, alert: Alert): Promise<void> {
    await Promise.resolve();
    if (this.gate) {
      this.held++;
      await this.gate;
      this.held--;
    }
    if (this.failing.has(team))
      throw Object.assign(new Error(`topic of ${team} unavailable`), { name: 'ThrottledException' });
    this.alerts.push({ team, alert });
  }

  alertsOf(kind: Alert['kind']): Array<{ team: string; alert: Alert }> {
    return this.alerts.filter((a) => a.alert.kind === kind);
  }
}
