// writeUnits' last step, renaming staged files into place, is all or nothing:
// a rename that fails half-way puts back what the earlier ones replaced.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../../src/errors';
import { replaceAll } from '../../src/output/writeUnits';
import { withTempDir } from '../support/tempDir';

describe('writeUnits: replacing staged files', function () {
  let dir = '';
  withTempDir('podgen-replace-', (d) => (dir = d));

  it('a rename failing half-way restores the replaced file, removes the new one and every temporary', function () {
    const tag = '.podgen-1-2';
    const p = (n: string): string => path.join(dir, n);
    fs.writeFileSync(p('a.service'), 'OLD A\n');
    fs.writeFileSync(p(`a.service${tag}`), 'NEW A\n');
    fs.writeFileSync(p(`b.service${tag}`), 'NEW B\n');
    fs.writeFileSync(p(`d.service${tag}`), 'NEW D\n');
    const staged = [
      { temp: p(`a.service${tag}`), final: p('a.service') },
      { temp: p(`b.service${tag}`), final: p('b.service') },
      // Its temporary vanished (say, removed by hand): this rename fails.
      { temp: p(`c.service${tag}`), final: p('c.service') },
      { temp: p(`d.service${tag}`), final: p('d.service') },
    ];
    assert.throws(() => replaceAll(dir, staged, tag), (e: unknown) => e instanceof PodgenError && e.exitCode === 73 && /cannot write unit files/.test(e.message));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.service']);
    assert.equal(fs.readFileSync(p('a.service'), 'utf8'), 'OLD A\n');
  });

  it('on success every file is the new one and no backup is left', function () {
    const tag = '.podgen-1-3';
    const p = (n: string): string => path.join(dir, n);
    fs.writeFileSync(p('a.service'), 'OLD A\n');
    fs.writeFileSync(p(`a.service${tag}`), 'NEW A\n');
    fs.writeFileSync(p(`b.service${tag}`), 'NEW B\n');
    replaceAll(dir, [{ temp: p(`a.service${tag}`), final: p('a.service') }, { temp: p(`b.service${tag}`), final: p('b.service') }], tag);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.service', 'b.service']);
    assert.equal(fs.readFileSync(p('a.service'), 'utf8'), 'NEW A\n');
  });
});
