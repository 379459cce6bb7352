// Where a container's pieces live. The bundle (config.json, /etc files, the
// network state) is per boot, under the runtime directory; the writable layer
// and its rootfs mount point live in the store, on disk, so a container that
// writes a lot does not fill /run (a tmpfs).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultStoreRoot } from '../image/store';
import { listDir, readIfExists } from '../resolve/readIfExists';

/**
 * Docker's and podman's default seccomp profile (containers-common's seccomp.json, Apache-2.0),
 * shipped with podgen: containers run under it unless unconfined or privileged.
 */
export const DEFAULT_SECCOMP_PROFILE = path.resolve(__dirname, '..', '..', '..', 'profiles', 'seccomp.json');

/** What rootless containers need, where Debian installs it (uidmap, passt and util-linux). */
export const ROOTLESS_BINARIES = { newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap', pasta: '/usr/bin/pasta', unshare: '/usr/bin/unshare', nsenter: '/usr/bin/nsenter', ip: '/usr/sbin/ip', sleep: '/bin/sleep', systemdRun: '/usr/bin/systemd-run', systemctl: '/usr/bin/systemctl' } as const;

/** The OCI runtimes podgen runs, where Debian installs them. */
export const RUNTIME_BINARIES: Readonly<Record<'runc' | 'crun', string>> = { runc: '/usr/bin/runc', crun: '/usr/bin/crun' };

export interface ContainerPaths {
  readonly name: string;
  /** runc/crun --root: the OCI runtime's own state. */
  readonly runtimeState: string;
  /** The OCI bundle: config.json and the files podgen bind-mounts into /etc. */
  readonly bundle: string;
  /** Upper/work dirs and the overlay mount point (rootfs). */
  readonly containerDir: string;
  readonly rootfs: string;
  readonly storeRoot: string;
  /** podgen's per-boot state: network leases and the like. */
  readonly runDir: string;
}

/** Whether podgen runs rootless (rootless.ts): as anyone but root, its containers are that user's. */
export function isRootless(): boolean {
  return process.getuid?.() !== 0;
}

export function runtimeDir(user: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODGEN_RUN_DIR) return env.PODGEN_RUN_DIR;
  if (!user) return '/run';
  return env.XDG_RUNTIME_DIR || path.join(os.tmpdir(), `podgen-${process.getuid?.() ?? 'user'}`);
}

/** The same places the generated units name with %t (runtimeDir) and the store default. */
export function containerPaths(name: string, user: boolean, env: NodeJS.ProcessEnv = process.env): ContainerPaths {
  const run = runtimeDir(user, env);
  const storeRoot = defaultStoreRoot(user, env);
  const containerDir = path.join(storeRoot, 'containers', name);
  return {
    name,
    runtimeState: path.join(run, 'podgen', 'runc'),
    bundle: path.join(run, 'podgen', 'containers', name),
    containerDir,
    rootfs: path.join(containerDir, 'rootfs'),
    storeRoot,
    runDir: path.join(run, 'podgen'),
  };
}

/** Bundles of prepared containers, running or stopped with their next start ready. */
export function preparedContainers(user: boolean, env: NodeJS.ProcessEnv = process.env): ContainerPaths[] {
  return listDir(path.join(runtimeDir(user, env), 'podgen', 'containers')).map((n) => containerPaths(n, user, env));
}

/** Whether the OCI runtime holds this container (created or running): its root is in use. */
export function runtimeHolds(p: ContainerPaths): boolean {
  return fs.existsSync(path.join(p.runtimeState, p.name));
}

/** The mounts of our mount namespace: mount point, per-mount and super options, file system type (mountinfo's \ooo escapes undone). */
function mounts(): Array<{ mountPoint: string; options: string; fstype: string; superOptions: string }> {
  const unescape = (v: string): string => v.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: Array<{ mountPoint: string; options: string; fstype: string; superOptions: string }> = [];
  for (const line of (readIfExists('/proc/self/mountinfo') ?? '').split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const [fstype = '', , superOptions = ''] = after.split(' ');
    const fields = before.split(' ');
    out.push({ mountPoint: unescape(fields[4] ?? ''), options: fields[5] ?? '', fstype, superOptions: unescape(superOptions) });
  }
  return out;
}

/**
 * For each of `files`, the flags of the mount it lies on that a user namespace may not clear
 * (nosuid, nodev, noexec, ro): a rootless bind mount must repeat them, or the kernel refuses its
 * remount. mountinfo is read once for them all.
 */
export function lockedMountFlags(files: readonly string[]): Record<string, string[]> {
  const all = mounts();
  const out: Record<string, string[]> = {};
  for (const file of files) {
    let best: { mountPoint: string; options: string } | undefined;
    const real = fs.existsSync(file) ? fs.realpathSync(file) : file;
    for (const m of all) {
      const inside = m.mountPoint === '/' || real === m.mountPoint || real.startsWith(`${m.mountPoint}/`);
      if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
    }
    out[file] = (best?.options ?? '').split(',').filter((o) => ['nosuid', 'nodev', 'noexec', 'ro'].includes(o));
  }
  return out;
}

/** Whether something is mounted on dir (in our mount namespace). */
export function isMounted(dir: string): boolean {
  return mounts().some((m) => m.mountPoint === dir);
}

/** Overlay mounts and their lower directories: each running container's root, over the image layers it uses. */
export function overlayMounts(): Array<{ mountPoint: string; lowerDirs: string[] }> {
  return mounts()
    .filter((m) => m.fstype === 'overlay')
    .flatMap((m) => {
      const lower = m.superOptions.split(',').find((o) => o.startsWith('lowerdir='));
      return lower ? [{ mountPoint: m.mountPoint, lowerDirs: lower.slice('lowerdir='.length).split(':') }] : [];
    });
}
