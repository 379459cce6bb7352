// A lock between podgen processes: a file created exclusively, holding the
// owner's PID. A lock whose owner died (even by kill -9) is taken over.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { processGone } from '../process/gone';

function ownerDead(lockPath: string): boolean {
  try {
    const text = fs.readFileSync(lockPath, 'utf8');
    const pid = Number(text);
    if (text === '' || !Number.isInteger(pid) || pid <= 0) {
      // Being written right now — or its writer died between creating and writing it.
      return Date.now() - fs.statSync(lockPath).mtimeMs > 5_000;
    }
    return processGone(pid);
  } catch {
    return false; // the lock went away meanwhile: try again
  }
}

/** Run fn while holding the lock at lockPath; waits up to timeoutMs for another holder. */
export async function withLockFile<T>(lockPath: string, what: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (ownerDead(lockPath)) {
        fs.rmSync(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new PodgenError(`${what} is locked by another podgen`, { kind: 'unavailable', hint: `if no podgen is running, remove ${lockPath}` });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}
