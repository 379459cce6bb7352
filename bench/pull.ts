// npm run bench (pull): the same multi-layer image from a local registry on
// 127.0.0.1, in one run: podgen pull vs `skopeo copy` to a local dir (the
// transfer) vs `podman pull` with vfs storage (the usual daemonless path),
// and the time until a root file system is ready to start a container:
// podgen = pull + unpack + overlay mount; podman = pull into vfs + create.

import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { busyboxImage, compress, diffIdOf, imageOf, pushImage, tarOf } from '../test/support/images';
import { TestRegistry } from '../test/support/registry';

const REPO = path.resolve(__dirname, '..', '..');
const PODGEN = path.join(REPO, 'bin', 'podgen');
const ROUNDS = 5;

function timed(argv: readonly string[], env: NodeJS.ProcessEnv = {}): number {
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.slice(0, 3).join(' ')} failed: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const work = fs.mkdtempSync('/var/tmp/podgen-bench-pull-');
  const reg = await TestRegistry.start();
  try {
    // Five layers, ~60 MiB compressed: busybox, then four layers of incompressible data.
    const base = busyboxImage();
    const extra = [1, 2, 3, 4].map((i) => compress(tarOf({ [`data/layer${i}.bin`]: { bytes: crypto.randomBytes(15 * 1024 * 1024) } }), 'gzip'));
    const layers = [...base.layers, ...extra];
    const diffIds = [
      ...(JSON.parse(base.config.bytes.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids,
      ...extra.map((l) => diffIdOf(zlib.gunzipSync(l.bytes))),
    ];
    const image = imageOf(layers, diffIds);
    await pushImage(reg, 'bench/big', 'v1', image);
    const ref = `${reg.address}/bench/big:v1`;
    const mib = layers.reduce((a, l) => a + l.bytes.length, 0) / 1024 / 1024;

    const podgenPull: number[] = [];
    const podgenReady: number[] = [];
    const skopeo: number[] = [];
    const podmanPull: number[] = [];
    const podmanReady: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const store = path.join(work, `podgen-${round}`);
      // podgen: transfer only (unpacking needs root; measured separately below when root).
      podgenPull.push(timed([process.execPath, PODGEN, 'pull', '-q', '--no-unpack', ref], { PODGEN_STORE: store }));
      if (process.getuid?.() === 0) {
        const store2 = path.join(work, `podgen-ready-${round}`);
        const container = path.join(store2, 'c');
        const t = timed([process.execPath, PODGEN, 'pull', '-q', ref], { PODGEN_STORE: store2 });
        const layerDirs = (JSON.parse(spawnSync(process.execPath, [PODGEN, 'image', 'inspect', ref], { encoding: 'utf8', env: { ...process.env, PODGEN_STORE: store2 } }).stdout) as {
          layers: Array<{ unpacked: string }>;
        }).layers.map((l) => l.unpacked);
        fs.mkdirSync(path.join(container, 'upper'), { recursive: true });
        fs.mkdirSync(path.join(container, 'work'));
        fs.mkdirSync(path.join(container, 'rootfs'));
        const lower = [...layerDirs].reverse().join(':');
        const m = timed(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${container}/upper,workdir=${container}/work`, `${container}/rootfs`]);
        spawnSync('umount', [`${container}/rootfs`]);
        podgenReady.push(t + m);
      }
      skopeo.push(timed(['skopeo', 'copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `dir:${path.join(work, `skopeo-${round}`)}`]));
      const podman = ['podman', '--root', path.join(work, `podman-${round}`), '--runroot', path.join(work, `podman-run-${round}`), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
      podmanPull.push(timed([...podman, 'pull', '-q', '--tls-verify=false', ref]));
      podmanReady.push(podmanPull[podmanPull.length - 1] as number + timed([...podman, 'create', '--name', `c${round}`, ref, '/bin/true']));
      spawnSync(podman[0] as string, [...podman.slice(1), 'rm', '-a', '-f'], { stdio: 'ignore' });
    }
    const p = median(podgenPull);
    const s = median(skopeo);
    const pm = median(podmanPull);
    const lines = [
      `bench/pull: ${layers.length} layers, ${mib.toFixed(1)} MiB compressed, local registry on 127.0.0.1; ${ROUNDS} rounds (median), each into an empty store`,
      `  transfer: podgen pull ${p.toFixed(0)} ms; skopeo copy to dir ${s.toFixed(0)} ms; podman pull (vfs) ${pm.toFixed(0)} ms  [target podgen <= skopeo: ${p <= s ? 'met' : 'MISSED'} (${(s / p).toFixed(2)}x)]`,
    ];
    if (podgenReady.length > 0) {
      const r = median(podgenReady);
      const pr = median(podmanReady);
      lines.push(`  rootfs ready: podgen pull + unpack + overlay mount ${r.toFixed(0)} ms; podman pull + create (vfs) ${pr.toFixed(0)} ms  [target >= 2x faster: ${pr / r >= 2 ? 'met' : 'MISSED'} (${(pr / r).toFixed(2)}x)]`);
    }
    console.log(lines.join('\n'));
    console.log(JSON.stringify({ bench: 'pull', mib, podgenPullMs: p, skopeoMs: s, podmanPullMs: pm, podgenReadyMs: podgenReady.length ? median(podgenReady) : null, podmanReadyMs: median(podmanReady) }));
  } finally {
    reg.stop();
    spawnSync('rm', ['-rf', work]);
  }
}

void main();
