import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isLifecycleEventType } from '../../lambda/core/job-state';
import { signedHeaders } from '../../lambda/core/signature';
import { LOCAL } from '../../local/defaults';
import { CliError, explain, UsageError } from '../errors';
import { line, paint, status } from '../format';
import { type AwsOptions, dataDir, localWebhookUrl, signingSecret, stackOutputs } from '../target';

export interface SendOptions {
  readonly url?: string;
  readonly local?: boolean;
  readonly stack?: string;
  readonly aws?: AwsOptions;
  readonly secret?: string;
  readonly type?: string;
  readonly collection?: string;
  readonly sourceType?: string;
  readonly sourceConnectionId?: string;
  readonly job?: string;
  readonly error?: string;
  readonly legacy?: boolean;
  readonly id?: string;
  readonly resend?: boolean;
  readonly timestamp?: string;
  readonly json?: boolean;
}

interface Sent {
  readonly url: string;
  readonly id: string;
  readonly body: string;
}

/** A stable UUID-shaped id from a name, so repeated sends for one collection and source hit one source. */
export function stableId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The payload Airweave would send, current or legacy, for one lifecycle event of one source. */
export function buildPayload(options: SendOptions, now: Date): Record<string, unknown> {
  const type = options.type ?? 'sync.completed';
  if (!isLifecycleEventType(type) && !type.includes('.'))
    throw new UsageError(`--type must be an event type such as sync.completed, got "${type}"`);
  const collection = options.collection ?? 'engineering-context-ab123';
  const sourceType = options.sourceType ?? 'github';
  const timestamp = options.timestamp ?? `${now.toISOString().slice(0, 23)}000Z`;
  if (Number.isNaN(Date.parse(timestamp)))
    throw new UsageError(`--timestamp must be an ISO-8601 time, got "${timestamp}"`);
  const job = options.job ?? randomUUID();
  const sourceConnectionId = options.sourceConnectionId ?? stableId(`source:${collection}:${sourceType}`);
  const error = type === 'sync.failed' ? (options.error ?? 'sync failed (sent by sync-events send)') : null;
  if (options.legacy)
    return {
      event_type: type,
      job_id: job,
      collection_readable_id: collection,
      collection_name: collection,
      source_connection_id: sourceConnectionId,
      source_type: sourceType,
      status: type.split('.')[1],
      timestamp,
      ...(error !== null && { error }),
    };
  return {
    event_type: type,
    timestamp,
    organization_id: stableId('organization:local'),
    sync_id: stableId(`sync:${collection}:${sourceType}`),
    sync_job_id: job,
    collection_id: stableId(`collection:${collection}`),
    source_connection_id: sourceConnectionId,
    source_type: sourceType,
    collection_name: collection,
    collection_readable_id: collection,
    entities_inserted: 0,
    entities_updated: 0,
    entities_deleted: 0,
    entities_skipped: 0,
    chunks_written: 0,
    error,
  };
}

async function webhookUrl(options: SendOptions): Promise<string> {
  if (options.url) return options.url;
  if (options.local) return localWebhookUrl();
  if (options.stack) {
    const url = (await stackOutputs(options.stack, options.aws)).WebhookUrl;
    if (!url) throw new CliError(`stack ${options.stack} has no WebhookUrl output`);
    return url;
  }
  throw new UsageError('say where to send: --local, --stack NAME or --endpoint URL');
}

/**
 * Signs and posts one delivery exactly as Svix does (`svix-id`, `svix-timestamp`, `svix-signature` over
 * the raw body). `--resend` posts the last delivery again with its svix-id, as a Svix retry would.
 */
export async function send(options: SendOptions, print: (line: string) => void): Promise<number> {
  const lastFile = path.join(dataDir(), LOCAL.lastSendFile);
  let delivery: Sent;
  if (options.resend) {
    if (!existsSync(lastFile)) throw new CliError('nothing to resend: send an event first');
    delivery = JSON.parse(readFileSync(lastFile, 'utf8')) as Sent;
  } else {
    const body = JSON.stringify(buildPayload(options, new Date()));
    delivery = {
      url: await webhookUrl(options),
      id: options.id ?? `msg_${randomUUID().replace(/-/g, '')}`,
      body,
    };
  }
  const local = options.local === true || delivery.url.startsWith(`http://${LOCAL.host}`);
  const secret = signingSecret(options.secret, local);
  let headers: Record<string, string>;
  try {
    headers = signedHeaders(secret, delivery.id, Math.floor(Date.now() / 1000), delivery.body);
  } catch (error) {
    throw new CliError(`the signing secret is not usable: ${(error as Error).message}`);
  }

  let response: Response;
  try {
    response = await fetch(delivery.url, {
      method: 'POST',
      headers,
      body: delivery.body,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw explain(error, delivery.url, local);
  }
  const text = await response.text();
  mkdirSync(path.dirname(lastFile), { recursive: true });
  writeFileSync(lastFile, JSON.stringify(delivery));

  let answer: { result?: string; error?: string } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    answer = { error: text.slice(0, 200) };
  }
  if (options.json) {
    print(
      JSON.stringify({
        status: response.status,
        ...answer,
        svix_id: delivery.id,
        url: delivery.url,
        payload: JSON.parse(delivery.body),
      }),
    );
  } else if (response.ok) {
    const payload = JSON.parse(delivery.body) as Record<string, string>;
    print(
      line`${response.status} ${status(answer.result ?? '')}  ${String(payload.event_type)} ${String(payload.collection_readable_id)} / ${String(payload.source_type)}` +
        line`  job ${String(payload.sync_job_id ?? payload.job_id)}  ${paint(`svix-id ${delivery.id}`, 'gray')}`,
    );
  }
  if (response.status === 401)
    throw new CliError(
      `the endpoint rejected the signature (${answer.error ?? 'unauthorized'}): check --secret or AIRWEAVE_WEBHOOK_SECRET`,
    );
  if (!response.ok)
    throw new CliError(`the endpoint answered ${response.status}: ${answer.error ?? text.slice(0, 200)}`);
  return 0;
}
