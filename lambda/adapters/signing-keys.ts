import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SigningKeys } from '../core/ports';
import { decodeSecrets, splitSecrets } from '../core/signature';
import { readSecret } from './secrets';

/** Keys are cached this long: one Secrets Manager call per warm container every five minutes at most. */
export const SECRET_MAX_AGE_SECONDS = 5 * 60;
/** A failed verification may re-read the secret (a rotation just happened), at most this often. */
export const SECRET_RELOAD_INTERVAL_MS = 30 * 1000;

/**
 * Signing keys from one Secrets Manager secret whose value is one or more `whsec_` secrets separated by
 * commas (rotation), read with Powertools Parameters: its cache keeps the value `maxAge` seconds. A
 * signature that matches no cached key (reason `no-match`, `core/ingest.ts`) forces one early re-read
 * (`forceFetch`), which also refreshes the cache; it is rate-limited, so a flood of forged requests cannot
 * turn into a flood of API calls.
 */
export class SecretsManagerSigningKeys implements SigningKeys {
  private readonly provider: SecretsProvider;
  /** When the secret was last read for sure: the first read of the container, or the last forced one. */
  private readAt: number | undefined;
  private pending: Promise<Buffer[]> | undefined;
  private decoded: { text: string; keys: Buffer[] } | undefined;

  constructor(
    client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly options: {
      readonly maxAgeSeconds?: number;
      readonly reloadIntervalMs?: number;
      readonly now?: () => number;
    } = {},
  ) {
    // The provider getSecret uses, on this client: the functions' Tracer captures it, and tests point it
    // at a stand-in.
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  current(): Promise<readonly Buffer[]> {
    return this.read(false);
  }

  async reload(): Promise<readonly Buffer[] | undefined> {
    const interval = this.options.reloadIntervalMs ?? SECRET_RELOAD_INTERVAL_MS;
    if (this.readAt !== undefined && this.now() - this.readAt < interval) return undefined;
    return this.read(true);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private read(forceFetch: boolean): Promise<Buffer[]> {
    // Concurrent requests on a cold container share one call.
    this.pending ??= readSecret(this.provider, this.secretId, {
      maxAge: this.options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS,
      forceFetch,
    })
      .then((text) => {
        if (forceFetch || this.readAt === undefined) this.readAt = this.now();
        // Decoded once per value, not per request: the cache hands back the same text until it changes.
        if (this.decoded?.text !== text) this.decoded = { text, keys: decodeSecrets(splitSecrets(text)) };
        return this.decoded.keys;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }
}

/** Keys known up front: local mode (from AIRWEAVE_WEBHOOK_SECRET) and tests. */
export class StaticSigningKeys implements SigningKeys {
  private readonly keys: Buffer[];

  constructor(secrets: readonly string[]) {
    this.keys = decodeSecrets(secrets);
  }

  async current(): Promise<readonly Buffer[]> {
    return this.keys;
  }

  async reload(): Promise<readonly Buffer[] | undefined> {
    return undefined;
  }
}
