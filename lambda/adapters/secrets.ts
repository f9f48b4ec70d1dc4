import { GetParameterError } from '@aws-lambda-powertools/parameters/errors';
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

/**
 * A secret's text through Powertools Parameters (`SecretsProvider.get`, what `getSecret` calls on its
 * default provider): cached `maxAge` seconds, `forceFetch` to read past the cache. Powertools wraps every
 * SDK error in a GetParameterError; the SDK's own error is thrown instead, so the dependency error table
 * (`core/dependency-errors.ts`) still tells a throttle from a refusal by its name.
 */
export async function readSecret(
  provider: SecretsProvider,
  secretId: string,
  options: { readonly maxAge: number; readonly forceFetch?: boolean },
): Promise<string> {
  try {
    const value = await provider.get(secretId, options);
    return typeof value === 'string' ? value : value === undefined ? '' : Buffer.from(value).toString('utf8');
  } catch (error) {
    throw error instanceof GetParameterError && error.cause instanceof Error ? error.cause : error;
  }
}
