/**
 * Where a command writes: results to stdout (`print`), remarks about them to stderr (`note`: "more rows
 * remain", "publishing to ..."), so `--json | jq` reads results only.
 */
export interface Output {
  print(line: string): void;
  note(line: string): void;
}

export const stdio: Output = {
  print: (line) => void process.stdout.write(`${line}\n`),
  note: (line) => void process.stderr.write(`${line}\n`),
};

/** Collects lines (tests, and commands that build their output before printing it). */
export function collect(): Output & { lines: string[]; notes: string[] } {
  const lines: string[] = [];
  const notes: string[] = [];
  return { lines, notes, print: (l) => void lines.push(l), note: (l) => void notes.push(l) };
}

/**
 * Resolves once everything written so far to stdout and stderr has been handed to the operating system.
 * On a pipe Node writes asynchronously: a process that exits before this loses whatever the reader has
 * not taken yet (64 KB and more of `audit --json | jq`). A stream already closed (the reader went away)
 * counts as drained.
 */
export function drained(): Promise<void> {
  const flush = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      if (stream.destroyed || !stream.writable) return resolve();
      stream.write('', () => resolve());
    });
  return Promise.all([flush(process.stdout), flush(process.stderr)]).then(() => undefined);
}

/**
 * Lines for a stream, written together once per turn of the event loop, in order. The local stack prints
 * two lines a delivery; under load one write per line was about 3% of its server's CPU. `flush` writes
 * what is pending at once (before the process exits).
 */
export function batchedLines(write: (text: string) => void): { print(line: string): void; flush(): void } {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = `${pending.join('\n')}\n`;
    pending = [];
    write(text);
  };
  return {
    print(line) {
      if (pending.length === 0) setImmediate(flush);
      pending.push(line);
    },
    flush,
  };
}
