import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { API_KEY_PLACEHOLDER } from '../core/airweave';

/** The key is cached this long: one Secrets Manager call per warm container every five minutes at most. */
export const API_KEY_MAX_AGE_MS = 5 * 60 * 1000;

/**
 * Airweave's API key from the stack's secret, read through a cache. Undefined while the secret still holds
 * the placeholder (or nothing): reconciliation is then off, and says so, instead of calling the API with a
 * key that can only be refused.
 */
export class SecretsManagerApiKey {
  private cached: { key: string | undefined; at: number } | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<string | undefined> {
    if (this.cached && this.now() - this.cached.at < API_KEY_MAX_AGE_MS) return this.cached.key;
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    this.cached = { key: configuredKey(out.SecretString), at: this.now() };
    return this.cached.key;
  }
}

/** The key, or undefined for the placeholder and for an empty value. */
export function configuredKey(value: string | undefined): string | undefined {
  const key = value?.trim();
  return key && key !== API_KEY_PLACEHOLDER ? key : undefined;
}
