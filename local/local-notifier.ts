import { createWriteStream, type WriteStream } from 'node:fs';
import type { Alert } from '../lambda/core/alerts';
import type { SyncEvent } from '../lambda/core/events';
import type { Notifier } from '../lambda/core/ports';
import { alertMessage, eventMessage } from '../lambda/core/outbound';

/**
 * Local mode's stand-in for the SNS topics: each message goes to the console and, as one JSON line, to a
 * file, so what a subscriber would have received can be read back (`notifications.jsonl`). One append
 * stream for the file's lifetime: opening the file per message would queue behind the engine's disk I/O
 * in libuv's thread pool under load.
 */
export class LocalNotifier implements Notifier {
  private stream: WriteStream | undefined;

  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void = console.log,
  ) {}

  async publishEvent(event: SyncEvent): Promise<void> {
    // The same message SNS would get: built to its rules (`core/outbound.ts`).
    const built = eventMessage(event);
    await this.write({ channel: 'events', attributes: built.attributes, message: JSON.parse(built.message) });
    this.print(
      `event  ${event.event_type.padEnd(16)} ${event.collection_readable_id} / ${event.source_type} job ${event.sync_job_id}`,
    );
  }

  async publishAlert(team: string, alert: Alert): Promise<void> {
    const built = alertMessage(alert);
    await this.write({
      channel: 'alert',
      team,
      subject: built.subject,
      kind: alert.kind,
      alert_id: alert.alert_id,
      attributes: built.attributes,
      message: JSON.parse(built.message),
    });
    this.print(`ALERT  [${team}] ${built.subject}`);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    return new Promise((resolve) => (stream ? stream.end(resolve) : resolve()));
  }

  private write(record: Record<string, unknown>): Promise<void> {
    this.stream ??= createWriteStream(this.file, { flags: 'a' });
    const line = `${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`;
    // Resolves once the line is handed to the OS, so a publish that "succeeded" is in the file.
    return new Promise((resolve, reject) =>
      (this.stream as WriteStream).write(line, (error) => (error ? reject(error) : resolve())),
    );
  }
}
