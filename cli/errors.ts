/** An error the user can act on: printed as one line (no stack), exit code 1 (2 for bad usage). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(`${message} (see --help)`, 2);
  }
}

/**
 * Turns network and AWS failures into what to do about them. `local` says whether `what` is the local
 * stack, the only case where starting something (`npm start`) is the fix.
 */
export function explain(error: unknown, what: string, local = false): CliError {
  if (error instanceof CliError) return error;
  const e = error as NodeJS.ErrnoException & {
    name?: string;
    $metadata?: unknown;
    cause?: { code?: string };
  };
  const code = e.code ?? e.cause?.code;
  // The SDK sometimes wraps the socket error ("AWS SDK error wrapper for Error: connect ECONNREFUSED").
  const unreachable = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT/.test(
    `${code ?? ''} ${e.message ?? ''}`,
  );
  if (unreachable || e.name === 'TimeoutError')
    return new CliError(
      local
        ? `cannot reach ${what}: is the local stack running? Start it with \`npm start\`.`
        : `cannot reach ${what} (${code ?? e.name}): check the network, --region and any AWS endpoint settings`,
    );
  if (/Region is missing/i.test(e.message ?? ''))
    return new CliError(
      'no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION (or a profile with a region), or use --local',
    );
  if (e.name === 'CredentialsProviderError')
    return new CliError(
      'no AWS credentials found: configure them (aws configure, --profile or AWS_PROFILE) or use --local',
    );
  if (e.name === 'ResourceNotFoundException')
    return new CliError(
      local
        ? `${what} has no sync-events table: start the local stack (npm start)`
        : `${what} has no sync-events table: check --stack, --region and --profile`,
    );
  return new CliError(`${what} failed: ${e.message}`);
}
