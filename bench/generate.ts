// npm run bench: podgen generate on 1,000 varied definitions, against
// `podman generate systemd --new --name` measured in the same run on
// containers created from a locally imported busybox image (no network).
// Reports wall time and the per-unit ratio. Never part of `npm test`.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const PODGEN = path.join(REPO, 'bin', 'podgen');
const DEFINITIONS = Number(process.env.BENCH_DEFINITIONS ?? 1000);
const PODMAN_CONTAINERS = Number(process.env.BENCH_PODMAN_CONTAINERS ?? 100);
const ROUNDS = 7;

function run(argv: readonly string[], opts: { cwd?: string } = {}): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { cwd: opts.cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} ... failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/** 1,000 definitions that differ in shape: ports, volumes, env, restart policies, templates, drop-ins. */
function writeDefinitions(dir: string): string[] {
  const policies = ['no', 'always', 'unless-stopped', 'on-failure', 'on-failure:3'];
  const files: string[] = [];
  for (let i = 0; i < DEFINITIONS; i++) {
    const template = i % 10 === 9;
    const name = template ? `svc${i}@.container` : `svc${i}.container`;
    const lines = ['[Unit]', `Description=bench container ${i}`, '', '[Container]', `Image=registry.example.com/team/app${i % 17}:${1 + (i % 5)}.0`];
    for (let p = 0; p < i % 4; p++) lines.push(`PublishPort=${10000 + i * 4 + p}:${80 + p}`);
    for (let v = 0; v < i % 3; v++) lines.push(`Volume=/srv/app${i}/v${v}:/data${v}${v % 2 ? ':ro' : ''}`);
    lines.push(`Environment=INDEX=${i} "GREETING=hello ${i}" MODE=${i % 2 ? 'prod' : 'dev'}`);
    if (i % 3 === 0) lines.push('Exec=/app --serve "--name=bench app"');
    if (i % 5 === 0) lines.push('ReadOnly=yes', 'NoNewPrivileges=yes', 'DropCapability=ALL', 'AddCapability=CAP_NET_BIND_SERVICE');
    if (i % 7 === 0) lines.push('Memory=256m', 'PidsLimit=100', 'Ulimit=nofile=1024:2048');
    if (i % 11 === 0) lines.push('Notify=yes');
    lines.push(`RestartPolicy=${policies[i % policies.length]}`);
    lines.push('', '[Install]', 'WantedBy=multi-user.target');
    if (template) lines.push('DefaultInstance=1');
    fs.writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
    if (i % 13 === 0) {
      fs.mkdirSync(path.join(dir, `${name}.d`));
      fs.writeFileSync(path.join(dir, `${name}.d`, '10-extra.conf'), '[Container]\nEnvironment=FROM_DROPIN=1\n');
    }
    files.push(path.join(dir, name));
  }
  return files;
}

// Outputs are removed only at the end: on file systems mounted with "discard" a mass delete
// slows the next round's file creation several-fold, which would measure the disk, not podgen.
const outputs: string[] = [];
const WARMUP = 2;

/** Median wall time of one `podgen generate` process over all definitions; to stdout (like podman) or --output. */
function benchPodgen(dir: string, files: readonly string[], mode: 'stdout' | 'output'): number[] {
  const times: number[] = [];
  const names = files.map((f) => path.basename(f));
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const args = ['generate', ...names];
    let out: string | undefined;
    if (mode === 'output') {
      out = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-bench-out-'));
      outputs.push(out);
      args.splice(1, 0, '--output', out);
    }
    // Flush earlier writes first, so each round pays for its own I/O only.
    spawnSync('sync');
    const r = run([process.execPath, PODGEN, ...args], { cwd: dir });
    if (round >= WARMUP) times.push(r.ms);
    const units = out ? fs.readdirSync(out).filter((f) => f.endsWith('.service')).length : (r.stdout.match(/^---.*\.service---$/gm) ?? []).length;
    if (units !== files.length) throw new Error(`expected ${files.length} units, found ${units}`);
  }
  return times;
}

function benchPodman(work: string): number[] {
  const podman = [
    'podman',
    '--root', path.join(work, 'storage'),
    '--runroot', path.join(work, 'run'),
    '--storage-driver', 'vfs',
    '--cgroup-manager', 'cgroupfs',
    '--events-backend', 'none',
  ];
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  fs.symlinkSync('busybox', path.join(rootfs, 'bin', 'sh'));
  run(['tar', '-C', rootfs, '-cf', path.join(work, 'rootfs.tar'), '.']);
  run([...podman, 'import', path.join(work, 'rootfs.tar'), 'localhost/podgen-bench:latest']);
  for (let i = 0; i < PODMAN_CONTAINERS; i++) {
    const args = [...podman, 'create', '--name', `bench${i}`, '-e', `INDEX=${i}`, '-e', `GREETING=hello ${i}`];
    for (let p = 0; p < i % 4; p++) args.push('-p', `${10000 + i * 4 + p}:${80 + p}`);
    for (let v = 0; v < i % 3; v++) {
      const source = path.join(work, 'volumes', `app${i}-v${v}`);
      fs.mkdirSync(source, { recursive: true });
      args.push('-v', `${source}:/data${v}`);
    }
    run([...args, 'localhost/podgen-bench:latest', '/bin/sh', '-c', 'sleep 1000']);
  }
  const times: number[] = [];
  for (let i = 0; i < PODMAN_CONTAINERS; i++) {
    const r = run([...podman, 'generate', 'systemd', '--new', '--name', `bench${i}`]);
    if (!r.stdout.includes('ExecStart=')) throw new Error('podman generate systemd printed no unit');
    times.push(r.ms);
  }
  spawnSync(podman[0] as string, [...podman.slice(1), 'rm', '-a', '-f'], { stdio: 'ignore' });
  return times;
}

function main(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-bench-'));
  try {
    const defs = path.join(work, 'defs');
    fs.mkdirSync(defs);
    const files = writeDefinitions(defs);
    const stdoutTimes = benchPodgen(defs, files, 'stdout');
    const outputTimes = benchPodgen(defs, files, 'output');
    const stdoutWall = median(stdoutTimes);
    const outputWall = median(outputTimes);
    const podgenPerUnit = stdoutWall / files.length;
    const podmanTimes = process.env.BENCH_SKIP_PODMAN ? [NaN] : benchPodman(path.join(work, 'podman'));
    const podmanPerUnit = median(podmanTimes);
    const ratio = podmanPerUnit / podgenPerUnit;
    const lines = [
      `bench/generate: ${files.length} definitions; one podgen process per round, ${WARMUP} warm-up + ${ROUNDS} timed rounds (median); wall time includes Node start-up`,
      `  podgen generate (units to stdout, as podman prints them): ${stdoutWall.toFixed(0)} ms, ${(podgenPerUnit * 1000).toFixed(0)} us per unit  [rounds: ${stdoutTimes.map((t) => t.toFixed(0)).join(', ')}]`,
      `  podgen generate --output (files + [Install] links written):  ${outputWall.toFixed(0)} ms  [target < 1000 ms: ${outputWall < 1000 ? 'met' : 'MISSED'}]  [rounds: ${outputTimes.map((t) => t.toFixed(0)).join(', ')}]`,
      `  podman generate systemd --new --name, ${podmanTimes.length} containers (podman needs one process per unit): ${podmanPerUnit.toFixed(1)} ms per unit (median)`,
      `  per-unit ratio podman/podgen: ${ratio.toFixed(0)}x  [target >= 50x: ${ratio >= 50 ? 'met' : 'MISSED'}]`,
    ];
    console.log(lines.join('\n'));
    console.log(JSON.stringify({ bench: 'generate', definitions: files.length, stdoutWallMs: stdoutWall, outputWallMs: outputWall, podgenPerUnitMs: podgenPerUnit, podmanPerUnitMs: podmanPerUnit, ratio }));
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${work}`);
    else for (const d of [work, ...outputs]) fs.rmSync(d, { recursive: true, force: true });
  }
}

main();
