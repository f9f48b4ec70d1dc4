/**
 * An adapter built on its first use instead of at cold start, for the AWS clients a function needs on few
 * invocations: Step Functions only when a pipeline starts, Lambda only when a suspicion is handed to the
 * reconciler. Each SDK client costs its own module init (10-30 ms, BENCHMARKS.md "Lambda bundles"), which
 * every cold start would otherwise pay for deliveries that never use it. The loader is a dynamic `import()`,
 * which the bundle keeps as a `require` at that point (the SDK is external) and the module's own code
 * inside a lazily run wrapper.
 *
 * The first use waits for the load; later ones share it. A failed load is not remembered: the delivery fails
 * (a transient 5xx, retried by the sender) and the next use loads again.
 */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}
