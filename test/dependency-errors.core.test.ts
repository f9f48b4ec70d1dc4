import { dispositionOf, PermanentDependencyError } from '../lambda/core/dependency-errors';
import {
  BadRequestError,
  errorResponse,
  NotFoundError,
  PayloadTooLargeError,
  SettingError,
  SignatureError,
} from '../lambda/core/errors';

/** Each AWS error name's meaning for the delivery, as the services document it (core/dependency-errors.ts). */
const named = (name: string) => Object.assign(new Error(`${name} from the service`), { name });

describe('dependency error table', () => {
  it.each([
    'ValidationException',
    'SerializationException',
    'ItemCollectionSizeLimitExceededException',
    'InvalidParameter',
    'InvalidParameterException',
    'InvalidParameterValue',
    'ParameterValueInvalid',
    'InvalidParameterValueException',
    'InvalidName',
    'InvalidExecutionInput',
    'InvalidArn',
    'ExecutionAlreadyExists',
  ])('%s can never succeed on retry: permanent', (name) => {
    expect(dispositionOf(named(name))).toBe('permanent');
  });

  it.each([
    'ThrottlingException',
    'Throttling',
    'Throttled',
    'ThrottledException',
    'TooManyRequestsException',
    'ProvisionedThroughputExceededException',
    'RequestLimitExceeded',
    'LimitExceededException',
    'KMSThrottlingException',
    'TransactionConflictException',
    'InternalServerError',
    'InternalServerErrorException',
    'InternalError',
    'InternalErrorException',
    'InternalFailure',
    'ServiceUnavailable',
    'ServiceUnavailableException',
    'TimeoutError',
    'RequestTimeout',
    'RequestTimeoutException',
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'EAI_AGAIN',
    'AccessDeniedException',
    'AuthorizationErrorException',
    'ResourceNotFoundException',
    'NotFoundException',
    'StateMachineDoesNotExist',
    'KMSDisabledException',
    'KMSAccessDeniedException',
    'UnrecognizedClientException',
    'ExpiredTokenException',
  ])('%s may succeed on retry: transient', (name) => {
    expect(dispositionOf(named(name))).toBe('transient');
    expect(dispositionOf(Object.assign(new Error('socket'), { code: name }))).toBe('transient');
  });

  it('reads the code when the name says nothing, and the name first', () => {
    expect(dispositionOf(Object.assign(new Error('x'), { code: 'ValidationException' }))).toBe('permanent');
    expect(dispositionOf({ name: 7, code: 'InvalidArn' })).toBe('permanent');
    expect(dispositionOf({ name: 'ValidationException', code: 'ECONNRESET' })).toBe('permanent');
  });

  it('an unknown name, an inherited property name, or a thrown non-object is transient (a retry loses nothing)', () => {
    expect(dispositionOf(named('SomethingNew'))).toBe('transient');
    expect(dispositionOf(named('toString'))).toBe('transient');
    expect(dispositionOf('ValidationException')).toBe('transient');
    expect(dispositionOf(null)).toBe('transient');
    expect(dispositionOf(undefined)).toBe('transient');
  });

  it('only a text name or code is looked up: a value that merely converts to a listed name is not one', () => {
    // Property lookup would turn ['ValidationException'] into the key 'ValidationException'.
    expect(dispositionOf({ name: ['ValidationException'] })).toBe('transient');
    expect(dispositionOf({ code: { toString: () => 'InvalidArn' } })).toBe('transient');
  });

  it('a permanent refusal names the step, the error and its message', () => {
    const error = new PermanentDependencyError('job record', named('ValidationException'));
    expect(error.message).toBe(
      'job record refused: ValidationException: ValidationException from the service',
    );
    expect(error).toMatchObject({ name: 'PermanentDependencyError', step: 'job record' });
    expect(new PermanentDependencyError('events topic', 'plain text').message).toBe(
      'events topic refused: Error: plain text',
    );
    // A rejection with no value at all still makes a readable reason, not a TypeError of its own.
    expect(new PermanentDependencyError('audit event', undefined).message).toBe(
      'audit event refused: Error: undefined',
    );
    expect(new PermanentDependencyError('audit event', null).message).toBe(
      'audit event refused: Error: null',
    );
  });
});

describe('error responses', () => {
  it('maps each refusal to its status and says why; anything else is a 503 that leaks nothing', () => {
    expect(errorResponse(new SignatureError('no-match', 'no signature matches'))).toEqual({
      statusCode: 401,
      body: { error: 'no signature matches' },
    });
    expect(errorResponse(new PayloadTooLargeError('too big'))).toEqual({
      statusCode: 413,
      body: { error: 'too big' },
    });
    expect(errorResponse(new BadRequestError('bad'))).toEqual({ statusCode: 400, body: { error: 'bad' } });
    expect(errorResponse(new NotFoundError('none'))).toEqual({ statusCode: 404, body: { error: 'none' } });
    expect(errorResponse(new SettingError('secret ARN missing'))).toEqual({
      statusCode: 503,
      body: { error: 'temporarily unavailable, retry later' },
    });
    expect(errorResponse('boom')).toMatchObject({ statusCode: 503 });
  });

  it('each error carries its own name, for logs and metrics', () => {
    expect(
      [
        new SignatureError('no-match', ''),
        new PayloadTooLargeError(),
        new BadRequestError(),
        new NotFoundError(),
        new SettingError(),
      ].map((e) => e.name),
    ).toEqual(['SignatureError', 'PayloadTooLargeError', 'BadRequestError', 'NotFoundError', 'SettingError']);
    expect(new SignatureError('bad-timestamp', 'not seconds').reason).toBe('bad-timestamp');
  });
});
