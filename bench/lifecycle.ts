// npm run bench (lifecycle): in the nspawn sandbox's real systemd, 100
// definitions brought up by one `podgen up -f DIR` vs a shell loop of
// `systemctl enable --now` on the same pre-generated units; and `podgen ps`
// of those 100 units vs `systemctl list-units` + one `systemctl show` per unit.
// The containers run through podgen's own engine (runc), busybox sleep, no network;
// BENCH_ENGINE=podman runs the same comparison on podman-engine units.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compress, diffIdOf, imageOf, pushImage, tarOf } from '../test/support/images';
import { TestRegistry } from '../test/support/registry';
import { hostSideEnv, Sandbox } from '../test/support/sandbox';

const REPO = path.resolve(__dirname, '..', '..');
const PODGEN = path.join(REPO, 'bin', 'podgen');
const N = Number(process.env.BENCH_UNITS ?? 100);
const ENGINE = process.env.BENCH_ENGINE === 'podman' ? 'podman' : 'podgen';

function timed(argv: readonly string[], env: NodeJS.ProcessEnv = {}): { ms: number; stdout: string; stderr: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return { ms, stdout: r.stdout, stderr: r.stderr };
}

async function main(): Promise<void> {
  const reg = await TestRegistry.start();
  const sb = Sandbox.boot();
  const scratch: string[] = [];
  try {
    let image = 'localhost/bench-bb:latest';
    if (ENGINE === 'podman') {
      const rootfs = path.join(sb.root, 'var/tmp/bench-bb');
      fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
      fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
      fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
      spawnSync('tar', ['-C', rootfs, '-cf', path.join(sb.root, 'var/tmp/bench-bb.tar'), '.']);
      sb.execOk(['podman', '--storage-driver', 'vfs', 'import', '-q', '/var/tmp/bench-bb.tar', image]);
    } else {
      // One layer, no whiteouts (the sandbox's store sits on overlayfs); `podgen up` pulls it before starting.
      const tar = tarOf({ 'bin/busybox': { copy: '/bin/busybox' }, 'bin/sh': { symlink: 'busybox' } });
      await pushImage(reg, 'bench/bb', '1', imageOf([compress(tar, 'gzip')], [diffIdOf(tar)]));
      image = `${reg.address}/bench/bb:1`;
    }
    const defs = fs.mkdtempSync('/var/tmp/podgen-bench-defs-');
    scratch.push(defs);
    const engineKeys = ENGINE === 'podman' ? 'GlobalArgs=--storage-driver vfs --runtime runc\nPidsLimit=-1\n' : '';
    const def = (i: number, prefix: string): string =>
      `[Container]\nImage=${image}\n${engineKeys}Network=none\nStopTimeout=1\nExec=/bin/busybox sleep 3600\nContainerName=${prefix}${i}\n\n[Install]\nWantedBy=multi-user.target\n`;
    for (let i = 0; i < N; i++) fs.writeFileSync(path.join(defs, `pg${i}.container`), def(i, 'pg'));
    const env = hostSideEnv(sb, defs);
    const up = timed([process.execPath, PODGEN, 'up', '--engine', ENGINE, '-f', defs], env);
    if (process.env.PODGEN_TRACE) console.log(up.stderr);
    // ps where systemd is PID 1, as an admin runs it (root: systemd's private socket), like the reference loop.
    const psInside = ['nsenter', '-t', String(sb.pid), '-a', process.execPath, PODGEN, 'ps', '--json'];
    const psTimes: number[] = [];
    for (let k = 0; k < 15; k++) psTimes.push(timed(psInside).ms);
    const psRows = (JSON.parse(timed(psInside).stdout) as unknown[]).length;
    // The reference for ps: what a script does with systemctl for the same units.
    const showScript = `systemctl list-units --no-legend 'pg*.service' >/dev/null; for i in $(seq 0 ${N - 1}); do systemctl show pg$i.service >/dev/null; done`;
    const showLoop = timed(['nsenter', '-t', String(sb.pid), '-a', 'sh', '-c', showScript]);

    // The reference: the same kind of units, generated beforehand, enabled and started one by one.
    const loopDefs = fs.mkdtempSync('/var/tmp/podgen-bench-loop-');
    scratch.push(loopDefs);
    for (let i = 0; i < N; i++) fs.writeFileSync(path.join(loopDefs, `sh${i}.container`), def(i, 'sh'));
    timed([process.execPath, PODGEN, 'generate', '--engine', ENGINE, '--output', sb.unitDir, ...fs.readdirSync(loopDefs).map((f) => path.join(loopDefs, f))], { QUADLET_UNIT_DIRS: loopDefs });
    sb.execOk(['systemctl', 'daemon-reload']);
    const script = `for i in $(seq 0 ${N - 1}); do systemctl enable --now sh$i.service || exit 1; done`;
    const loop = timed(['nsenter', '-t', String(sb.pid), '-a', 'sh', '-c', script]);

    const psMedian = [...psTimes].sort((a, b) => a - b)[7] as number;

    console.log(
      [
        `bench/lifecycle: ${N} containers (${ENGINE} engine, busybox sleep, no network), real systemd 252 in the nspawn sandbox`,
        `  podgen up -f DIR (generate, install, 1 reload, enable, start, wait, settle): ${up.ms.toFixed(0)} ms; systemctl enable --now loop on pre-generated units: ${loop.ms.toFixed(0)} ms  [target >= 5x faster: ${loop.ms / up.ms >= 5 ? 'met' : 'MISSED'} (${(loop.ms / up.ms).toFixed(2)}x)]`,
        `  podgen ps of ${psRows} units: ${psMedian.toFixed(0)} ms (median of 15, incl. Node start and nsenter); list-units + systemctl show per unit: ${showLoop.ms.toFixed(0)} ms  [target < 200 ms: ${psMedian < 200 ? 'met' : 'MISSED'}]`,
      ].join('\n'),
    );
    console.log(JSON.stringify({ bench: 'lifecycle', engine: ENGINE, units: N, upMs: up.ms, loopMs: loop.ms, psMs: psMedian, psRows, showLoopMs: showLoop.ms }));
  } finally {
    sb.halt();
    reg.stop();
    for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
  }
}

void main();
