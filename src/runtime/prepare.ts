// podgen prepare: everything a container needs before the OCI runtime runs
// it — the image (pulled when missing, as docker run does), its layers
// unpacked, a fresh overlay rootfs, volumes, /etc files, the network, and
// config.json — then hand over to the OCI runtime (`runc create`) and exit.
// systemd runs this as ExecStart inside the unit's cgroup; runc leaves the
// container behind as the unit's main process, so no podgen process stays.
// podgen cleanup undoes it all, also after kill -9 or a dirty stop.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendAll } from '../arrays';
import { PodgenError } from '../errors';
import { readRegularFile, refusalMessage, writeAtomic } from '../files';
import { capabilitiesInMask } from '../values/capability';
import { parseManifest } from '../image/manifest';
import { pullIfMissing, SILENT, unpackImage } from '../image/pull';
import { ImageStore, type StoredImage } from '../image/store';
import { copyLayers } from '../image/copyRootfs';
import { mountRootfs, overlayLowerdir, rootlessOverlay, unmountRootfs } from '../image/unpack';
import { run } from '../process/run';
import { listDir, readIfExists } from '../resolve/readIfExists';
import { dropReadyMarkers, forgetPreparedBundles } from './kept';
import { attach, createNetns, DEFAULT_NETWORK, deleteNetns, detach, isDefaultNetwork, memberAddresses, type NetworkDef, networkFor, stopUnfinishedAdds } from './network';
import { jumpFirst, withIsolationLock } from './isolation';
import { claimPorts } from './ports';
import { loadPod, podNetnsId, podOfBundle } from './pods';
import { loadVolume, markSeeded, mountVolume, volumeData, wantsSeeding } from './volumeStore';
import { type ImageConfig, ociSpec, type ResolvedDevice, type ResolvedMount, type SpecContext } from './ociSpec';
import { readSeccompProfile } from './seccomp';
import { type ContainerPaths, containerPaths, DEFAULT_SECCOMP_PROFILE, isMounted, isRootless, lockedMountFlags, RUNTIME_BINARIES } from './paths';
import { parseRunArgs, type RunArgs, userNsOptionsGiven } from './runArgs';
import { ROOTFS_MODE_ENV, ROOTLESS_REFUSALS, rootlessRootfsMode } from './rootless';
import { checkUnprivilegedPorts, pastaArgv, pastaHook, removeOwnedTree, rootlessUserNamespace, stopNetworkHelper } from './rootlessSetup';
import { joinNetworks, leaveNetworks, type RootlessNetState } from './rootlessNetwork';
import { createArgv, NATIVE_HELPER, overlayFileOf, pastaPidFileOf, readyMarkerOf, startArgv } from './takeOver';

export interface PrepareRequest {
  readonly name: string;
  readonly user: boolean;
  /** docker run flags, IMAGE, COMMAND. */
  readonly argv: readonly string[];
  /**
   * Where the container's processes go (cgroup v2 path); defaults to a "container" child of our
   * own cgroup. false: the runtime leaves them in the caller's cgroup (a rootless foreground run,
   * which owns no cgroup to make one under).
   */
  readonly cgroupsPath?: string | false;
  readonly applyLimits?: boolean;
  /** The OCI runtime that will run the bundle: checked here, where the error can say what to do. */
  readonly runtime: string;
  /** podgen-unit start takes the bundle over (--then start): it waits for a rootless network set up in the background. */
  readonly startedByHelper?: boolean;
  /** Leave the marker `ready-KEY` for Node-free restarts (podgenEngine.ts); cleanup re-arms it. */
  readonly fastKey?: string;
}

export interface Prepared {
  readonly paths: ContainerPaths;
  readonly args: RunArgs;
  readonly ip: string | undefined;
}

/** Saved in the bundle: what cleanup must undo. */
/** One network a container is attached to: its definition as it was (cleanup needs no lookup), the interface, CNI's result. */
interface NetAttachment {
  readonly def: NetworkDef;
  readonly ifname: string;
  result?: unknown;
}

interface BundleState {
  readonly network: string;
  readonly netResult?: unknown;
  readonly nets?: NetAttachment[];
  readonly mountedRootfs: boolean;
  /** The image's layer directories, bottom first: what cleanup mounts again for a Node-free restart. */
  readonly lowers?: readonly string[];
  /** A rootless container's named networks (rootlessNetwork.ts). */
  readonly rootlessNets?: RootlessNetState;
}

const definitionError = (message: string, hint: string): PodgenError => new PodgenError(message, { kind: 'usage', hint });

/** Our own cgroup (v2): the unit's, when systemd runs us as its ExecStart. */
export function ownCgroup(): string {
  const line = (readIfExists('/proc/self/cgroup') ?? '').split('\n').find((l) => l.startsWith('0::'));
  if (!line) throw new PodgenError('this host has no unified cgroup v2 hierarchy', { kind: 'unavailable', hint: 'podgen runs containers on cgroup v2 (systemd 247+ default)' });
  return line.slice(3).trim();
}

async function imageFor(args: RunArgs, storeRoot: string, user: boolean): Promise<{ image: StoredImage; store: ImageStore }> {
  const policy = args.pull === 'always' || args.pull === 'never' ? args.pull : 'missing';
  const image = await pullIfMissing({ image: args.image, storeRoot, progress: SILENT, unpack: true, policy, onRecorded: () => forgetPreparedBundles(user) });
  return { image, store: new ImageStore(storeRoot) };
}

async function layerDirs(store: ImageStore, image: StoredImage): Promise<string[]> {
  const body = store.readBlob(image.manifestDigest).toString('utf8');
  const mediaType = (JSON.parse(body) as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const manifest = parseManifest(body, mediaType);
  if (manifest.kind !== 'image') throw new PodgenError(`${image.name}: the stored manifest is an index`, { kind: 'integrity' });
  return unpackImage(store, image.configDigest, manifest.layers);
}

/** A file of the container's root as it will be: the first of `roots` (top first) that has it. */
function readFromRoots(roots: readonly string[], rel: string): string | undefined {
  for (const r of roots) {
    const text = readIfExists(path.join(r, rel));
    if (text !== undefined) return text;
  }
  return undefined;
}

/**
 * uid/gid of USER[:GROUP] (names or numbers) looked up in the container's own /etc files. `roots`:
 * the mounted root file system, or (rootless, where the runtime mounts it) the image's layers, top first.
 */
export function resolveUser(roots: readonly string[], spec: string | undefined, groupAdd: readonly string[]): { uid: number; gid: number; additionalGids: number[] } {
  const passwd = (readFromRoots(roots, 'etc/passwd') ?? '').split('\n').map((l) => l.split(':'));
  const groups = (readFromRoots(roots, 'etc/group') ?? '').split('\n').map((l) => l.split(':'));
  const [userPart, groupPart] = (spec || '0').split(':') as [string, string | undefined];
  const gidOf = (g: string): number => {
    if (/^\d+$/.test(g)) return Number(g);
    const row = groups.find((r) => r[0] === g);
    if (!row) throw definitionError(`group "${g}" does not exist in the image`, 'use a numeric gid, or a group from the image\'s /etc/group');
    return Number(row[2]);
  };
  let uid: number;
  let gid = 0;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const row = passwd.find((r) => r[2] === userPart);
    if (row) gid = Number(row[3]);
  } else {
    const row = passwd.find((r) => r[0] === userPart);
    if (!row) throw definitionError(`user "${userPart}" does not exist in the image`, 'use a numeric uid, or a user from the image\'s /etc/passwd');
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (groupPart !== undefined) gid = gidOf(groupPart);
  return { uid, gid, additionalGids: groupAdd.map(gidOf) };
}

function envFromFiles(args: RunArgs): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (args.envHost) for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out.push([k, v]);
  for (const f of args.envFiles) {
    const read = readRegularFile(f.path, MAX_ENV_FILE_BYTES);
    if (!read.ok) {
      if (read.refusal.kind === 'missing' && f.optional) continue;
      throw definitionError(
        refusalMessage(f.path, 'environment file', read.refusal),
        read.refusal.kind === 'missing' ? 'create it, or prefix the path with "-" to make it optional' : 'EnvironmentFile= names a regular file of NAME=VALUE lines',
      );
    }
    const text = read.bytes.toString('utf8');
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const eq = line.indexOf('=');
      if (eq === -1) out.push([line, process.env[line] ?? '']);
      else out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
  }
  return out;
}

/** An environment file is NAME=VALUE lines; a bigger one was named by mistake (or is /dev/zero). */
const MAX_ENV_FILE_BYTES = 16 * 1024 * 1024;
/** Docker's default profile is 16 KiB; nothing sensible comes near this. */
const MAX_SECCOMP_PROFILE_BYTES = 4 * 1024 * 1024;

/** The seccomp profile the container runs under (Docker's rules: none when privileged or unconfined). */
function seccompFor(args: RunArgs): SpecContext['seccomp'] {
  if (args.privileged) return undefined;
  const choice = args.seccomp;
  let file: string;
  switch (choice.kind) {
    case 'unconfined':
      return undefined;
    case 'default':
      file = DEFAULT_SECCOMP_PROFILE;
      break;
    case 'file':
      file = choice.path;
      break;
    default: {
      const never: never = choice;
      throw new Error(`unhandled seccomp choice ${String(never)}`);
    }
  }
  const read = readRegularFile(file, MAX_SECCOMP_PROFILE_BYTES);
  if (!read.ok) {
    throw new PodgenError(refusalMessage(file, 'seccomp profile', read.refusal), {
      kind: read.refusal.kind === 'missing' ? 'not-found' : 'definition',
      hint: choice.kind === 'default' ? "podgen's installation is incomplete: reinstall it (npm install)" : 'fix SeccompProfile= (or --security-opt seccomp=), or use unconfined',
    });
  }
  return { profile: readSeccompProfile(read.bytes.toString('utf8'), file), arch: process.arch, kernel: os.release() };
}

/** The capabilities podgen may hand on (its bounding set). */
function ownBoundingCaps(): string[] {
  const line = (readIfExists('/proc/self/status') ?? '').split('\n').find((l) => l.startsWith('CapBnd:'));
  return capabilitiesInMask(line?.slice('CapBnd:'.length) ?? '0');
}

/** /dev's directories that are file systems of their own, not devices (as podman skips them for --privileged). */
const NOT_DEVICE_DIRS = new Set(['pts', 'shm', 'mqueue', 'fd', 'hugepages', '.lxc', '.lxd-mounts', '.udev']);
/** runc sets these up itself. */
const RUNTIME_OWN = new Set(['/dev/console', '/dev/ptmx']);

/** Every device node of the host (for --privileged), at its own path, read and writable. */
function hostDevices(dir = '/dev', depth = 0): ResolvedDevice[] {
  const out: ResolvedDevice[] = [];
  if (depth > 4) return out;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (depth === 0 && NOT_DEVICE_DIRS.has(e.name)) continue;
      appendAll(out, hostDevices(p, depth + 1));
    } else if ((e.isCharacterDevice() || e.isBlockDevice()) && !RUNTIME_OWN.has(p)) {
      try {
        out.push(deviceAt(p, p, 'rwm'));
      } catch {
        // gone since readdir: nothing to pass on
      }
    }
  }
  return out;
}

function volumeMounts(args: RunArgs, paths: ContainerPaths): ResolvedMount[] {
  return args.volumes.map((v): ResolvedMount => {
    switch (v.kind) {
      case 'bind': {
        const source = path.resolve(v.source);
        try {
          fs.statSync(source);
        } catch (e) {
          // Rootless: a path the user cannot reach stays out of reach for their container too.
          if ((e as NodeJS.ErrnoException).code === 'EACCES') throw new PodgenError(`volume source ${source} is out of your reach (permission denied, for ${v.target})`, { kind: 'auth', hint: 'a container gets only what you may open yourself: use a directory of yours' });
          throw definitionError(`volume source ${source} does not exist (for ${v.target})`, `create it (mkdir -p ${source}) or fix the Volume= line`);
        }
        return { destination: v.target, source, readOnly: v.options.includes('ro'), options: v.options.filter((o) => ['nosuid', 'nodev', 'noexec', 'rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'].includes(o)) };
      }
      case 'named': {
        const source = volumeData(paths.storeRoot, v.name);
        const fresh = !fs.existsSync(source);
        fs.mkdirSync(source, { recursive: true });
        const seed = wantsSeeding(paths.storeRoot, v.name, fresh) && !v.options.includes('nocopy');
        return { destination: v.target, source, readOnly: v.options.includes('ro'), options: [], volume: v.name, ...(seed ? { seedFromImage: true } : {}) };
      }
      case 'anonymous': {
        const source = path.join(paths.containerDir, 'volumes', v.target.replace(/\//g, '_'));
        fs.mkdirSync(source, { recursive: true });
        return { destination: v.target, source, readOnly: false, options: [] };
      }
      default: {
        const never: never = v;
        return never;
      }
    }
  });
}

/**
 * A named volume created just now starts with what the image has at its path, as Docker's do.
 * `roots` as resolveUser's; the layers are copied bottom first, so upper files win (whiteouts in
 * a volume's path are not honoured that way: a file a later layer deleted comes along).
 */
async function seedNewVolumes(mounts: readonly ResolvedMount[], roots: readonly string[], storeRoot: string): Promise<void> {
  for (const m of mounts) {
    if (!m.seedFromImage) continue;
    for (const r of [...roots].reverse()) {
      const from = path.join(r, m.destination);
      if (fs.existsSync(from) && fs.statSync(from).isDirectory()) await run(['cp', '-a', '--', `${from}/.`, m.source]);
    }
    if (m.volume) markSeeded(storeRoot, m.volume);
  }
}

/** The device node at host, as container (its numbers read from the host). */
function deviceAt(host: string, container: string, access: string): ResolvedDevice {
  const st = fs.statSync(host);
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw definitionError(`${host} is not a device node`, 'AddDevice= takes /dev paths');
  const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn) | Number((BigInt(st.rdev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(st.rdev) & 0xffn) | Number((BigInt(st.rdev) >> 12n) & ~0xffn);
  return { path: container, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: st.mode & 0o7777, access };
}

function resolveDevices(args: RunArgs): ResolvedDevice[] {
  const given = args.devices.map((d) => {
    if (!fs.existsSync(d.host)) throw definitionError(`device ${d.host} does not exist on this host`, 'fix AddDevice=, or prefix it with "-" to skip a missing device');
    return deviceAt(d.host, d.container, d.permissions);
  });
  if (!args.privileged) return given;
  // --privileged: the host's devices, and --device ones where they add a path.
  const all = hostDevices();
  const taken = new Set(all.map((d) => d.path));
  appendAll(all, given.filter((d) => !taken.has(d.path)));
  return all;
}

/** Peer lines end with this comment, so that a rewrite tells them from AddHost= lines. */
const PEER_MARK = '\t# podgen peer';

function hostsFile(name: string, hostname: string, ip: string | undefined, peers: readonly string[], extra: ReadonlyArray<readonly [string, string]>): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  if (ip) lines.push(`${ip}\t${hostname}${hostname !== name ? ` ${name}` : ''}`);
  else lines.push(`127.0.1.1\t${hostname}`);
  lines.push(...peers);
  for (const [host, hip] of extra) lines.push(`${hip === 'host-gateway' ? DEFAULT_NETWORK.gateway : hip}\t${host}`);
  return `${lines.join('\n')}\n`;
}

/** networkDns: the DNS= of the container's (or its pod's) networks, used when the container names none. */
function resolvConf(args: RunArgs, bridged: boolean, networkDns: readonly string[]): string {
  const host = readIfExists('/etc/resolv.conf') ?? '';
  let servers = args.dns.length ? [...args.dns] : networkDns.length ? [...networkDns] : [...host.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1] as string);
  // A loopback resolver of the host (systemd-resolved, dnsmasq) is unreachable from a bridged container.
  if (bridged) servers = servers.filter((s) => !/^127\.|^::1$/.test(s));
  const search = args.dnsSearch.length ? args.dnsSearch : [...host.matchAll(/^search\s+(.+)$/gm)].flatMap((m) => (m[1] as string).split(/\s+/));
  const lines = servers.map((s) => `nameserver ${s}`);
  if (search.length) lines.push(`search ${search.join(' ')}`);
  if (args.dnsOptions.length) lines.push(`options ${args.dnsOptions.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** Every bridge network's members (container -> IP), from host-local's leases. */
function networkMembers(runDir: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const net of listDir(path.join(runDir, 'cni', 'networks'))) out.set(net, memberAddresses(net, runDir));
  return out;
}

function aliasesFile(runDir: string, container: string): string {
  return path.join(runDir, 'aliases', container);
}

/** NetworkAlias= names, for the peers' /etc/hosts. */
function writeAliases(runDir: string, container: string, aliases: readonly string[]): void {
  if (aliases.length === 0) return;
  fs.mkdirSync(path.dirname(aliasesFile(runDir, container)), { recursive: true });
  fs.writeFileSync(aliasesFile(runDir, container), `${aliases.join('\n')}\n`);
}

/** Host lines for a container's peers: everyone sharing a network with it, by name and NetworkAlias=. */
function peerLines(container: string, runDir: string, all: Map<string, Map<string, string[]>>): string[] {
  const lines: string[] = [];
  for (const [, m] of all) {
    if (!m.has(container)) continue;
    for (const [peer, ips] of m) {
      if (peer === container) continue;
      const aliases = (readIfExists(aliasesFile(runDir, peer)) ?? '').split('\n').filter(Boolean);
      for (const ip of ips) lines.push(`${ip}\t${[peer, ...aliases].join(' ')}${PEER_MARK}`);
    }
  }
  return lines;
}

/** Rewrite /etc/hosts of every running bridged container (in place: it is bind-mounted) after a join or leave. */
function refreshPeerHosts(runDir: string, bundleRoot: string): void {
  const all = networkMembers(runDir);
  for (const peer of listDir(bundleRoot)) {
    const file = path.join(bundleRoot, peer, 'hosts');
    const text = readIfExists(file);
    if (text === undefined) continue;
    // A pod's member is on the networks as its pod.
    const pod = podOfBundle(path.join(bundleRoot, peer));
    const identity = pod !== undefined ? podNetnsId(pod) : peer;
    if (![...all.values()].some((m) => m.has(identity))) continue;
    const lines = text.split('\n');
    const own = lines.slice(0, 3);
    const extras = lines.slice(3).filter((l) => l && !l.endsWith(PEER_MARK));
    fs.writeFileSync(file, `${[...own, ...peerLines(identity, runDir, all), ...extras].join('\n')}\n`);
  }
}

export async function prepare(req: PrepareRequest): Promise<Prepared> {
  const args = parseRunArgs(req.argv);
  const paths = containerPaths(req.name, req.user);
  if (isRootless() && !req.user) {
    throw new PodgenError('a rootless container is a --user container', { kind: 'auth', hint: 'install its unit with podgen --user (or run it as root)' });
  }
  if (!isRootless() && userNsOptionsGiven(args)) {
    throw definitionError('user namespace options (UserNS=, UIDMap=, GIDMap=, SubUIDMap=, SubGIDMap=) are for rootless containers', 'install the container with --user as its user, or use --engine podman');
  }
  if (!fs.existsSync(req.runtime)) {
    throw new PodgenError(`the OCI runtime ${req.runtime} is not installed`, { kind: 'unavailable', hint: `apt-get install ${path.basename(req.runtime)} (or choose the other one with Runtime=)` });
  }
  try {
    return await prepareIn(req, args, paths);
  } catch (e) {
    throw storeProblem(e, paths);
  }
}

/** File system refusals while preparing, said in terms of what to fix. */
function storeProblem(e: unknown, paths: ContainerPaths): unknown {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof PodgenError || typeof err?.code !== 'string') return e;
  const where = err.path ?? paths.storeRoot;
  if (err.code === 'EROFS') return new PodgenError(`cannot write ${where}: read-only file system`, { kind: 'output', hint: `podgen keeps images and containers' writable layers under ${paths.storeRoot} and bundles under ${path.dirname(paths.bundle)}: both must be writable`, cause: e });
  if (err.code === 'ENOSPC') return new PodgenError(`no space left for ${where}`, { kind: 'output', hint: 'free space there, or remove unused images with podgen image prune', cause: e });
  if (err.code === 'EACCES' || err.code === 'EPERM') return new PodgenError(`permission denied: ${where}`, { kind: 'auth', hint: 'containers of the system manager need root; use --user units for your own', cause: e });
  return e;
}

/** Fail early, with the errno that names the problem (Node's recursive mkdir reports EROFS as ENOENT). */
function ensureWritable(dir: string): void {
  let d = dir;
  const missing: string[] = [];
  while (!fs.existsSync(d)) {
    missing.unshift(d);
    d = path.dirname(d);
  }
  fs.accessSync(d, fs.constants.W_OK);
  for (const m of missing) fs.mkdirSync(m);
}

async function prepareIn(req: PrepareRequest, args: RunArgs, paths: ContainerPaths): Promise<Prepared> {
  const rootless = isRootless();
  ensureWritable(path.dirname(paths.containerDir));
  ensureWritable(path.dirname(paths.bundle));
  // A stale bundle (kill -9, dirty stop without cleanup) is undone first: a fresh start must work.
  if (fs.existsSync(paths.bundle) || isMounted(paths.rootfs)) await cleanup({ name: req.name, user: req.user, runtime: undefined });
  const { image, store } = await imageFor(args, paths.storeRoot, req.user);
  const lowers = await layerDirs(store, image);
  const config = (JSON.parse(store.readBlob(image.configDigest).toString('utf8')) as { config?: ImageConfig }).config ?? {};
  const fileEnv = envFromFiles(args);
  // A device volume (Device= in its .volume) is mounted on first use, as Docker's local driver does.
  for (const v of args.volumes) {
    const meta = v.kind === 'named' ? loadVolume(paths.storeRoot, v.name) : undefined;
    if (meta?.device !== undefined && rootless) throw definitionError(`volume ${v.kind === 'named' ? v.name : ''} mounts ${meta.device}: mounting needs root`, 'use a plain named volume or a directory of yours for a rootless container');
    if (meta) await mountVolume(paths.storeRoot, meta);
  }
  const mounts = volumeMounts(args, paths);
  const devices = resolveDevices(args);
  const initPath = args.init ? ['/usr/bin/tini-static', '/usr/bin/tini'].find((p) => fs.existsSync(p)) : undefined;

  fs.mkdirSync(paths.bundle, { recursive: true });
  const state: { network: string; netResult?: unknown; nets: NetAttachment[]; mountedRootfs: boolean; lowers: readonly string[]; rootlessNets?: RootlessNetState } = { network: args.network, nets: [], mountedRootfs: false, lowers };
  const saveState = (): void => writeAtomic(path.join(paths.bundle, 'podgen-state.json'), JSON.stringify(state));
  saveState();
  try {
    // A fresh writable layer each start, as Quadlet's --rm gives.
    await removeOwnedTree(paths.containerDir);
    // Rootless: the runtime mounts the overlay inside the container's user namespace (or, on
    // kernels that cannot, the layers are copied); root's is mounted here.
    const rootfsMode = rootless ? rootlessRootfsMode(os.release(), process.env[ROOTFS_MODE_ENV]).mode : undefined;
    const rootOverlay = rootfsMode === 'overlay' ? rootlessOverlay(lowers, paths.containerDir) : undefined;
    if (rootfsMode === 'copy') await copyLayers(lowers, paths.rootfs);
    if (!rootless) {
      await mountRootfs(lowers, paths.containerDir);
      state.mountedRootfs = true;
      saveState();
    }
    const roots = rootfsMode === 'overlay' ? [...lowers].reverse() : [paths.rootfs];
    await seedNewVolumes(mounts, roots, paths.storeRoot);
    const usernsPlan = rootless ? rootlessUserNamespace(args) : undefined;
    // keep-id: the container runs as you unless User= says otherwise (podman's rule, over the image's USER).
    const keptId = usernsPlan?.defaultUser ? `${usernsPlan.defaultUser.uid}:${usernsPlan.defaultUser.gid}` : undefined;
    const user = resolveUser(roots, args.user ?? keptId ?? (config.User || undefined), args.groupAdd);

    let ip: string | undefined;
    let netnsPath: string | undefined;
    let usernsPath: string | undefined;
    const networkDns: string[] = [];
    const pod = args.pod === undefined ? undefined : loadPod(paths.runDir, args.pod);
    if (args.pod !== undefined && rootless) {
      const r = ROOTLESS_REFUSALS.pod(args.pod);
      throw definitionError(r.message, r.hint);
    }
    if (args.pod !== undefined) {
      // In a pod: its namespace, address and ports; the container publishes nothing of its own.
      if (!pod) throw new PodgenError(`pod ${args.pod} is not running`, { kind: 'unavailable', hint: 'start the unit of its .pod definition (the container\'s BindsTo= does), or podgen pod create' });
      if (args.publish.length) throw definitionError(`a container in pod ${args.pod} cannot publish ports of its own`, 'move PublishPort= to the [Pod] section');
      if (args.networks.length) throw definitionError(`a container in pod ${args.pod} is on the pod's networks`, 'move Network= to the [Pod] section');
      netnsPath = pod.netns;
      ip = pod.ip;
      state.network = `pod:${pod.name}`;
      saveState();
    }
    const bridgedNets = pod || args.network === 'host' || args.network === 'none' ? [] : args.networks.length ? args.networks : ['bridge'];
    let networkHook: { path: string; args: string[] } | undefined;
    if (rootless && bridgedNets.length > 0) {
      // Rootless: the container's own pasta (outbound, and the published ports on the host), and
      // for named networks a veth to each network's bridge in the user's network namespace.
      const defs = bridgedNets.filter((n) => !isDefaultNetwork(n)).map((n) => networkFor(n, paths.storeRoot));
      if (defs.length > 0 && userNsOptionsGiven(args)) {
        const r = ROOTLESS_REFUSALS.userNsOnNamedNetwork(defs[0]?.name ?? '');
        throw definitionError(r.message, r.hint);
      }
      const outside = defs.length < bridgedNets.length || defs.some((d) => !d.internal);
      if (!outside && args.publish.length) throw definitionError('PublishPort= needs a way out: the container is on internal networks only', 'remove PublishPort=, or add a network that is not Internal=');
      checkUnprivilegedPorts(args.publish);
      const ports = await claimPorts(args.publish, paths.runDir, req.name);
      const joined = defs.length > 0 && usernsPlan
        ? await joinNetworks({ defs, container: req.name, runDir: paths.runDir, fixedIp: args.ip, uidMappings: usernsPlan.uidMappings, gidMappings: usernsPlan.gidMappings, firstIf: outside ? 1 : 0 }, (s) => {
            state.rootlessNets = s;
            saveState();
          })
        : undefined;
      if (joined) {
        ({ netnsPath, usernsPath, ip } = joined);
        networkDns.push(...defs.flatMap((d) => d.dns ?? []));
        writeAliases(paths.runDir, req.name, args.networkAliases);
      }
      if (outside) {
        state.network = 'pasta';
        saveState();
        // On named networks the namespace exists already: pasta joins it now; otherwise the runtime's hook starts it.
        if (joined) await run([...pastaArgv(ports, pastaPidFileOf(paths.bundle)), String(joined.netnsPid)]);
        else networkHook = pastaHook(ports, pastaPidFileOf(paths.bundle), req.startedByHelper === true);
      }
    } else if (bridgedNets.length > 0) {
      const defs = bridgedNets.map((n) => networkFor(n, paths.storeRoot));
      const ports = await claimPorts(args.publish, paths.runDir, req.name);
      netnsPath = await createNetns(req.name);
      writeAliases(paths.runDir, req.name, args.networkAliases);
      for (const [i, net] of defs.entries()) {
        // Saved before the ADD: cleanup tears down whatever part of it happened.
        const entry: NetAttachment = { def: net, ifname: `eth${i}` };
        state.nets.push(entry);
        saveState();
        // Ports are published, and IP= fixed, on the first network (Docker's and podman's rule).
        const attached = await attach(net, req.name, paths.runDir, { ifname: entry.ifname, ports: i === 0 ? ports : [], ...(i === 0 && args.ip ? { ip: args.ip } : {}) }, (saved) => {
          entry.result = saved;
          saveState();
        });
        if (i === 0) ip = attached.ip;
      }
      // CNI's firewall plugin may have put its accept chain first: isolation goes back on top.
      if (defs.some((d) => d !== DEFAULT_NETWORK)) await withIsolationLock(jumpFirst);
    } else if (args.publish.length > 0 && args.network === 'none') {
      throw definitionError('PublishPort= needs a network: Network=none has none', 'remove PublishPort=, or use Network=bridge');
    }
    const hostname = args.hostname ?? req.name;
    const bridged = netnsPath !== undefined || networkHook !== undefined;
    const peers = bridged ? peerLines(pod ? podNetnsId(pod.name) : req.name, paths.runDir, networkMembers(paths.runDir)) : [];
    fs.writeFileSync(path.join(paths.bundle, 'hosts'), hostsFile(req.name, hostname, ip, peers, args.addHosts));
    fs.writeFileSync(path.join(paths.bundle, 'hostname'), `${hostname}\n`);
    networkDns.push(...(pod ? pod.nets : state.nets).flatMap((n) => n.def.dns ?? []));
    fs.writeFileSync(path.join(paths.bundle, 'resolv.conf'), resolvConf(args, bridged, [...new Set(networkDns)]));
    if (bridged) refreshPeerHosts(paths.runDir, path.dirname(paths.bundle));

    const etcFiles = { hosts: path.join(paths.bundle, 'hosts'), hostname: path.join(paths.bundle, 'hostname'), 'resolv.conf': path.join(paths.bundle, 'resolv.conf') };
    const spec = ociSpec(args, config, {
      name: req.name,
      ...user,
      fileEnv,
      mounts,
      etcFiles,
      netnsPath,
      cgroupsPath: req.cgroupsPath === false ? undefined : (req.cgroupsPath ?? `${ownCgroup()}/container`),
      applyLimits: req.applyLimits ?? false,
      initPath,
      devices,
      seccomp: seccompFor(args),
      boundingCaps: ownBoundingCaps(),
      ...(usernsPlan ? { rootless: { ...usernsPlan, rootOverlay, networkHook, usernsPath, lockedFlags: lockedMountFlags([...Object.values(etcFiles), '/sys', ...mounts.map((m) => m.source), ...(initPath ? [initPath] : [])]) } } : {}),
    });
    (spec.root as { path: string }).path = paths.rootfs;
    writeAtomic(path.join(paths.bundle, 'config.json'), `${JSON.stringify(spec, null, 2)}\n`);
    // A copied root is not renewed by the Node-free restart (it renews overlay directories): no marker, each start prepares.
    // Nor one on named networks: the namespaces it joins are found again at each start.
    if (req.fastKey && rootfsMode !== 'copy' && !state.rootlessNets) {
      // For the Node-free cleanup (podgen-unit cleanup): where the writable layer is, and what it lies on.
      fs.writeFileSync(overlayFileOf(paths.bundle), `${paths.containerDir}\n${overlayLowerdir(lowers)}\n`);
      // Written last: a prepare that failed leaves no marker.
      fs.writeFileSync(readyMarkerOf(paths.bundle, req.fastKey), '');
    }
    return { paths, args, ip };
  } catch (e) {
    await cleanup({ name: req.name, user: req.user, runtime: undefined }).catch(() => undefined);
    throw e;
  }
}



/**
 * Get the next start ready now, while nothing waits for it: a fresh writable layer over the same
 * image layers, mounted. The unit's sh line then starts the runtime straight away (podgenEngine.ts).
 */
async function rearm(paths: ContainerPaths, lowers: readonly string[] | undefined): Promise<boolean> {
  if (!lowers?.length || !lowers.every((d) => fs.existsSync(d))) return false;
  fs.rmSync(path.join(paths.bundle, 'pid'), { force: true });
  try {
    // Rootless: fresh directories only; the runtime mounts them inside the container's namespace.
    if (isRootless()) rootlessOverlay(lowers, paths.containerDir);
    else await mountRootfs(lowers, paths.containerDir);
    return true;
  } catch {
    // The next start takes the full prepare, which says what is wrong.
    fs.rmSync(paths.containerDir, { recursive: true, force: true });
    return false;
  }
}

/**
 * The OCI runtime taking over a prepared bundle, as the unit's ExecStart would (podgenEngine.ts):
 * `runc create`, or podgen-unit start running it and then starting the container (`start`),
 * marking the restart manager's RECORD when there is one.
 */
export function takeOverArgv(paths: ContainerPaths, runtime: string, then: 'create' | 'start', record?: string, thenExec?: readonly string[]): string[] {
  const layout = { runtime, stateRoot: paths.runtimeState, bundle: paths.bundle, name: paths.name };
  const create = createArgv(layout);
  // Socket activation: LISTEN_PID names us; runc takes the fds only when it names runc (an sh
  // that sets it to its own PID, then execs runc, keeps that PID).
  if (then === 'create') return process.env.LISTEN_PID === String(process.pid) ? ['/bin/sh', '-c', 'export LISTEN_PID=$$; exec "$0" "$@"', ...create] : create;
  if (!fs.existsSync(NATIVE_HELPER)) {
    throw new PodgenError(`${NATIVE_HELPER} is missing`, { kind: 'unavailable', hint: 'run npm install in podgen\'s directory again (it builds podgen-unit with the C compiler), or generate and install the unit again' });
  }
  return [...startArgv(NATIVE_HELPER, layout, record), ...(thenExec ? ['--then-exec', ...thenExec] : [])];
}

export interface CleanupRequest {
  readonly name: string;
  readonly user: boolean;
  /** The OCI runtime binary whose state to delete (undefined: runc and crun as found). */
  readonly runtime: string | undefined;
  /** Keep the bundle (config, /etc files, marker) and mount a fresh writable layer, for a Node-free restart. */
  readonly keepBundle?: boolean;
}

/** Undo prepare and the runtime's state; safe to run twice, after crashes, after reboots. */
export async function cleanup(req: CleanupRequest): Promise<void> {
  const paths = containerPaths(req.name, req.user);
  const problems: string[] = [];
  // The ready marker means "bundle ready, fresh writable layer mounted": it goes first and
  // comes back only when this cleanup has made that true again.
  const markers = req.keepBundle ? dropReadyMarkers(paths) : [];
  const runtimes = req.runtime ? [req.runtime] : Object.values(RUNTIME_BINARIES).filter((r) => fs.existsSync(r));
  for (const rt of runtimes) {
    const r = await run([rt, '--root', paths.runtimeState, 'delete', '--force', req.name], { allowFailure: true }).catch((e: unknown) => ({ status: -1, stderr: (e as Error).message, stdout: '' }));
    if (r.status !== 0 && !/does not exist|not exist|no such/i.test(r.stderr)) problems.push(`${rt} delete: ${r.stderr.trim()}`);
  }
  const stateText = readIfExists(path.join(paths.bundle, 'podgen-state.json'));
  let state: BundleState | undefined;
  try {
    state = stateText ? (JSON.parse(stateText) as BundleState) : undefined;
  } catch {
    state = undefined;
  }
  const network = state?.network ?? 'bridge';
  // pasta quits when the container's namespace goes; a stop that kept the bundle makes sure.
  if (network === 'pasta') stopNetworkHelper(pastaPidFileOf(paths.bundle));
  if (state?.rootlessNets) {
    await leaveNetworks(req.name, paths.runDir, state.rootlessNets);
    fs.rmSync(aliasesFile(paths.runDir, req.name), { force: true });
    refreshPeerHosts(paths.runDir, path.dirname(paths.bundle));
  }
  // A pod's namespace is the pod unit's to remove (pods.ts); its members only leave it.
  if (network !== 'host' && network !== 'none' && network !== 'pasta' && !network.startsWith('pod:') && !isRootless()) {
    await stopUnfinishedAdds(req.name);
    // Bundles from before named networks saved one network's result; newer ones each network's, with its definition.
    const nets: NetAttachment[] = state?.nets ?? (state?.netResult ? [{ def: networkFor(network, paths.storeRoot), ifname: 'eth0', result: state.netResult }] : []);
    for (const n of [...nets].reverse()) {
      try {
        await detach(n.def, req.name, paths.runDir, n.result, n.ifname);
      } catch (e) {
        // Nothing was ever attached (no result): DEL of nothing is not a problem worth failing the stop for.
        if (n.result) problems.push((e as Error).message);
      }
    }
    await deleteNetns(req.name);
    fs.rmSync(aliasesFile(paths.runDir, req.name), { force: true });
    refreshPeerHosts(paths.runDir, path.dirname(paths.bundle));
  }
  if (isMounted(paths.rootfs)) await unmountRootfs(paths.containerDir);
  if (isMounted(paths.rootfs)) problems.push(`${paths.rootfs} is still mounted`);
  else await removeOwnedTree(paths.containerDir);
  if (req.keepBundle && problems.length === 0 && markers.length > 0 && (await rearm(paths, state?.lowers))) {
    for (const m of markers) fs.writeFileSync(path.join(paths.bundle, m), '');
  } else fs.rmSync(paths.bundle, { recursive: true, force: true });
  if (problems.length) throw new PodgenError(`cleanup of ${req.name} was incomplete: ${problems.join('; ')}`, { kind: 'unavailable' });
}
