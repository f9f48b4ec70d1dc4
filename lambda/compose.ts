import type { RuntimeSettings } from './core/settings';
import { type MetricsSink, noMetrics } from './core/metrics';
import type { Log, Notifier, PipelineStarter, SigningKeys, Stores } from './core/ports';
import type { SourceRegistry } from './core/reconcile';

/** The side-effect adapters an entry point brings, as it needs them (the query API needs none). */
export interface Edges {
  readonly notifier?: Notifier;
  readonly starter?: PipelineStarter;
  readonly keys?: SigningKeys;
  /**
   * The source registry, for every entry point that ingests deliveries (the webhook, local mode, `replay`)
   * or reconciles: without it a `source_connection.*` or `collection.deleted` event is recorded as ignored,
   * which for a replayed delivery means it leaves the quarantine without taking effect.
   */
  readonly registry?: SourceRegistry;
}

export interface CompositionInput {
  readonly stores: Stores;
  readonly settings: RuntimeSettings;
  readonly log: Log;
  /** Default: none (local mode and tests); Lambda passes Powertools' metrics. */
  readonly metrics?: MetricsSink;
  /** Default: the system clock; tests fix it. */
  readonly now?: () => Date;
}

/**
 * The composition root: the one place that turns stores, settings and adapters into the dependencies of
 * every use case (webhook ingest, query API, watchdog, replay). The Lambda handlers, local mode, the CLI's
 * `replay`, the tests and the benchmark all call it, so they run the same wiring.
 */
export function compose<E extends Edges>(input: CompositionInput, edges: E) {
  const { settings } = input;
  return {
    ...input.stores,
    retentionDays: settings.retentionDays,
    routes: settings.alerts,
    rules: settings.freshness,
    pipelines: settings.pipelines,
    stuckAfterSeconds: settings.watchdog.stuckAfter,
    now: input.now ?? (() => new Date()),
    log: input.log,
    metrics: input.metrics ?? noMetrics,
    ...edges,
  };
}

export type UseCaseDeps<E extends Edges = Edges> = ReturnType<typeof compose<E>>;
