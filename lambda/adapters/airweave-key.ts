import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { API_KEY_PLACEHOLDER } from '../core/airweave';
import { readSecret } from './secrets';

/** The key is cached this long: one Secrets Manager call per warm container every five minutes at most. */
export const API_KEY_MAX_AGE_SECONDS = 5 * 60;

/**
 * Airweave's API key from the stack's secret, read with Powertools Parameters (cached `maxAge`). Undefined
 * while the secret still holds the placeholder (or nothing): reconciliation is then off, and says so,
 * instead of calling the API with a key that can only be refused.
 */
export class SecretsManagerApiKey {
  private readonly provider: SecretsProvider;

  constructor(
    client: SecretsManagerClient,
    private readonly secretId: string,
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  async current(): Promise<string | undefined> {
    return configuredKey(await readSecret(this.provider, this.secretId, { maxAge: API_KEY_MAX_AGE_SECONDS }));
  }
}

/** The key, or undefined for the placeholder and for an empty value. */
export function configuredKey(value: string | undefined): string | undefined {
  const key = value?.trim();
  return key && key !== API_KEY_PLACEHOLDER ? key : undefined;
}
