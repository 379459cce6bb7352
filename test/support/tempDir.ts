// A scratch directory per test (or per suite), made before and removed after:
// `let dir = ''; withTempDir('podgen-x-', (d) => (dir = d));`

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function withTempDir(prefix: string, set: (dir: string) => void, scope: 'each' | 'all' = 'each'): void {
  let current = '';
  const make = (): void => {
    current = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    set(current);
  };
  const remove = (): void => {
    if (current) fs.rmSync(current, { recursive: true, force: true });
    current = '';
  };
  if (scope === 'each') {
    beforeEach(make);
    afterEach(remove);
  } else {
    before(make);
    after(remove);
  }
}
