// What prepare does for a rootless container, at the edge: read the user's
// subordinate ranges, check the helpers (newuidmap/newgidmap, pasta, /dev/net/tun)
// and the port sysctl, say the network hook, and remove what a container left
// owned by subordinate ids. Each refusal names the file, package or sysctl that
// fixes it. The rules themselves are pure, in rootless.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { PodgenError } from '../errors';
import { run } from '../process/run';
import { readIfExists } from '../resolve/readIfExists';
import type { PortMapping } from '../values/port';
import { ROOTLESS_BINARIES } from './paths';
import { planUserNamespace, subIdRanges, unprivilegedPortStart, type UserNsPlan } from './rootless';
import type { RunArgs } from './runArgs';

const PORT_SYSCTL = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
const TUN_DEVICE = '/dev/net/tun';

export interface RootlessIdentity {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export function currentIdentity(): RootlessIdentity {
  const info = os.userInfo();
  return { name: info.username, uid: info.uid, gid: info.gid };
}

const unavailable = (message: string, hint: string): PodgenError => new PodgenError(message, { kind: 'unavailable', hint });

/** The container's user namespace: the user's (or SubUIDMap='s) ranges through newuidmap/newgidmap. */
export function rootlessUserNamespace(args: RunArgs, me: RootlessIdentity = currentIdentity()): UserNsPlan {
  for (const name of [args.subuidName, args.subgidName]) {
    if (name !== undefined && name !== me.name && name !== String(me.uid)) {
      throw new PodgenError(`SubUIDMap=/SubGIDMap=${name}: a rootless container can map only your own subordinate ids (newuidmap refuses others')`, { kind: 'usage', hint: `leave it out, or set it to ${me.name}` });
    }
  }
  const subuid = subIdRanges(readIfExists('/etc/subuid'), me.name, me.uid);
  const subgid = subIdRanges(readIfExists('/etc/subgid'), me.name, me.uid);
  if (subuid.length === 0 || subgid.length === 0) {
    const file = subuid.length === 0 ? '/etc/subuid' : '/etc/subgid';
    throw unavailable(`${me.name} (uid ${me.uid}) has no subordinate ${file === '/etc/subuid' ? 'user' : 'group'} ids in ${file}: a rootless container needs them for its users other than root`, `as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${me.name}`);
  }
  for (const tool of [ROOTLESS_BINARIES.newuidmap, ROOTLESS_BINARIES.newgidmap]) {
    if (!fs.existsSync(tool)) throw unavailable(`${tool} is not installed: a rootless container's user namespace is mapped with it`, 'apt-get install uidmap (as root)');
  }
  return planUserNamespace({ mode: args.userns, uidMap: args.uidMap, gidMap: args.gidMap, uid: me.uid, gid: me.gid, subuid, subgid });
}

/** Ports below net.ipv4.ip_unprivileged_port_start are root's: refused before anything binds, with the sysctl. */
export function checkUnprivilegedPorts(ports: readonly PortMapping[]): void {
  const lowest = unprivilegedPortStart(readIfExists(PORT_SYSCTL));
  for (const p of ports) {
    if (p.hostPort < lowest) {
      throw new PodgenError(`port ${p.hostPort} is below ${lowest}: an unprivileged user may not bind it`, {
        kind: 'usage',
        hint: `publish a port >= ${lowest}, or as root allow it: sysctl -w net.ipv4.ip_unprivileged_port_start=${p.hostPort} (and in /etc/sysctl.d to keep it)`,
      });
    }
  }
}

/** pasta's -t/-u spelling of one published port: [ADDRESS/]HOST:CONTAINER. */
function pastaPort(p: PortMapping): string {
  return `${p.hostIp ? `${p.hostIp.replace(/^\[|\]$/g, '')}/` : ''}${p.hostPort}:${p.containerPort}`;
}

/**
 * pasta for a container's network, to be given the PID whose user and network namespaces it
 * joins: forwarding exactly the published ports (pasta would forward every port the container
 * listens on by default, and host ports into the container: both off).
 */
export function pastaArgv(ports: readonly PortMapping[], pidFile: string): string[] {
  if (!fs.existsSync(ROOTLESS_BINARIES.pasta)) {
    throw unavailable(`${ROOTLESS_BINARIES.pasta} is not installed: rootless containers reach the network through pasta`, 'apt-get install passt (as root), or Network=none / Network=host');
  }
  try {
    fs.accessSync(TUN_DEVICE, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    throw unavailable(`${TUN_DEVICE} cannot be opened by you: pasta needs it for the container's network`, `as root: chmod 0666 ${TUN_DEVICE} (Debian's udev rules make it so; modprobe tun if it is missing), or Network=none / Network=host`);
  }
  const forward = (proto: 'tcp' | 'udp', flag: string): string[] => {
    const mine = ports.filter((p) => p.protocol === proto);
    return mine.length ? mine.flatMap((p) => [flag, pastaPort(p)]) : [flag, 'none'];
  };
  // Its interface is eth0, as Docker's first one (pasta would take the host's name); named networks are eth1...
  return [ROOTLESS_BINARIES.pasta, '--config-net', '--quiet', '--ns-ifname', 'eth0', '--pid', pidFile, ...forward('tcp', '-t'), ...forward('udp', '-u'), '-T', 'none', '-U', 'none'];
}

/**
 * The OCI hook that gives the container its network: pasta (pastaArgv), joined to the container's
 * namespaces once the runtime made them. The hook reads the container's PID from the state runc
 * writes on stdin. `background`: when podgen-unit starts the container (it waits for the marks,
 * native/start.c), pasta is left to set up while the runtime finishes `create`, its exit status
 * and words written to network-done and network-err in the bundle; otherwise (`runc run`) the
 * hook waits for it. (A container on named networks has its network namespace before the runtime
 * starts: prepare starts pasta itself, since a process that joined a user namespace is not open
 * to others until it runs the container's command.)
 */
export function pastaHook(ports: readonly PortMapping[], pidFile: string, background: boolean): { path: string; args: string[] } {
  const pasta = pastaArgv(ports, pidFile);
  // "pid":N is the state's only such key; ? stands for the quotes (dash reads quotes in a pattern
  // literally). The state has no newline: read gets it all and says EOF.
  const pid = 'IFS= read -r s || :; p=${s#*?pid?:}; p=${p%%[!0-9]*}';
  if (!background) return { path: '/bin/sh', args: ['sh', '-c', `${pid}; exec "$0" "$@" "$p"`, ...pasta] };
  const marks = ': > "$d/network-done"; : > "$d/network-pending"';
  const script = `${pid}; d=$1; shift; ${marks}; ("$@" "$p"; echo $? > "$d/network-done") </dev/null >/dev/null 2>"$d/network-err" &`;
  return { path: '/bin/sh', args: ['sh', '-c', script, 'sh', path.dirname(pidFile), ...pasta] };
}

/** Stop a container's pasta (it also quits by itself when the namespace goes). */
export function stopNetworkHelper(pidFile: string): void {
  const pid = Number((readIfExists(pidFile) ?? '').trim());
  if (Number.isInteger(pid) && pid > 1) {
    try {
      // Only if it still is pasta (its comm is passt's binary, e.g. passt.avx2): a recycled PID must not be killed.
      if (/^pas(ta|st)/.test((readIfExists(`/proc/${pid}/comm`) ?? '').trim())) process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  fs.rmSync(pidFile, { force: true });
}

/**
 * Remove a tree a rootless container wrote: files its other users made belong to subordinate
 * ids, which only the user's own namespace may remove (podman unshare rm, in effect).
 */
export async function removeOwnedTree(dir: string): Promise<void> {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
  }
  await run([ROOTLESS_BINARIES.unshare, '--user', '--map-root-user', '--map-auto', '--', 'rm', '-rf', '--', dir]);
}
