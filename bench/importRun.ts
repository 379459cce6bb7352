// npm run bench: podgen import run over 1,000 generated docker run lines, in
// one process, two ways: parsed, mapped and written as definitions (what
// `import run` does before its check), and that plus the generate check each
// import makes (`podgen import run` proper); against generating the same
// definitions (the reference, measured in the same run). Issue 14's target:
// 1,000 run lines per second. Never part of `npm test`.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate, machineContext } from '../src/commands/generate';
import { importRunLine } from '../src/commands/importRun';
import { importRun, runWords } from '../src/import/importRun';
import { renderDefinition } from '../src/render/definitionText';
import { defaultSearchEnv } from '../src/resolve/searchPaths';

const LINES = Number(process.env.BENCH_LINES ?? 1000);
const ROUNDS = 5;

function lines(): string[] {
  const out: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const parts = ['docker run -d', `--name app${i}`, `-p ${10000 + i}:80`, `-e MODE=bench -e "INDEX=${i}"`];
    if (i % 2) parts.push('-v /srv/data:/data:ro', '--restart=unless-stopped');
    if (i % 3) parts.push('--memory 256m --cpus 0.5', '--health-cmd "curl -f http://localhost/ || exit 1" --health-interval 30s');
    if (i % 5 === 0) parts.push('--cap-drop ALL --cap-add NET_BIND_SERVICE --read-only --tmpfs /tmp');
    parts.push(`registry.example.com/team/app${i % 17}:1.${i % 5}`, i % 4 ? 'serve --port 80' : '');
    out.push(parts.join(' \\\n  '));
  }
  return out;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function main(): void {
  const ctx = machineContext(false, { ...process.env, PODGEN_NO_VERIFY: '1' });
  const input = lines();
  const opts = { engine: 'podgen' as const, cwd: '/', env: process.env, shortNameRegistry: 'docker.io' };
  const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'podgen-bench-import-'));
  const mapped: number[] = [];
  const checked: number[] = [];
  const reference: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = process.hrtime.bigint();
    const texts = input.map((l) => {
      const imported = importRun(runWords([l], process.env), opts);
      return { name: imported.name, text: renderDefinition({ comments: [l], unit: [], container: imported.assignments }) };
    });
    mapped.push(Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    for (const l of input) importRunLine({ input: [l], engine: 'podgen', ctx, cwd: '/', env: process.env });
    checked.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const files = texts.map((t) => {
      const f = path.join(dir, `${t.name}.container`);
      fs.writeFileSync(f, t.text);
      return f;
    });
    t0 = process.hrtime.bigint();
    generate({ names: files, engine: 'podgen', output: undefined, search: { ...defaultSearchEnv(false), cwd: dir }, ctx });
    reference.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const m = median(mapped);
  const c = median(checked);
  const g = median(reference);
  const rate = (ms: number): string => `${Math.round((LINES * 1000) / ms)} lines/s`;
  console.log(`import run, ${LINES} lines, median of ${ROUNDS}: parse+map+write ${m.toFixed(0)} ms (${rate(m)}); with the generate check per line ${c.toFixed(0)} ms (${rate(c)}; target 1,000 lines/s: ${(LINES * 1000) / c >= 1000 ? 'met' : 'MISSED'})`);
  console.log(`generating the same ${LINES} definitions (reference): ${g.toFixed(0)} ms; import with check / generate = ${(c / g).toFixed(2)}x`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
