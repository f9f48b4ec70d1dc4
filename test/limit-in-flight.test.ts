import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { limitInFlight } from '../local/http';

// The local server's cap on deliveries in flight: never more than the limit at once, first come first
// served, every call answered, a failure freeing its place.
describe('limitInFlight', () => {
  const event = (id: number) => ({ body: String(id) }) as APIGatewayProxyEventV2;

  it('runs at most `limit` calls at once, in the order they came, and answers each its own', async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const limited = limitInFlight(async (e) => {
      started.push(e.body as string);
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, Number(e.body) % 3));
      running--;
      return { statusCode: 200, body: `done ${e.body}` };
    }, 3);
    const results = (await Promise.all(
      Array.from({ length: 20 }, (_, i) => limited(event(i))),
    )) as APIGatewayProxyStructuredResultV2[];
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(results.map((r) => r.body)).toEqual(Array.from({ length: 20 }, (_, i) => `done ${i}`));
  });

  it('frees the place of a call that fails', async () => {
    const limited = limitInFlight(async (e) => {
      if (e.body === 'fail') throw new Error('engine unavailable');
      return { statusCode: 200 };
    }, 1);
    const failing = { body: 'fail' } as APIGatewayProxyEventV2;
    await expect(limited(failing)).rejects.toThrow('engine unavailable');
    await expect(limited(event(1))).resolves.toEqual({ statusCode: 200 });
  });
});
