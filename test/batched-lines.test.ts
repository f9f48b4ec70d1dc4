import { batchedLines } from '../cli/output';

// The local stack's console writer: every line, in order, in one write per turn of the event loop.
describe('batched console lines', () => {
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('writes the lines of one turn together, in order, after the turn', async () => {
    const writes: string[] = [];
    const out = batchedLines((text) => void writes.push(text));
    out.print('first');
    out.print('second');
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(['first\nsecond\n']);
    out.print('third');
    await turn();
    expect(writes).toEqual(['first\nsecond\n', 'third\n']);
  });

  it('writes what is pending at once on flush, and nothing twice', async () => {
    const writes: string[] = [];
    const out = batchedLines((text) => void writes.push(text));
    out.print('last words');
    out.flush();
    expect(writes).toEqual(['last words\n']);
    await turn();
    out.flush();
    expect(writes).toEqual(['last words\n']);
  });
});
