// shellWord: the words of the units' sh lines (the fast restart's `exec podgen-start ...` and
// the fallback ExecStartPost) must reach the program exactly as written, whatever they hold.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { shellWord } from '../../src/render/escape';

/** What /bin/sh makes of the words as the unit's script writes them. */
function throughSh(words: readonly string[]): string[] {
  const r = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${words.map(shellWord).join(' ')}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

describe('shellWord (sh quoting of unit script words)', function () {
  it('leaves plainly safe words bare and quotes the rest', function () {
    assert.equal(shellWord('/usr/bin/runc'), '/usr/bin/runc');
    assert.equal(shellWord('--root'), '--root');
    assert.equal(shellWord('%t/podgen/runc'), "'%t/podgen/runc'");
    assert.equal(shellWord("it's"), "'it'\\''s'");
  });

  it('every word reaches the program byte for byte: spaces, quotes, $, `, globs, newlines (fast-check, seed printed on failure)', function () {
    const word = fc.string({ unit: fc.constantFrom(...'ab /.-_%$`\'"\\*?[]{}~#;&|<>()!\n\t='.split('')), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), (words) => {
        assert.deepEqual(throughSh(words), words);
      }),
      { numRuns: 100, seed: Number(process.env.PODGEN_FC_SEED ?? Date.now() % 2 ** 31) },
    );
  });
});
