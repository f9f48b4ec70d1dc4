import { onFirstUse } from '../lambda/adapters/on-first-use';

describe('onFirstUse', () => {
  it('loads nothing until first used, then once for every later use, concurrent ones included', async () => {
    let loads = 0;
    const client = onFirstUse(async () => ({ id: ++loads }));
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([client(), client()]);
    expect(await client()).toBe(a);
    expect(b).toBe(a);
    expect(loads).toBe(1);
  });

  it('does not remember a failed load: the use fails, and the next use loads again', async () => {
    let loads = 0;
    const client = onFirstUse(async () => {
      if (++loads === 1) throw new Error('module not found');
      return 'client';
    });
    await expect(client()).rejects.toThrow('module not found');
    await expect(client()).resolves.toBe('client');
    expect(loads).toBe(2);
  });
});
