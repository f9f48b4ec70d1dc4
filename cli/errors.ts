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

/** Turns network and AWS failures into what to do about them. */
export function explain(error: unknown, what: string): CliError {
  if (error instanceof CliError) return error;
  const e = error as NodeJS.ErrnoException & {
    name?: string;
    $metadata?: unknown;
    cause?: { code?: string };
  };
  const code = e.code ?? e.cause?.code;
  // The SDK sometimes wraps the socket error ("AWS SDK error wrapper for Error: connect ECONNREFUSED").
  const unreachable = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH/.test(`${code ?? ''} ${e.message ?? ''}`);
  if (unreachable || e.name === 'TimeoutError')
    return new CliError(`cannot reach ${what}: is the local stack running? Start it with \`npm start\`.`);
  if (/Region is missing/i.test(e.message ?? ''))
    return new CliError('no AWS region: set AWS_REGION (or a profile with a region), or use --local');
  if (e.name === 'CredentialsProviderError')
    return new CliError(
      'no AWS credentials found: configure them (aws configure, AWS_PROFILE) or use --local',
    );
  if (e.name === 'ResourceNotFoundException')
    return new CliError(
      `${what} has no sync-events table: start the local stack (npm start) or check --stack`,
    );
  return new CliError(`${what} failed: ${e.message}`);
}
