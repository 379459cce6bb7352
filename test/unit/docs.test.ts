// The documentation stays true: every accepted key is documented, and the
// README's commands are the ones CI runs.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONTAINER_KEYS, QUADLET_KEYS } from '../../src/decode/containerKeys';
import { REPO_ROOT } from '../support/cli';

describe('documentation', function () {
  it('docs/definition.md documents every key the decoder accepts, with the right engine', function () {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'definition.md'), 'utf8');
    for (const key of [...CONTAINER_KEYS, ...QUADLET_KEYS]) {
      const row = doc.split('\n').find((l) => l.startsWith('|') && l.includes(`\`${key.name}=\``));
      assert.ok(row, `${key.name}= is not documented`);
      if (CONTAINER_KEYS.includes(key)) {
        const engine = (row.split('|')[2] ?? '').trim();
        assert.equal(engine, key.podgen ? 'both' : 'podman', `${key.name}=: engine column`);
      }
    }
  });

  it('.ci/run calls the README test command', function () {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const ci = fs.readFileSync(path.join(REPO_ROOT, '.ci', 'run'), 'utf8');
    assert.match(readme, /```sh\nnpm test\n```/);
    assert.match(ci, /^npm test$/m);
  });
});
