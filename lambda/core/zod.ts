import * as z from 'zod/mini';
import { en } from 'zod/locales';

/**
 * zod/mini, as every schema of the core uses it. zod/mini loads no messages of its own (every issue reads
 * "Invalid input"); with the English ones an issue says what was expected, so a config error, a quarantine
 * reason or an API answer the reconciler refuses reads the same in a Lambda function, in local mode and in
 * the CLI, whichever modules each happens to load. They cost the bundles a few kilobytes.
 */
z.config(en());

export { z };
