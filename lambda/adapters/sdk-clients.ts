/**
 * What every function's AWS SDK client is created with. `cacheMiddleware`: the client resolves a
 * command's middleware stack once per command type instead of on every call, which with plain commands
 * (no document client, which refuses it) takes about a sixth of a plain delivery's CPU
 * (BENCHMARKS.md, the latency section). Its conditions hold here: no call passes per-call options, and
 * nothing adds middleware after a client's first call (`traced` wraps a client when it is created).
 */
export const SDK_CLIENT_CONFIG = { cacheMiddleware: true } as const;
