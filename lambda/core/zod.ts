import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * zod/mini's English messages, for every schema of the core: each module that declares a schema imports
 * this one for its effect. zod/mini loads no messages of its own (every issue reads "Invalid input"); with
 * the English ones an issue says what was expected, so a config error, a quarantine reason or an API
 * answer the reconciler refuses reads the same in a Lambda function, in local mode and in the CLI,
 * whichever modules each happens to load.
 *
 * Named imports only: re-exporting zod/mini's namespace object would make the bundler keep all of it,
 * every locale included (about 420 KB in the webhook bundle).
 */
config(en());
