/**
 * Named errors of the request path and the one mapping from error to HTTP status. A 5xx tells Svix to
 * retry, so it is kept for failures worth retrying (an AWS call that failed); everything the sender got
 * wrong is a 4xx that retrying would not fix.
 */
/** Why a signature was refused: control flow keys on this, never on the message text. */
export type SignatureReason =
  | 'missing-headers'
  | 'bad-timestamp'
  | 'timestamp-too-old'
  | 'timestamp-in-future'
  | 'no-v1-signature'
  | 'no-match';

export class SignatureError extends Error {
  override readonly name = 'SignatureError';

  constructor(
    readonly reason: SignatureReason,
    message: string,
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}

export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** A setting the function cannot work without: thrown at cold start, with the setting's name. */
export class SettingError extends Error {
  override readonly name = 'SettingError';
}

export interface ErrorResponse {
  readonly statusCode: number;
  readonly body: { readonly error: string };
}

export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof SignatureError) return { statusCode: 401, body: { error: error.message } };
  if (error instanceof PayloadTooLargeError) return { statusCode: 413, body: { error: error.message } };
  if (error instanceof BadRequestError) return { statusCode: 400, body: { error: error.message } };
  if (error instanceof NotFoundError) return { statusCode: 404, body: { error: error.message } };
  // Nothing internal leaks: the sender retries on any 5xx, the details are in the logs.
  return { statusCode: 503, body: { error: 'temporarily unavailable, retry later' } };
}

/**
 * An earlier attempt of this same message holds a once-only claim that is not settled (still running, or
 * died): this attempt fails (503, transient by `dispositionOf`) so the sender retries, and the retry
 * finds the effect done or the claim expired and takes it over (docs/DESIGN.md section 4).
 */
export class ClaimBusyError extends Error {
  override readonly name = 'ClaimBusyError';
}
