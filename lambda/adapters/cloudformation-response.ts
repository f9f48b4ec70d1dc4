import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The response object CloudFormation expects from a custom resource (its documented fields). */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  /** Shown in the stack's events; required with FAILED. */
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

/**
 * CloudFormation refuses a response object over 4,096 bytes (the request then times out as if unanswered);
 * the reason is the only part of unbounded length, so it is cut well below that.
 */
export const MAX_REASON_CHARS = 1000;

/**
 * Answers a custom resource request: a PUT of the response to the request's pre-signed S3 URL, with an
 * empty Content-Type, as CloudFormation's own `cfn-response` module sends it (the URL is signed without
 * one). Rejects on a non-2xx answer or after `timeoutMs`, so the invocation fails and Lambda retries it.
 */
export function putResponse(
  responseUrl: string,
  response: CustomResourceResponse,
  timeoutMs = 4000,
): Promise<void> {
  const body = JSON.stringify({ ...response, Reason: response.Reason.slice(0, MAX_REASON_CHARS) });
  const url = new URL(responseUrl);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`CloudFormation's response URL answered ${status}`));
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer from CloudFormation's response URL in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}
