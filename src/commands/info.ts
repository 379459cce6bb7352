// `podgen info`: what podgen finds on this machine for the one who runs it —
// root or rootless, the OCI runtimes, the store and how root file systems are
// made, the network helpers, the cgroup controllers it may use, the user's
// subordinate id ranges — and what is missing, with the Debian package that
// brings it. Read-only probing at the edge; the verdicts are pure.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultStoreRoot } from '../image/store';
import { run } from '../process/run';
import { readIfExists } from '../resolve/readIfExists';
import { CNI_PATH } from '../runtime/network';
import { ROOTLESS_BINARIES, RUNTIME_BINARIES } from '../runtime/paths';
import { delegatedControllers, userManagerCgroup } from './delegation';
import { ROOTFS_MODE_ENV, rootlessRootfsMode, type SubIdRange, subIdRanges } from '../runtime/rootless';
import { NATIVE_HELPER } from '../runtime/takeOver';

/** Helpers podgen uses and the Debian package of each. */
export const HELPERS = {
  runc: { path: RUNTIME_BINARIES.runc, package: 'runc', for: 'the OCI runtime' },
  crun: { path: RUNTIME_BINARIES.crun, package: 'crun', for: 'Runtime=crun' },
  newuidmap: { path: ROOTLESS_BINARIES.newuidmap, package: 'uidmap', for: 'rootless containers (user namespaces with subordinate ids)' },
  newgidmap: { path: ROOTLESS_BINARIES.newgidmap, package: 'uidmap', for: 'rootless containers (user namespaces with subordinate ids)' },
  pasta: { path: ROOTLESS_BINARIES.pasta, package: 'passt', for: 'rootless networking and published ports' },
  ip: { path: ROOTLESS_BINARIES.ip, package: 'iproute2', for: 'rootless named networks (bridges and veths in your network namespace)' },
  nsenter: { path: ROOTLESS_BINARIES.nsenter, package: 'util-linux', for: 'rootless named networks (entering your network namespace)' },
  cni: { path: path.join(CNI_PATH, 'bridge'), package: 'containernetworking-plugins', for: 'bridge networks (root)' },
  iptables: { path: '/usr/sbin/iptables', package: 'iptables', for: 'bridge networks and published ports (root)' },
  tini: { path: '/usr/bin/tini-static', package: 'tini', for: 'RunInit= / --init' },
  'podgen-unit': { path: NATIVE_HELPER, package: 'gcc libc6-dev (then npm install)', for: 'the restart manager and health checks' },
} as const;
type Helper = keyof typeof HELPERS;

export interface Info {
  readonly mode: 'root' | 'rootless';
  readonly user: { readonly name: string; readonly uid: number };
  readonly kernel: string;
  readonly runtimes: ReadonlyArray<{ readonly name: string; readonly path: string; readonly version: string | undefined }>;
  readonly store: { readonly root: string; readonly rootfs: string };
  readonly network: { readonly helper: string | undefined; readonly available: readonly string[]; readonly named: string };
  readonly cgroups: { readonly version: 1 | 2 | undefined; readonly path: string | undefined; readonly controllers: readonly string[]; readonly missing: readonly string[] };
  readonly subuid: readonly SubIdRange[];
  readonly subgid: readonly SubIdRange[];
  readonly helpers: Readonly<Record<Helper, boolean>>;
  /** What is missing for what, and what fixes it. */
  readonly missing: ReadonlyArray<{ readonly what: string; readonly fix: string }>;
}

/** Whether the user may open /dev/net/tun (pasta does, for each rootless container's network). */
function tunUsable(): boolean {
  try {
    fs.accessSync('/dev/net/tun', fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const WANTED_CONTROLLERS = ['cpu', 'memory', 'pids', 'io'];

/** The cgroup a process of this user runs its containers under: the root's hierarchy, or the user manager's delegated one. */
function cgroupOf(rootless: boolean, uid: number): { version: 1 | 2 | undefined; path: string | undefined; controllers: string[] } {
  if (!fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return { version: fs.existsSync('/sys/fs/cgroup') && fs.readdirSync('/sys/fs/cgroup').length > 0 ? 1 : undefined, path: undefined, controllers: [] };
  if (rootless) {
    const delegated = delegatedControllers(uid);
    return { version: 2, path: delegated === undefined ? undefined : userManagerCgroup(uid), controllers: delegated ?? [] };
  }
  const text = readIfExists('/sys/fs/cgroup/cgroup.controllers');
  return { version: 2, path: '/sys/fs/cgroup', controllers: (text ?? '').trim().split(/\s+/).filter(Boolean) };
}

/** The rootless root file system as prepare will choose it, and why (a bad override is said, not thrown: info must answer). */
function rootlessRootfs(kernel: string): string {
  try {
    const m = rootlessRootfsMode(kernel, process.env[ROOTFS_MODE_ENV]);
    return m.mode === 'overlay' ? `overlayfs in the user namespace, mounted by the runtime (${m.reason})` : `a copy of the image's layers for each start, no overlay (${m.reason})`;
  } catch (e) {
    return `none: ${(e as Error).message}`;
  }
}

/** Where a rootless user's named networks live, and whether that is up. */
async function rootlessNamedNetworks(): Promise<string> {
  const { holderPid, NETNS_HOLDER_UNIT } = await import('../runtime/rootlessNetwork');
  const pid = await holderPid().catch(() => 0);
  return `bridges in your own network namespace, held by ${NETNS_HOLDER_UNIT} (${pid ? `running, PID ${pid}` : 'started on first use'})`;
}

export async function machineInfo(): Promise<Info> {
  const uid = process.getuid?.() ?? 0;
  const rootless = uid !== 0;
  const name = os.userInfo().username;
  const kernel = os.release();
  const helpers = Object.fromEntries(Object.entries(HELPERS).map(([k, h]) => [k, fs.existsSync(h.path)])) as Record<Helper, boolean>;
  const version = async (p: string): Promise<string | undefined> => {
    if (!fs.existsSync(p)) return undefined;
    const r = await run([p, '--version'], { allowFailure: true });
    return r.status === 0 ? r.stdout.split('\n')[0]?.trim() : undefined;
  };
  const runtimes = await Promise.all((['runc', 'crun'] as const).map(async (r) => ({ name: r, path: RUNTIME_BINARIES[r], version: await version(RUNTIME_BINARIES[r]) })));
  const subuid = subIdRanges(readIfExists('/etc/subuid'), name, uid);
  const subgid = subIdRanges(readIfExists('/etc/subgid'), name, uid);
  const cg = cgroupOf(rootless, uid);
  const missingControllers = cg.version === 2 ? WANTED_CONTROLLERS.filter((c) => !cg.controllers.includes(c)) : [];
  const rootfs = !rootless ? 'overlayfs (kernel)' : rootlessRootfs(kernel);
  const networkHelpers = rootless ? (['pasta'] as const).filter((h) => helpers[h]) : helpers.cni ? ['cni'] : [];
  const missing: Array<{ what: string; fix: string }> = [];
  const need = (h: Helper, why?: string): void => {
    if (!helpers[h]) missing.push({ what: `${HELPERS[h].path} (${why ?? HELPERS[h].for})`, fix: `apt-get install ${HELPERS[h].package}` });
  };
  need('runc');
  need('podgen-unit');
  if (rootless) {
    need('newuidmap');
    need('newgidmap');
    need('pasta');
    need('ip');
    need('nsenter');
    if (!tunUsable()) missing.push({ what: '/dev/net/tun readable and writable by you (pasta needs it)', fix: 'as root: chmod 0666 /dev/net/tun (Debian\'s udev rules make it so)' });
    if (subuid.length === 0) missing.push({ what: `a range of subordinate user ids for ${name} in /etc/subuid`, fix: `usermod --add-subuids 100000-165535 ${name} (as root)` });
    if (subgid.length === 0) missing.push({ what: `a range of subordinate group ids for ${name} in /etc/subgid`, fix: `usermod --add-subgids 100000-165535 ${name} (as root)` });
  } else {
    need('cni');
    need('iptables');
  }
  if (cg.version !== 2) missing.push({ what: 'the unified cgroup hierarchy (cgroup v2) at /sys/fs/cgroup', fix: 'boot with systemd.unified_cgroup_hierarchy=1 (the default on Debian 12)' });
  else if (rootless && cg.path === undefined) missing.push({ what: `a user manager for uid ${uid} (its delegated cgroup)`, fix: `podgen linger ${name}, or log in, so that user@${uid}.service runs` });
  else for (const c of missingControllers) missing.push({ what: `the ${c} controller in ${cg.path ?? '/sys/fs/cgroup'} (limits that need it are not applied: install and up say which)`, fix: rootless ? `delegate it: a drop-in for user@.service with Delegate=${WANTED_CONTROLLERS.join(' ')}` : `enable it in ${cg.path}/cgroup.subtree_control` });
  return {
    mode: rootless ? 'rootless' : 'root',
    user: { name, uid },
    kernel,
    runtimes,
    store: { root: defaultStoreRoot(rootless), rootfs },
    network: { helper: networkHelpers[0], available: networkHelpers, named: rootless ? await rootlessNamedNetworks() : 'CNI bridges on the host, isolated by iptables' },
    cgroups: { version: cg.version, path: cg.path, controllers: cg.controllers, missing: missingControllers },
    subuid,
    subgid,
    helpers,
    missing,
  };
}

export function formatInfo(i: Info): string {
  const ranges = (rs: readonly SubIdRange[]): string => (rs.length ? rs.map((r) => `${r.start}-${r.start + r.count - 1} (${r.count})`).join(', ') : 'none');
  const lines = [
    `mode:       ${i.mode} (${i.user.name}, uid ${i.user.uid})`,
    `kernel:     ${i.kernel}`,
    `runtimes:   ${i.runtimes.map((r) => `${r.name} ${r.version ?? 'missing'}`).join(', ')}`,
    `store:      ${i.store.root}`,
    `rootfs:     ${i.store.rootfs}`,
    `network:    ${i.network.helper ?? 'none'}${i.network.available.length > 1 ? ` (also ${i.network.available.slice(1).join(', ')})` : ''}`,
    `networks:   ${i.network.named}`,
    `cgroups:    ${i.cgroups.version === undefined ? 'none' : `v${i.cgroups.version}`}${i.cgroups.path ? ` at ${i.cgroups.path}: ${i.cgroups.controllers.join(' ') || 'no controllers'}` : ''}`,
    `subuid:     ${ranges(i.subuid)}`,
    `subgid:     ${ranges(i.subgid)}`,
  ];
  if (i.missing.length) lines.push('missing:', ...i.missing.map((m) => `  ${m.what}\n    fix: ${m.fix}`));
  else lines.push('missing:    nothing');
  return `${lines.join('\n')}\n`;
}
