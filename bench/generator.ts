// npm run bench: podgen's systemd generator pass over 1,000 definitions (Node
// start included, as systemd runs it at boot), against `podgen generate
// --output` of the same files in the same run, both writing to a tmpfs as at
// boot. Issue 13's target: < 1 s.
// Never part of `npm test`.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const PODGEN = path.join(REPO, 'bin', 'podgen');
const DEFINITIONS = Number(process.env.BENCH_DEFINITIONS ?? 1000);
const ROUNDS = 7;

function timed(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  return ms;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function main(): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-bench-generator-'));
  const defs = path.join(root, 'defs');
  fs.mkdirSync(defs);
  const files: string[] = [];
  for (let i = 0; i < DEFINITIONS; i++) {
    const lines = ['[Unit]', `Description=bench ${i}`, '', '[Container]', `Image=registry.example.com/team/app${i % 17}:1.${i % 5}`];
    for (let p = 0; p < i % 3; p++) lines.push(`PublishPort=${10000 + i * 3 + p}:${80 + p}`);
    if (i % 2) lines.push(`Environment=INDEX=${i} MODE=bench`);
    if (i % 5 === 0) lines.push('RestartPolicy=always');
    lines.push('', '[Install]', 'WantedBy=multi-user.target', '');
    const file = path.join(defs, `app${i}.container`);
    fs.writeFileSync(file, lines.join('\n'));
    files.push(file);
  }
  const env = { PODGEN_DEFINITION_DIRS: defs, QUADLET_UNIT_DIRS: path.join(root, 'no-quadlet'), PODGEN_NO_VERIFY: '1', SYSTEMD_SCOPE: 'system' };
  // systemd gives generators a directory on a tmpfs (/run/systemd/generator): the units go to one here too.
  const out = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'podgen-bench-generator-out-'));
  const gen: number[] = [];
  const ref: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const d of ['g', 'o']) fs.rmSync(path.join(out, d), { recursive: true, force: true });
    fs.mkdirSync(path.join(out, 'g'));
    fs.mkdirSync(path.join(out, 'o'));
    gen.push(timed([process.execPath, PODGEN, 'generator', path.join(out, 'g'), path.join(out, 'e'), path.join(out, 'l')], env));
    ref.push(timed([process.execPath, PODGEN, 'generate', '--output', path.join(out, 'o'), ...files], env));
  }
  const written = fs.readdirSync(path.join(out, 'g')).filter((f) => f.endsWith('.service')).length;
  if (written !== DEFINITIONS) throw new Error(`the generator wrote ${written} units, expected ${DEFINITIONS}`);
  const g = median(gen);
  const o = median(ref);
  console.log(`generator pass, ${DEFINITIONS} definitions (Node start included), median of ${ROUNDS}: ${g.toFixed(0)} ms (target < 1000 ms: ${g < 1000 ? 'met' : 'MISSED'})`);
  console.log(`podgen generate --output of the same files: ${o.toFixed(0)} ms; generator / generate = ${(g / o).toFixed(2)}x`);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
}

main();
