// The fuzz test in npm test: a few hundred random and mutated definitions
// through the generate pipeline (test/support/fuzz.ts says what is judged).
// bench/fuzz.ts runs the same with 10,000 and more. A failure prints the case
// id: PODGEN_FUZZ_SEED=<seed> reproduces the run.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canVerifyUnits, fuzzCase, runCase, seedDefinitions, systemdComplaints, type Verdict } from '../support/fuzz';
import { podgen } from '../support/cli';
import { withTempDir } from '../support/tempDir';

const CASES = 400;

describe(`fuzz: ${CASES} mutated and grammar-built definitions through generate`, function () {
  this.timeout(600_000);
  let work = '';
  withTempDir('podgen-fuzz-', (d) => (work = d), 'all');

  it('never exit 70, never a stack trace, never over 2 s, never partial output; systemd takes every accepted unit as written', function () {
    const verify = canVerifyUnits();
    if (verify) {
      // The judge itself: a unit systemd would read differently must be caught.
      const probe = path.join(work, 'probe');
      fs.mkdirSync(path.join(probe, 'out'), { recursive: true });
      fs.writeFileSync(path.join(probe, 'out/p.service'), '[Unit]\nWnats=x.service\nAfter=%h.mount\n[Service]\nExecStart=/bin/true\nTimeoutStopSec=yes\n');
      assert.equal(systemdComplaints(probe).length, 3, systemdComplaints(probe).join('\n'));
    } else console.log('      (systemd-analyze is not installed, so accepted units are not verified; test/prepare-host.sh installs it)');
    const seed = Number(process.env.PODGEN_FUZZ_SEED ?? Date.now() % 1_000_000);
    const seeds = seedDefinitions();
    assert.ok(seeds.length >= 10, `only ${seeds.length} seed definitions found`);
    const bad: Array<{ id: string; v: Verdict }> = [];
    const exits = new Map<number, number>();
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const c = fuzzCase(seed, i, seeds);
      const dir = path.join(work, String(i));
      const v = runCase(c, dir);
      if (verify && v.exit === 0) v.failures.push(...systemdComplaints(dir).map((l) => `systemd: ${l}`));
      exits.set(v.exit, (exits.get(v.exit) ?? 0) + 1);
      slowest = Math.max(slowest, v.ms);
      if (v.failures.length > 0) bad.push({ id: c.id, v });
    }
    console.log(`      seed ${seed}: ${CASES} cases, exits ${[...exits].sort((a, b) => a[0] - b[0]).map(([e, n]) => `${e}x${n}`).join(' ')}, slowest ${slowest.toFixed(0)} ms, ${bad.length} failures`);
    // Both outcomes must occur, or the generator has stopped exercising one side.
    assert.ok((exits.get(0) ?? 0) > 0 && (exits.get(65) ?? 0) > 0, 'the cases no longer produce both valid and invalid definitions');
    assert.deepEqual(
      bad.slice(0, 5).map((b) => `${b.id}: ${b.v.failures.join('; ')}\n${b.v.stderr.slice(0, 800)}`),
      [],
      `${bad.length} of ${CASES} cases failed (PODGEN_FUZZ_SEED=${seed} reproduces)`,
    );
  });

  it('through the real CLI, a fuzzed definition exits with a documented code and no trace', function () {
    const seeds = seedDefinitions();
    const documented = [0, 65, 66, 73];
    for (let i = 0; i < 12; i++) {
      const c = fuzzCase(4242, i, seeds);
      const dir = path.join(work, `cli${i}`);
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${c.file.name.slice(0, 200)}.container`);
      fs.writeFileSync(file, c.file.bytes);
      const r = podgen(['generate', '--engine', c.engine, file], { cwd: dir, env: { QUADLET_UNIT_DIRS: dir } });
      assert.ok(documented.includes(r.status), `${c.id}: exit ${r.status}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|^\s+at .+:\d+:\d+\)?$/m, c.id);
    }
  });
});
