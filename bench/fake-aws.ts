import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the SNS and Step Functions endpoints, for the benchmark only: SNS and Step
 * Functions have no local engine, and counting calls at the SDK client needs the client to get an answer.
 * It answers Publish (AWS query protocol, XML) and StartExecution (JSON 1.0) with success.
 */
export async function startFakeAws(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target.endsWith('StartExecution')) {
        response.setHeader('content-type', 'application/x-amz-json-1.0');
        response.end(
          JSON.stringify({
            executionArn: 'arn:aws:states:local:000000000000:execution:x:y',
            startDate: Date.now() / 1000,
          }),
        );
        return;
      }
      response.setHeader('content-type', 'text/xml');
      response.end(
        '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>local</MessageId></PublishResult>' +
          '<ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></PublishResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
