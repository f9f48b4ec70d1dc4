import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL } from './defaults';

/** Another running local stack holds the data folder. */
export class DataFolderInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data folder ${dataDir} is in use by another local stack (pid ${pid}): stop that one, ` +
        'or set SYNC_EVENTS_DATA to another folder',
    );
  }
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the data folder for this process: a `lock` file holding its pid, created only if absent. Two
 * stacks on one folder would each open the engine's LevelDB (the second fails deep inside the engine)
 * and append to one notifications file. A lock left by a process that no longer runs is taken over.
 * Returns the release function.
 */
export function lockDataFolder(dataDir: string): () => void {
  const file = path.join(dataDir, LOCAL.lockFile);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // Already gone: nothing to release.
        }
      };
      // A process that ends without stopping the stack (an uncaught error) still lets go of the folder.
      process.once('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && running(holder))
        throw new DataFolderInUse(dataDir, holder);
      // Left by a stack that died without stopping.
      unlinkSync(file);
    }
  }
  throw new Error(`cannot lock the data folder ${dataDir}`);
}
