import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SigningKeys } from '../core/ports';
import { decodeSecrets, splitSecrets } from '../core/signature';

/** Keys are cached this long: one Secrets Manager call per warm container every five minutes at most. */
export const SECRET_MAX_AGE_MS = 5 * 60 * 1000;
/** A failed verification may re-read the secret (a rotation just happened), at most this often. */
export const SECRET_RELOAD_INTERVAL_MS = 30 * 1000;

/**
 * Signing keys from one Secrets Manager secret whose value is one or more `whsec_` secrets separated by
 * commas (rotation). Read through a cache with a max age; a signature that matches no cached key forces
 * one early re-read, rate-limited so a flood of forged requests cannot turn into a flood of API calls.
 */
export class SecretsManagerSigningKeys implements SigningKeys {
  private cached: { keys: Buffer[]; at: number } | undefined;
  private pending: Promise<Buffer[]> | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<readonly Buffer[]> {
    if (this.cached && this.now() - this.cached.at < SECRET_MAX_AGE_MS) return this.cached.keys;
    return this.load();
  }

  async reload(): Promise<readonly Buffer[] | undefined> {
    if (this.cached && this.now() - this.cached.at < SECRET_RELOAD_INTERVAL_MS) return undefined;
    return this.load();
  }

  private load(): Promise<Buffer[]> {
    // Concurrent requests on a cold container share one call.
    this.pending ??= this.client
      .send(new GetSecretValueCommand({ SecretId: this.secretId }))
      .then((out) => {
        const keys = decodeSecrets(splitSecrets(out.SecretString ?? ''));
        this.cached = { keys, at: this.now() };
        return keys;
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
