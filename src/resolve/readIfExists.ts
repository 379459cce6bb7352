// Reading a file or directory that may legitimately be absent (an optional
// config, a unit not installed yet, state of a container never started).

import * as fs from 'node:fs';

/** The file's text, or undefined when it cannot be read. */
export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The directory's entries, or none when it cannot be read. */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
