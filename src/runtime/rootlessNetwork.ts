// Rootless named networks: containers of one user reach each other by name
// without root, as podman's "rootless netns" does.
//
// An unprivileged user can build bridges and veth pairs only inside a user
// namespace of their own, and can link two network namespaces only when one
// user namespace owns both. So each user has one: a transient unit of their
// manager (podgen-netns.service, `unshare --user --net sleep infinity`) holds
// a user namespace mapped as a container's default one (0 = the user, then the
// subordinate ids) and a network namespace with one Linux bridge per network.
// A container on named networks joins that user namespace (the runtime joins
// it by path) and gets a network namespace of its own, made inside it and
// held by a `sleep` until the runtime has joined it; a veth pair per network
// ties it to the network's bridge, with an address from the network's subnet.
// Addresses are files <runDir>/cni/networks/NET/IP naming the container, the
// layout CNI's host-local uses for root, so peers' /etc/hosts lines come from
// the same code. Outbound traffic and published ports still go through the
// container's own pasta (rootlessSetup.pastaHook): the bridges need no NAT.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { PodgenError } from '../errors';
import { withLockFile } from '../output/lockFile';
import { processGone } from '../process/gone';
import { run, spawnDetached } from '../process/run';
import { bigintToIp, parseIpRange, parseSubnet } from '../values/subnet';
import type { NetworkDef } from './network';
import { ROOTLESS_BINARIES } from './paths';
import type { IdMapping } from './rootless';

/** The user manager's unit that holds the user's network user namespace. */
export const NETNS_HOLDER_UNIT = 'podgen-netns.service';

/** One network a rootless container is on: what cleanup needs to undo it. */
export interface RootlessAttachment {
  readonly network: string;
  readonly ip: string;
  /** The veth end on the bridge, in the holder's namespace. */
  readonly veth: string;
}

const B = ROOTLESS_BINARIES;
const unavailable = (message: string, hint: string): PodgenError => new PodgenError(message, { kind: 'unavailable', hint });

const nsOf = (pid: number, ns: 'user' | 'net'): string | undefined => {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return undefined;
  }
};

/** Wait until PID has left our namespace NS (unshare has made its own), or fail saying what was started. */
async function waitForOwnNamespace(pid: number, ns: 'user' | 'net', what: string): Promise<void> {
  const ours = nsOf(process.pid, ns);
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const theirs = nsOf(pid, ns);
    if (theirs === undefined) break;
    if (theirs !== ours) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw unavailable(`${what} did not make its namespace`, 'see journalctl --user -u podgen-netns, and podgen info for what rootless containers need');
}

function mapArgs(maps: readonly IdMapping[]): string[] {
  return maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)]);
}

/** `ip ARGS` inside the namespaces of PID (its user namespace, and its network namespace). */
const ipArgv = (pid: number, args: readonly string[]): string[] => [B.nsenter, '-t', String(pid), '-U', '-n', '--', B.ip, ...args];

/** Run `ip` commands there; a failure is an error. */
async function ipIn(pid: number, commands: readonly string[]): Promise<void> {
  const r = await run(ipArgv(pid, ['-batch', '-']), { input: `${commands.join('\n')}\n`, allowFailure: true });
  if (r.status !== 0) throw new PodgenError(`setting up a rootless network failed: ${r.stderr.trim()}`, { kind: 'unavailable', command: [B.ip, '-batch', ...commands], exitStatus: r.status, stderr: r.stderr });
}

/** Run one `ip` command there whose failure is an answer (a link that is not there): whether it succeeded. */
async function ipMay(pid: number, args: readonly string[]): Promise<boolean> {
  return (await run(ipArgv(pid, args), { allowFailure: true })).status === 0;
}

/** One podgen at a time changes the user's network namespace (starts it, adds bridges). */
function withNetnsLock<T>(runDir: string, fn: () => Promise<T>): Promise<T> {
  return withLockFile(path.join(runDir, 'rootless-netns.lock'), 'the rootless network namespace', fn);
}

/** The holder's PID, from the user manager (0 when it is not running). */
export async function holderPid(): Promise<number> {
  const r = await run([B.systemctl, '--user', 'show', '--property=MainPID', '--value', NETNS_HOLDER_UNIT], { allowFailure: true });
  const pid = Number(r.stdout.trim());
  return r.status === 0 && Number.isInteger(pid) && pid > 0 && !processGone(pid) ? pid : 0;
}

/**
 * The user's network namespace holder, started (and mapped) if it is not running: its PID. One
 * podgen at a time makes it (a lock in the runtime directory).
 */
async function ensureNetnsHolder(runDir: string, uidMappings: readonly IdMapping[], gidMappings: readonly IdMapping[]): Promise<number> {
  for (const tool of [B.nsenter, B.unshare, B.systemdRun, B.systemctl]) if (!fs.existsSync(tool)) throw unavailable(`${tool} is missing: rootless named networks need it`, 'apt-get install util-linux systemd (as root)');
  if (!fs.existsSync(B.ip)) throw unavailable(`${B.ip} is missing: rootless named networks build their bridges with it`, 'apt-get install iproute2 (as root)');
  return withNetnsLock(runDir, async () => {
    let pid = await holderPid();
    if (pid === 0) {
      const r = await run([B.systemdRun, '--user', `--unit=${NETNS_HOLDER_UNIT}`, '--collect', '--quiet', '--property=Type=exec', '--description=podgen: the user namespace and bridges of rootless named networks', '--', B.unshare, '--user', '--net', '--', B.sleep, 'infinity'], { allowFailure: true });
      if (r.status !== 0) {
        throw unavailable(`cannot start ${NETNS_HOLDER_UNIT} in your user manager: ${r.stderr.trim()}`, 'rootless named networks need your user manager: run the container as a --user unit, or podgen linger; Network=pasta (the default) needs none');
      }
      for (let i = 0; i < 200 && pid === 0; i++) {
        pid = await holderPid();
        if (pid === 0) await new Promise((res) => setTimeout(res, 10));
      }
      if (pid === 0) throw unavailable(`${NETNS_HOLDER_UNIT} did not stay up`, `journalctl --user -u ${NETNS_HOLDER_UNIT} says why`);
    }
    await waitForOwnNamespace(pid, 'user', NETNS_HOLDER_UNIT);
    // Mapped once, by whoever started it (an unmapped one is from a podgen that died in between).
    if ((fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim()) === '') {
      await run([B.newuidmap, String(pid), ...mapArgs(uidMappings)]);
      await run([B.newgidmap, String(pid), ...mapArgs(gidMappings)]);
      await ipIn(pid, ['link set lo up']);
    }
    return pid;
  });
}

/** The bridge of a network in the holder's namespace, made if missing. */
async function ensureBridge(holder: number, net: NetworkDef, runDir: string): Promise<void> {
  await withNetnsLock(runDir, async () => {
    if (await ipMay(holder, ['link', 'show', net.bridge])) return;
    await ipIn(holder, [`link add ${net.bridge} type bridge`, ...(net.mtu ? [`link set ${net.bridge} mtu ${net.mtu}`] : []), `link set ${net.bridge} up`]);
  });
}


/** The veth name on the bridge side (15 characters at most): from the container and the network. */
function vethName(container: string, network: string): string {
  return `pgv${createHash('sha256').update(`${container}\0${network}`).digest('hex').slice(0, 12)}`;
}

function addressDir(runDir: string, network: string): string {
  return path.join(runDir, 'cni', 'networks', network);
}

/** An address for the container on the network (IP= when given, else the first free one): its file is its lease. */
function allocateAddress(net: NetworkDef, container: string, runDir: string, fixed: string | undefined): { ip: string; prefix: number } {
  const whole = parseSubnet(net.subnet);
  const range = parseIpRange(net.ipRange ?? net.subnet);
  if (!whole.ok || !range.ok) throw new PodgenError(`network ${net.name}: its stored subnet is damaged`, { kind: 'unavailable', hint: `podgen network rm ${net.name}, then create it again` });
  if (whole.value.family !== 4) throw new PodgenError(`network ${net.name}: rootless containers get IPv4 addresses only`, { kind: 'usage', hint: 'use an IPv4 Subnet= for rootless networks' });
  const dir = addressDir(runDir, net.name);
  fs.mkdirSync(dir, { recursive: true });
  const take = (ip: string): boolean => {
    try {
      fs.writeFileSync(path.join(dir, ip), `${container}\n`, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return false;
    }
  };
  if (fixed !== undefined) {
    if (!take(fixed)) throw new PodgenError(`address ${fixed} on ${net.name} is taken by ${fs.readFileSync(path.join(dir, fixed), 'utf8').trim()}`, { kind: 'usage', hint: 'choose another IP=' });
    return { ip: fixed, prefix: whole.value.prefix };
  }
  // Neither the subnet's own address nor its broadcast, nor the gateway's.
  for (let n = range.value.first; n <= range.value.last; n++) {
    if (n === whole.value.first || n === whole.value.last) continue;
    const ip = bigintToIp(n, 4);
    if (ip !== net.gateway && take(ip)) return { ip, prefix: whole.value.prefix };
  }
  throw new PodgenError(`network ${net.name} has no free address left`, { kind: 'unavailable', hint: 'stop a container on it, or give it a larger Subnet=' });
}

/** Give up the container's addresses (only files that still name it). */
function releaseAddresses(container: string, runDir: string, attachments: readonly RootlessAttachment[]): void {
  for (const a of attachments) {
    const file = path.join(addressDir(runDir, a.network), a.ip);
    try {
      if (fs.readFileSync(file, 'utf8').trim() === container) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }
}

/** A veth pair from the network's bridge to the container's namespace (ethN there), with its address. */
async function connect(holder: number, netnsPid: number, net: NetworkDef, a: RootlessAttachment, prefix: number, ifname: string): Promise<void> {
  await ipIn(holder, [`link add ${a.veth} type veth peer name ${ifname} netns ${netnsPid}`, `link set ${a.veth} master ${net.bridge} up`, ...(net.mtu ? [`link set ${a.veth} mtu ${net.mtu}`] : [])]);
  await ipIn(netnsPid, [...(net.mtu ? [`link set ${ifname} mtu ${net.mtu}`] : []), `addr add ${a.ip}/${prefix} dev ${ifname}`, `link set ${ifname} up`]);
}

/** Undo connect: the veth goes (with its peer); a holder that is gone took it already. */
async function disconnect(attachments: readonly RootlessAttachment[]): Promise<void> {
  const holder = await holderPid();
  if (holder === 0) return;
  for (const a of attachments) {
    await ipMay(holder, ['link', 'del', a.veth]);
  }
}

/** A removed network's bridge, when the user's network namespace is up (it goes with it otherwise). */
export async function removeRootlessBridge(net: NetworkDef): Promise<void> {
  const holder = await holderPid();
  if (holder !== 0) await ipMay(holder, ['link', 'del', net.bridge]);
}

/** Stop the sleep holding a container's network namespace (only if it still is that sleep). */
function stopNetnsHolder(pid: number | undefined): void {
  if (pid === undefined || processGone(pid)) return;
  try {
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'sleep') return;
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** What cleanup needs to undo a rootless container's networks (saved in the bundle's state as it is made). */
export interface RootlessNetState {
  /** The sleep holding the container's network namespace. */
  netnsHolder?: number;
  readonly attachments: RootlessAttachment[];
}

export interface JoinRequest {
  readonly defs: readonly NetworkDef[];
  readonly container: string;
  readonly runDir: string;
  /** IP= for the first network. */
  readonly fixedIp: string | undefined;
  /** The mappings of the user's network user namespace: a container's default ones. */
  readonly uidMappings: readonly IdMapping[];
  readonly gidMappings: readonly IdMapping[];
  /** The first network's interface number (eth0 is pasta's when the container has it). */
  readonly firstIf: number;
}

/**
 * Put a container on named networks: its namespace paths for the runtime (the user's network user
 * namespace, a network namespace of its own) and its address on the first network. `save` is
 * called before each step, so that a kill at whatever point leaves enough for leaveNetworks.
 */
export async function joinNetworks(req: JoinRequest, save: (s: RootlessNetState) => void): Promise<{ usernsPath: string; netnsPath: string; netnsPid: number; ip: string | undefined }> {
  const holder = await ensureNetnsHolder(req.runDir, req.uidMappings, req.gidMappings);
  const state: RootlessNetState = { attachments: [] };
  // Its own network namespace, made inside the shared user namespace (which owns it, so the veth can reach it).
  state.netnsHolder = spawnDetached([B.nsenter, '-t', String(holder), '-U', '--preserve-credentials', '--', B.unshare, '--net', '--', B.sleep, 'infinity']);
  save(state);
  await waitForOwnNamespace(state.netnsHolder, 'net', 'the container\'s network namespace holder');
  await ipIn(state.netnsHolder, ['link set lo up']);
  let ip: string | undefined;
  for (const [i, net] of req.defs.entries()) {
    await ensureBridge(holder, net, req.runDir);
    const address = allocateAddress(net, req.container, req.runDir, i === 0 ? req.fixedIp : undefined);
    const a: RootlessAttachment = { network: net.name, ip: address.ip, veth: vethName(req.container, net.name) };
    state.attachments.push(a);
    save(state);
    await connect(holder, state.netnsHolder, net, a, address.prefix, `eth${req.firstIf + i}`);
    ip ??= address.ip;
  }
  return { usernsPath: `/proc/${holder}/ns/user`, netnsPath: `/proc/${state.netnsHolder}/ns/net`, netnsPid: state.netnsHolder, ip };
}

/** Undo joinNetworks, whatever part of it happened (kill -9, reboot: safe to run twice). */
export async function leaveNetworks(container: string, runDir: string, state: RootlessNetState | undefined): Promise<void> {
  if (!state) return;
  stopNetnsHolder(state.netnsHolder);
  await disconnect(state.attachments);
  releaseAddresses(container, runDir, state.attachments);
}
