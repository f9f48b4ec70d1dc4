import type { Log } from '../lambda/core/ports';

/** For tests that assert on behaviour, not on logs (logs are asserted in observability.test.ts). */
export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {} };
