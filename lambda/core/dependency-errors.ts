/**
 * What a failed AWS call means for the delivery that made it, by the error's name (the AWS SDK v3 sets
 * `name` to the service's error code or exception class; Node sets `code` on socket errors):
 * - `permanent`: the request itself can never succeed (a value the service refuses, an item or key over a
 *   limit). Retrying would loop for Svix's whole retry schedule (about a day), so the delivery is
 *   quarantined with the reason and answered 202.
 * - `transient`: throttling, timeouts, the service's 5xx, the network, and configuration an operator
 *   fixes (a missing permission or resource): answered 503 so Svix retries, and the retry succeeds once
 *   the cause is gone. Every step is idempotent, so the retry does nothing twice.
 * A name not in the table is transient: a retry loses nothing, a wrong quarantine needs a manual replay.
 */
export type Disposition = 'permanent' | 'transient';

export const DEPENDENCY_ERRORS: Readonly<Record<string, Disposition>> = {
  // DynamoDB: a refused request (also "Item size has exceeded the maximum allowed size" and key-size
  // errors, which DynamoDB reports as ValidationException).
  ValidationException: 'permanent',
  SerializationException: 'permanent',
  ItemCollectionSizeLimitExceededException: 'permanent',
  // SNS: a subject, message or attribute it refuses (wire codes and the SDK's exception names).
  InvalidParameter: 'permanent',
  InvalidParameterException: 'permanent',
  InvalidParameterValue: 'permanent',
  ParameterValueInvalid: 'permanent',
  InvalidParameterValueException: 'permanent',
  // Step Functions: an execution name or input it refuses; a name reused with another input.
  InvalidName: 'permanent',
  InvalidExecutionInput: 'permanent',
  InvalidArn: 'permanent',
  ExecutionAlreadyExists: 'permanent',

  // Throttling and capacity.
  ThrottlingException: 'transient',
  Throttling: 'transient',
  Throttled: 'transient',
  ThrottledException: 'transient',
  TooManyRequestsException: 'transient',
  ProvisionedThroughputExceededException: 'transient',
  RequestLimitExceeded: 'transient',
  LimitExceededException: 'transient',
  KMSThrottlingException: 'transient',
  TransactionConflictException: 'transient',
  // The service's own failures (5xx).
  InternalServerError: 'transient',
  InternalServerErrorException: 'transient',
  InternalError: 'transient',
  InternalErrorException: 'transient',
  InternalFailure: 'transient',
  ServiceUnavailable: 'transient',
  ServiceUnavailableException: 'transient',
  // Timeouts and the network (SDK and Node names).
  TimeoutError: 'transient',
  RequestTimeout: 'transient',
  RequestTimeoutException: 'transient',
  ECONNRESET: 'transient',
  ECONNREFUSED: 'transient',
  ETIMEDOUT: 'transient',
  EPIPE: 'transient',
  EAI_AGAIN: 'transient',
  // Configuration: fixed by an operator, after which the retry succeeds.
  AccessDeniedException: 'transient',
  AuthorizationErrorException: 'transient',
  ResourceNotFoundException: 'transient',
  NotFoundException: 'transient',
  StateMachineDoesNotExist: 'transient',
  KMSDisabledException: 'transient',
  KMSAccessDeniedException: 'transient',
  UnrecognizedClientException: 'transient',
  ExpiredTokenException: 'transient',
};

/** The disposition of any thrown value, by its name, else its code (Node's socket errors). */
export function dispositionOf(error: unknown): Disposition {
  if (typeof error !== 'object' || error === null) return 'transient';
  const { name, code } = error as { name?: unknown; code?: unknown };
  for (const key of [name, code])
    if (typeof key === 'string' && Object.hasOwn(DEPENDENCY_ERRORS, key))
      return DEPENDENCY_ERRORS[key] as Disposition;
  return 'transient';
}

/** A dependency refused the delivery's request for good: quarantine it with this reason (202). */
export class PermanentDependencyError extends Error {
  override readonly name = 'PermanentDependencyError';

  constructor(
    readonly step: string,
    override readonly cause: unknown,
  ) {
    const inner = cause as { name?: string; message?: string };
    super(`${step} refused: ${inner?.name ?? 'Error'}: ${inner?.message ?? String(cause)}`);
  }
}
