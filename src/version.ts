// podgen's version, from package.json (read once at start-up).

import * as fs from 'node:fs';
import * as path from 'node:path';

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
    if (pkg && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // fall through
  }
  return 'unknown';
}

export const PODGEN_VERSION = readVersion();
