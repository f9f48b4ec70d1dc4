import { AirweaveHttpClient } from '../lambda/adapters/airweave-client';
import { AIRWEAVE_DEFAULTS, type RuntimeSettings } from '../lambda/core/settings';
import type { SyncEvent } from '../lambda/core/events';
import type { FreshnessRecord } from '../lambda/core/freshness';
import {
  reconcileOnSuspicion,
  type ReconcileDeps,
  reconcileSource,
  runReconcile,
} from '../lambda/core/reconcile';

/** Where local mode reads Airweave's API: `AIRWEAVE_API_URL` over the config's `apiUrl`, and `AIRWEAVE_API_KEY`. */
export interface LocalAirweave {
  readonly apiUrl: string;
  /** Without a key reconciliation is off, as it is on AWS while the secret holds the placeholder. */
  readonly apiKey: string | undefined;
}

/**
 * Local mode's reconciler: the same use case as the reconcile function, on a timer of
 * `airweave.reconcile.every` instead of an EventBridge schedule, and the same suspicion hooks (the webhook's,
 * in the background; the watchdog's, before it alerts). The operations notice goes to the console.
 */
export function localReconciler(options: {
  /** The composition root's dependencies, with the source registry. */
  readonly deps: Omit<ReconcileDeps, 'api' | 'operations' | 'jobs'>;
  readonly settings: RuntimeSettings;
  readonly airweave: LocalAirweave;
  readonly print: (line: string) => void;
}) {
  const { settings, airweave, print } = options;
  const config = settings.airweave ?? AIRWEAVE_DEFAULTS;
  const deps: ReconcileDeps = {
    ...options.deps,
    api:
      airweave.apiKey === undefined
        ? undefined
        : new AirweaveHttpClient({ apiUrl: airweave.apiUrl || config.apiUrl, apiKey: airweave.apiKey }),
    operations: { notify: async (subject) => print(`ALERT  [operations] ${subject}`) },
    jobs: config.reconcile.jobs,
  };
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) => print(`reconcile: ${(error as Error).message}`));
    background.add(settled);
    void settled.finally(() => background.delete(settled));
  };
  let timer: NodeJS.Timeout | undefined;
  const on = deps.api !== undefined;
  return {
    deps,
    hooks: {
      /** The webhook's hand-over: not awaited, like the asynchronous invocation on AWS. */
      webhook: on
        ? { reconcileSoon: async (event: SyncEvent) => void track(reconcileOnSuspicion(deps, event)) }
        : {},
      /** The watchdog's check before it alerts. */
      watchdog: on
        ? { verify: async (record: FreshnessRecord) => void (await reconcileSource(deps, record)) }
        : {},
    },
    /** Runs a pass now and then every `airweave.reconcile.every`; does nothing without a key. */
    start(): void {
      if (!on) return;
      const pass = () => track(runReconcile(deps));
      pass();
      timer = setInterval(pass, config.reconcile.every * 1000);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await Promise.all(background);
    },
  };
}
