/**
 * X-Ray for the functions' AWS calls: off, decided by measurement (BENCHMARKS.md, "Tracer: cold-start
 * cost"; `bench/tracer.ts` builds the webhook with Powertools' Tracer capturing its SDK clients and without
 * it, side by side). The Tracer made the webhook's cold start 1.4x as long (it loads the X-Ray SDK) and its
 * bundle twice the size, for subsegments the logs and metrics already answer (which call failed, how long a
 * delivery took). Every function's client passes through here (`functionClient` in sdk-clients.ts), so
 * turning tracing on is this function (`new Tracer().captureAWSv3Client(client)`) plus `tracing` in
 * `lib/sync-function.ts`, plus a subsegment around `DynamoWire.call`: the table's calls do not pass
 * through the SDK middleware that the capture hooks.
 */
export function traced<T>(client: T): T {
  return client;
}
