// What the sandbox benchmarks share: the busybox test image (in a local
// registry for podgen, imported into the sandbox's vfs storage for podman),
// "does the port answer", medians, and the resident memory a unit holds
// besides its container.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { compress, diffIdOf, imageOf, pushImage, tarOf } from '../test/support/images';
import type { TestRegistry } from '../test/support/registry';
import type { Sandbox } from '../test/support/sandbox';
import type { RawBus } from '../src/manage/bus';

export const REPO = path.resolve(__dirname, '..', '..');
export const PODGEN = path.join(REPO, 'bin', 'podgen');
/** The image podman runs: the same busybox, imported into the sandbox's vfs storage. */
export const PODMAN_IMAGE = 'localhost/bench-bb:latest';
/** podman's side of the comparison: vfs (the sandbox's root is an overlay) and runc, as podgen. */
export const PODMAN_KEYS = 'GlobalArgs=--storage-driver vfs --runtime runc\nPidsLimit=-1\n';

export function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Poll every 2 ms until the port answers; milliseconds since t0 (hrtime). */
export async function untilAnswering(port: number, t0: bigint, what: string, explain: () => string): Promise<number> {
  while (!(await answers(port))) {
    if (Number(process.hrtime.bigint() - t0) > 90e9) throw new Error(`${what} did not answer within 90 s: ${explain()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** busybox (+ sh, passwd) in one layer, pushed to the registry; returns its reference and a plain rootfs copy inside the sandbox. */
export async function busyboxEverywhere(reg: TestRegistry, sb: Sandbox): Promise<{ image: string; rootfs: string }> {
  // One layer, no whiteouts: the sandbox's store sits on overlayfs, which refuses whiteout nodes.
  const tar = tarOf({ 'bin/busybox': { copy: '/bin/busybox' }, 'bin/sh': { symlink: 'busybox' }, 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n' });
  await pushImage(reg, 'bench/bb', '1', imageOf([compress(tar, 'gzip')], [diffIdOf(tar)]));
  const rootfs = path.join(sb.root, 'var/tmp/bench-bb');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  spawnSync('tar', ['-C', rootfs, '-cf', path.join(sb.root, 'var/tmp/bench-bb.tar'), '.']);
  sb.execOk(['podman', '--storage-driver', 'vfs', 'import', '-q', '/var/tmp/bench-bb.tar', PODMAN_IMAGE]);
  return { image: `${reg.address}/bench/bb:1`, rootfs };
}

/**
 * Resident KiB of the unit's processes other than the container's own (podgen/runc, or
 * podman/conmon): VmRSS, and of it the private part (RssAnon: what is not shared file pages).
 */
export function overheadKiB(sb: Sandbox, unit: string, containerComm: string): { kib: number; privateKib: number; processes: string[] } {
  const cg = sb.execOk(['systemctl', 'show', '-p', 'ControlGroup', '--value', unit]).trim();
  if (!cg) return { kib: 0, privateKib: 0, processes: [] };
  const out = sb.execOk(['sh', '-c', `for p in $(find /sys/fs/cgroup${cg} -name cgroup.procs -exec cat {} + 2>/dev/null); do echo "$(cat /proc/$p/comm) $(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} END {print r, a}' /proc/$p/status)"; done`]);
  const rows = out.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string, string]);
  const others = rows.filter(([comm]) => comm !== containerComm);
  return {
    kib: others.reduce((s, [, kb]) => s + Number(kb || 0), 0),
    privateKib: others.reduce((s, [, , anon]) => s + Number(anon || 0), 0),
    processes: others.map(([c, kb, anon]) => `${c} ${kb} KiB, ${anon} KiB private`),
  };
}

/**
 * The bare reference unit: podgen's own config.json for the container FROM (started once to
 * write it), on a plain copy of the root file system, run by `runc run` as the whole unit
 * UNIT.service, busybox httpd on PORT; UNITSECTION and SERVICE add [Unit] and [Service] lines.
 */
export function bareRuncUnit(sb: Sandbox, o: { from: string; rootfs: string; unit: string; port: number; unitSection: string; service: string }): void {
  if (sb.exec(['systemctl', 'start', `${o.from}.service`]).status !== 0) throw new Error(sb.exec(['journalctl', '-u', `${o.from}.service`, '--no-pager', '-n', '30']).stdout);
  type Config = { root: { path: string }; process: { args: string[] }; linux: { cgroupsPath: string }; mounts: Array<{ destination: string }> };
  const config = JSON.parse(sb.execOk(['cat', `/run/podgen/containers/${o.from}/config.json`])) as Config;
  sb.execOk(['systemctl', 'stop', `${o.from}.service`]);
  const bare = `/var/tmp/bench-${o.unit}`;
  fs.mkdirSync(path.join(sb.root, bare), { recursive: true });
  fs.cpSync(o.rootfs, path.join(sb.root, bare, 'rootfs'), { recursive: true });
  config.root.path = 'rootfs';
  config.process.args = ['/bin/busybox', 'httpd', '-f', '-p', `127.0.0.1:${o.port}`];
  config.linux.cgroupsPath = `/system.slice/${o.unit}.service/container`;
  config.mounts = config.mounts.filter((m) => !m.destination.startsWith('/etc/'));
  fs.writeFileSync(path.join(sb.root, bare, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(
    path.join(sb.unitDir, `${o.unit}.service`),
    `[Unit]\n${o.unitSection}\n[Service]\nDelegate=yes\nKillMode=mixed\nTimeoutStopSec=1\nExecStart=/usr/bin/runc --root /run/bench-runc run --bundle ${bare} ${o.unit}\nExecStopPost=/usr/bin/runc --root /run/bench-runc delete -f ${o.unit}\n${o.service}`,
  );
  sb.execOk(['systemctl', 'daemon-reload']);
}

/**
 * Keep units loaded in systemd for as long as BUS is connected (Unit.Ref). systemd unloads an
 * inactive unit nothing refers to, and loads it again (reading its files) at the next start: a
 * unit whose stop ended cleanly would pay ~5 ms there that one whose stop "failed" does not, so a
 * fair start-latency comparison pins them all.
 */
export async function pinUnits(bus: RawBus, units: readonly string[]): Promise<void> {
  for (const unit of units) {
    const [objectPath] = await bus.call('org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'LoadUnit', 's', [unit]);
    await bus.call('org.freedesktop.systemd1', String(objectPath), 'org.freedesktop.systemd1.Unit', 'Ref', '', []);
  }
}
