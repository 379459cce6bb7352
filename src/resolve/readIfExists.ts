// Reading a file that may legitimately be absent (an optional config, a unit
// not installed yet).

import * as fs from 'node:fs';

/** The file's text, or undefined when it cannot be read. */
export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
