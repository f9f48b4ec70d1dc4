import type { DynamoDBClientResolvedConfig } from '@aws-sdk/client-dynamodb';
import { traced } from './tracing';

/**
 * What every function's AWS SDK client is created with. `cacheMiddleware`: the client resolves a
 * command's middleware stack once per command type instead of on every call. That was about a sixth of a
 * plain delivery's CPU while its DynamoDB calls were SDK commands; the table's calls now go over
 * `DynamoWire` (store/dynamo-wire.ts), which has no middleware, and this still serves every call made with
 * a command (SNS, Step Functions, Secrets Manager, the failure-index stamp). Its conditions hold here: no
 * call passes per-call options, and nothing adds middleware after a client's first call (`traced` wraps a
 * client when it is created).
 */
export const SDK_CLIENT_CONFIG = { cacheMiddleware: true } as const;

/** The part of a client's resolved config that signs requests (`@aws-sdk/core`'s SigV4 auth config). */
type SignerProvider = DynamoDBClientResolvedConfig['signer'];
interface SigningClient {
  readonly config: { signer: SignerProvider };
}
interface StackedClient {
  readonly middlewareStack: { remove(name: string): boolean };
}

/**
 * A function's client of an AWS service, made the one way every function makes them: with
 * `SDK_CLIENT_CONFIG`, cheaper per call (`tuned`) and passed through `traced`. The function's role,
 * region and credentials come from its environment, as the SDK reads them.
 */
export function functionClient<C extends SigningClient & StackedClient>(
  Client: new (config: typeof SDK_CLIENT_CONFIG) => C,
): C {
  return traced(tuned(new Client(SDK_CLIENT_CONFIG)));
}

/**
 * How every function's client is made cheaper per call once created (`new XClient(SDK_CLIENT_CONFIG)`):
 * one signer for its lifetime (`reusingSigner`), and no SDK logger middleware (`withoutSdkLogging`).
 */
export function tuned<T extends SigningClient & StackedClient>(client: T): T {
  return withoutSdkLogging(reusingSigner(client));
}

/**
 * The client without the SDK's logger middleware, which hands each call's input and output to the client's
 * `logger`. No client here sets one (the functions log through Powertools, the local stack through its
 * console; the default is the SDK's NoOpLogger), yet on every failed call the middleware first builds a
 * redacted copy of the whole request for that logger. Every duplicate or late event and every lost claim
 * is a refused conditional write, so a duplicate delivery paid about 0.45 ms of CPU for copies nobody
 * read (7.48 -> 7.02 ms side by side, 2,200 interleaved deliveries). Errors are unchanged: the
 * deserializer makes them, and the caller still gets every one. A client that needs the SDK's own
 * logging again is created without this.
 */
export function withoutSdkLogging<T extends StackedClient>(client: T): T {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/**
 * The client, signing with one SignatureV4 per auth scheme for its lifetime instead of one per call. The
 * SDK's default `signer` builds a new SignatureV4 for every request, copying the whole resolved config
 * into it, and SignatureV4 caches its signing key per instance: so every call derived the key again
 * (four HMACs). Reused, the instance's cache does what it is for: the key is derived once a day per
 * region and service, and again whenever the credentials change (the cache is keyed by them, and the
 * instance reads the client's credential provider on every call, so rotated credentials still sign).
 * The signer the SDK builds depends only on the client's config and the auth scheme's name, region and
 * service, which key the memo. Measured side by side (5,500 interleaved deliveries each, no network
 * delay): a plain delivery's CPU 3.84 -> 3.67 ms, the one-call naive handler's 0.98 -> 0.93 ms, so about
 * 50 µs per call.
 */
export function reusingSigner<T extends SigningClient>(client: T): T {
  const build = client.config.signer;
  const signers = new Map<string, ReturnType<SignerProvider>>();
  client.config.signer = (authScheme) => {
    const key = `${authScheme?.name}\n${authScheme?.signingRegion}\n${authScheme?.signingName}`;
    let signer = signers.get(key);
    if (signer === undefined) {
      signer = build(authScheme);
      // A failed build (credentials not resolvable yet, say) is not kept: the next call tries again.
      signer.catch(() => signers.delete(key));
      signers.set(key, signer);
    }
    return signer;
  };
  return client;
}
