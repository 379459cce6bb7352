// npm run bench: the fuzz run at scale. 10,000 (BENCH_FUZZ_CASES) mutated and
// grammar-built definitions through the generate pipeline, judged as in
// test/cli/fuzz.test.ts (no exit 70, no trace, no partial output, at most
// 2 s), and every accepted case's units through `systemd-analyze verify`.
// The reference, measured in the same run, is generate on the unmutated seed
// definitions: the ratio says whether hostile input costs more than real
// input. Exits 1 when any case failed. BENCH_FUZZ_SEED repeats a run.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canVerifyUnits, fuzzCase, runCase, seedDefinitions, systemdComplaints, type FuzzCase } from '../test/support/fuzz';

const CASES = Number(process.env.BENCH_FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.BENCH_FUZZ_SEED ?? Date.now() % 1_000_000);

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

function main(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-bench-fuzz-'));
  try {
    const seeds = seedDefinitions();
    const verify = canVerifyUnits();
    // Reference: the seed definitions as they are, both engines, three rounds.
    const reference: number[] = [];
    for (let round = 0; round < 3; round++) {
      seeds.forEach((text, i) => {
        const c: FuzzCase = { id: `seed ${i}`, engine: i % 2 ? 'podman' : 'podgen', file: { name: 'web', bytes: Buffer.from(text), dropins: [] } };
        const dir = path.join(work, `ref-${round}-${i}`);
        reference.push(runCase(c, dir).ms);
        fs.rmSync(dir, { recursive: true, force: true });
      });
    }
    const times: number[] = [];
    const exits = new Map<number, number>();
    const failed: string[] = [];
    let verified = 0;
    const t0 = Date.now();
    for (let i = 0; i < CASES; i++) {
      const c = fuzzCase(SEED, i, seeds);
      const dir = path.join(work, String(i));
      const v = runCase(c, dir);
      if (verify && v.exit === 0) {
        v.failures.push(...systemdComplaints(dir).map((l) => `systemd: ${l}`));
        verified++;
      }
      times.push(v.ms);
      exits.set(v.exit, (exits.get(v.exit) ?? 0) + 1);
      if (v.failures.length > 0) failed.push(`${c.id}: ${v.failures.join('; ')}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const wall = (Date.now() - t0) / 1000;
    const refMedian = quantile(reference, 0.5);
    console.log(`fuzz (seed ${SEED}): ${CASES} cases in ${wall.toFixed(1)} s; exits ${[...exits].sort((a, b) => a[0] - b[0]).map(([e, n]) => `${e}x${n}`).join(' ')}`);
    console.log(`  per case: median ${quantile(times, 0.5).toFixed(2)} ms, p99 ${quantile(times, 0.99).toFixed(2)} ms, max ${Math.max(...times).toFixed(1)} ms`);
    console.log(`  reference (${seeds.length} seed definitions x 3): median ${refMedian.toFixed(2)} ms; fuzz/reference median ratio ${(quantile(times, 0.5) / refMedian).toFixed(2)}`);
    console.log(`  systemd-analyze verify: ${verify ? `${verified} accepted cases checked` : 'not installed, skipped'}`);
    console.log(`  failures: ${failed.length}`);
    for (const f of failed.slice(0, 10)) console.log(`    ${f}`);
    if (failed.length > 0) process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
