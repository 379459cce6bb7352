// RunArgs + image config + what prepare found on the machine -> an OCI
// runtime spec (config.json) for runc/crun. Pure: every path, id and file
// content was resolved by prepare beforehand. Docker's semantics where the
// two differ from runc's defaults (entrypoint/cmd, env order, capabilities).

import { appendAll } from '../arrays';
import { PodgenError } from '../errors';
import { CAPABILITIES, parseCapability } from '../values/capability';
import type { RunArgs } from './runArgs';
import type { IdMapping } from './rootless';
import { ociSeccomp, type SeccompProfile } from './seccomp';

/** The parts of an OCI image config podgen uses. */
export interface ImageConfig {
  readonly Env?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly WorkingDir?: string;
  readonly User?: string;
  readonly StopSignal?: string;
}

export interface ResolvedMount {
  readonly destination: string;
  readonly source: string;
  readonly readOnly: boolean;
  /** Extra mount options (nosuid, nodev, noexec, propagation). */
  readonly options: readonly string[];
  /** A named volume made just now: prepare copies the image's files at its path into it first. */
  readonly seedFromImage?: boolean;
  /** The named volume it is (marked filled once seeded). */
  readonly volume?: string;
}

export interface SpecContext {
  readonly name: string;
  /** Numeric ids of --user (or the image's User), resolved in the container's /etc/passwd and /etc/group. */
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  /** Environment from --env-file and --env-host, already read (in that order, before -e). */
  readonly fileEnv: ReadonlyArray<readonly [string, string]>;
  readonly mounts: readonly ResolvedMount[];
  /** Files the bundle provides for /etc (hosts, hostname, resolv.conf); absent ones come from the image. */
  readonly etcFiles: Readonly<Partial<Record<'hosts' | 'hostname' | 'resolv.conf', string>>>;
  /** A network namespace prepared for the container (bridge networks); undefined: a new empty one, or the host's. */
  readonly netnsPath: string | undefined;
  /** undefined: none, the runtime leaves the container in its caller's cgroup (which is what a rootless runtime may do without one). */
  readonly cgroupsPath: string | undefined;
  /** Put memory/pids/cpu limits in the spec (foreground `podgen run`); units carry them as systemd settings instead. */
  readonly applyLimits: boolean;
  /** Host path of a static init (tini) for --init. */
  readonly initPath: string | undefined;
  /** --device entries (with --privileged: every host device), with the numbers prepare read from the host's device nodes. */
  readonly devices: readonly ResolvedDevice[];
  /** The capabilities in podgen's own bounding set: what --privileged can give. */
  readonly boundingCaps: readonly string[];
  /** The seccomp profile to apply (read by prepare), with the host facts it is filtered by; undefined: none. */
  readonly seccomp: { readonly profile: SeccompProfile; readonly arch: string; readonly kernel: string } | undefined;
  /** A rootless container (rootless.ts): its user namespace, and what prepare could not do without root. */
  readonly rootless?: RootlessSpec;
}

/** What makes a spec rootless: the runtime does in the container's user namespace what root's prepare does on the host. */
export interface RootlessSpec {
  readonly uidMappings: readonly IdMapping[];
  readonly gidMappings: readonly IdMapping[];
  /** overlayfs options (lowerdir, upperdir, workdir, userxattr) for the root, mounted by the runtime inside the namespace; undefined: root.path is a copied directory (copyRootfs.ts). */
  readonly rootOverlay: string | undefined;
  /** A user namespace to join instead of making one (the user's network namespace's, rootlessNetwork.ts); the mappings are its. */
  readonly usernsPath?: string | undefined;
  /** The network helper the runtime starts once the container's namespaces exist (OCI createRuntime hook). */
  readonly networkHook: { readonly path: string; readonly args: readonly string[] } | undefined;
  /** Each bind source's mount flags a user namespace cannot clear (paths.lockedMountFlags), repeated on its bind. */
  readonly lockedFlags: Readonly<Record<string, readonly string[]>>;
}

/** Paths Docker and podman mask in every container (bind-mounted over with /dev/null or an empty read-only tmpfs). */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/sys/dev/block', '/sys/devices/virtual/powercap',
];
/** Paths Docker and podman make read-only in every container. */
export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The default lists less what --security-opt unmask= opens, plus mask=; --privileged has none. */
function confinedPaths(args: RunArgs): { masked: string[]; readonly: string[] } {
  if (args.privileged) return { masked: [], readonly: [] };
  const open = (p: string): boolean => args.unmask === 'ALL' || args.unmask.includes(p);
  return { masked: [...new Set([...MASKED_PATHS.filter((p) => !open(p)), ...args.mask])], readonly: READONLY_PATHS.filter((p) => !open(p)) };
}

export interface ResolvedDevice {
  readonly path: string;
  readonly type: 'c' | 'b';
  readonly major: number;
  readonly minor: number;
  readonly fileMode: number;
  readonly access: string;
}

/** Docker's default capability set. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const ALL_CAPS = CAPABILITIES.map((c) => `CAP_${c}`);

/** Docker's rule: start from the default set, add, then drop (ALL in either expands to every capability). */
export function capabilities(add: readonly string[], drop: readonly string[]): string[] {
  const name = (c: string): string => {
    const parsed = parseCapability(c);
    if (!parsed.ok) throw new PodgenError(parsed.message, { kind: 'usage', hint: 'see capabilities(7) for the names' });
    return parsed.value;
  };
  const adds = add.map(name);
  const drops = drop.map(name);
  let caps = adds.includes('ALL') ? [...ALL_CAPS] : [...new Set([...DEFAULT_CAPS, ...adds])];
  if (drops.includes('ALL')) caps = adds.filter((c) => c !== 'ALL');
  else caps = caps.filter((c) => !drops.includes(c));
  return caps;
}


/** The process's argv: Docker's entrypoint/cmd rules. */
export function processArgs(args: RunArgs, image: ImageConfig): string[] {
  let entrypoint: string[];
  let cmd: string[];
  if (args.entrypoint !== undefined) {
    // An overridden entrypoint drops the image's Cmd too (docker run --entrypoint).
    entrypoint = args.entrypoint === '' ? [] : args.entrypoint.startsWith('[') ? (JSON.parse(args.entrypoint) as string[]) : [args.entrypoint];
    cmd = [...args.command];
  } else {
    entrypoint = [...(image.Entrypoint ?? [])];
    cmd = args.command.length > 0 ? [...args.command] : [...(image.Cmd ?? [])];
  }
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) {
    throw new PodgenError(`${args.image} has no command to run`, { kind: 'usage', hint: 'give one after the image (Exec= in a definition), or an --entrypoint' });
  }
  return argv;
}

/** The environment, last assignment of a name winning: defaults, image, files/host, -e. */
export function processEnv(args: RunArgs, image: ImageConfig, ctx: SpecContext, hostname: string): string[] {
  const env = new Map<string, string>([['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']]);
  for (const e of image.Env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) env.set(e.slice(0, eq), e.slice(eq + 1));
  }
  for (const [k, v] of ctx.fileEnv) env.set(k, v);
  for (const [k, v] of args.env) env.set(k, v);
  env.set('HOSTNAME', hostname);
  env.set('container', 'podgen');
  if (args.tty && !env.has('TERM')) env.set('TERM', 'xterm');
  if (args.timezone && args.timezone !== 'local') env.set('TZ', args.timezone);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export function ociSpec(args: RunArgs, image: ImageConfig, ctx: SpecContext): Record<string, unknown> {
  const hostname = args.hostname ?? ctx.name;
  // --privileged: every capability podgen itself holds (as podman: a nested host may lack some).
  const caps = args.privileged ? ALL_CAPS.filter((c) => ctx.boundingCaps.includes(c)) : capabilities(args.capAdd, args.capDrop);
  const seccomp = ctx.seccomp && !args.privileged && args.seccomp.kind !== 'unconfined' ? ociSeccomp(ctx.seccomp.profile, { arch: ctx.seccomp.arch, kernel: ctx.seccomp.kernel, caps }) : undefined;
  const paths = confinedPaths(args);
  let argv = processArgs(args, image);
  if (args.init) {
    if (!ctx.initPath) throw new PodgenError('--init needs tini, which is not installed', { kind: 'unavailable', hint: 'apt-get install tini' });
    argv = ['/run/podgen-init', '--', ...argv];
  }
  // No default limits: the container inherits the unit's (LimitNOFILE= and friends), which systemd shows.
  const rlimits = new Map<string, { type: string; hard: number; soft: number }>();
  for (const u of args.ulimits) {
    const type = `RLIMIT_${u.type.toUpperCase()}`;
    const big = 2 ** 64 - 1;
    rlimits.set(type, { type, soft: u.soft < 0 ? big : u.soft, hard: u.hard < 0 ? big : u.hard });
  }
  const rootless = ctx.rootless;
  // Without a network namespace of its own a rootless container may not mount sysfs (the host's
  // belongs to the host's user namespace): podman binds the host's /sys then, and so does podgen.
  const sys = rootless && args.network === 'host'
    ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
    : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', args.privileged ? 'rw' : 'ro'] };
  const mounts: Record<string, unknown>[] = [
    // Rootless: the root is an overlay the runtime mounts inside the user namespace (root's is mounted by prepare).
    ...(rootless?.rootOverlay ? [{ destination: '/', type: 'overlay', source: 'overlay', options: [rootless.rootOverlay] }] : []),
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${args.shmSize ?? 64 * 1024 * 1024}`] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    sys,
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', args.privileged ? 'rw' : 'ro'] },
  ];
  for (const [file, source] of Object.entries(ctx.etcFiles)) {
    if (source) mounts.push({ destination: `/etc/${file}`, type: 'bind', source, options: ['rbind', 'rprivate', 'ro'] });
  }
  if (args.readOnly && args.readOnlyTmpfs) {
    for (const d of ['/tmp', '/var/tmp', '/run']) mounts.push({ destination: d, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  }
  for (const t of args.tmpfs) {
    mounts.push({ destination: t.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(t.options ? t.options.split(',') : ['mode=1777'])] });
  }
  for (const m of ctx.mounts) {
    mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readOnly ? 'ro' : 'rw', ...m.options] });
  }
  if (args.init && ctx.initPath) mounts.push({ destination: '/run/podgen-init', type: 'bind', source: ctx.initPath, options: ['bind', 'ro'] });

  if (rootless) {
    for (const m of mounts) {
      if (m.type !== 'bind') continue;
      const locked = rootless.lockedFlags[m.source as string] ?? [];
      const options = m.options as string[];
      // A locked ro wins over rw; the other locked flags are added.
      m.options = [...options.filter((o) => !(o === 'rw' && locked.includes('ro'))), ...locked.filter((o) => !options.includes(o))];
    }
  }
  // A user namespace to join comes first: the other namespaces are joined or made inside it.
  const userns: Record<string, string>[] = rootless ? [rootless.usernsPath ? { type: 'user', path: rootless.usernsPath } : { type: 'user' }] : [];
  const namespaces: Record<string, string>[] = [...userns, { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
  if (args.network !== 'host') namespaces.push(ctx.netnsPath ? { type: 'network', path: ctx.netnsPath } : { type: 'network' });

  // A rootless runtime cannot load the device cgroup filter; the kernel keeps a user namespace off
  // device nodes it was not given anyway (they are bind mounts of what the user may open).
  const resources: Record<string, unknown> = rootless ? {} : { devices: [{ allow: args.privileged, access: 'rwm' }] };
  if (ctx.applyLimits) {
    if (args.memory !== undefined) resources.memory = { limit: args.memory };
    if (args.pidsLimit !== undefined && args.pidsLimit > 0) resources.pids = { limit: args.pidsLimit };
    if (args.cpus !== undefined) resources.cpu = { quota: Math.round(args.cpus * 100000), period: 100000 };
  }
  const devices = ctx.devices.map((d) => ({ path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: 0, gid: 0 }));
  if (!rootless) appendAll(resources.devices as unknown[], ctx.devices.map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.access })));

  return {
    ociVersion: '1.0.2',
    process: {
      terminal: args.tty && !args.detach,
      user: { uid: ctx.uid, gid: ctx.gid, ...(ctx.additionalGids.length ? { additionalGids: [...ctx.additionalGids] } : {}) },
      args: argv,
      env: processEnv(args, image, ctx, hostname),
      cwd: args.workdir ?? (image.WorkingDir || '/'),
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [...rlimits.values()],
      noNewPrivileges: args.noNewPrivileges,
    },
    root: { path: 'rootfs', readonly: args.readOnly },
    hostname,
    mounts,
    annotations: Object.fromEntries([...args.labels.map(([k, v]) => [`label.${k}`, v]), ...args.annotations]),
    ...(rootless?.networkHook ? { hooks: { createRuntime: [{ path: rootless.networkHook.path, args: [...rootless.networkHook.args] }] } } : {}),
    linux: {
      devices,
      resources,
      ...(rootless ? { uidMappings: [...rootless.uidMappings], gidMappings: [...rootless.gidMappings] } : {}),
      ...(ctx.cgroupsPath !== undefined ? { cgroupsPath: ctx.cgroupsPath } : {}),
      namespaces,
      sysctl: Object.fromEntries(args.sysctls),
      maskedPaths: paths.masked,
      readonlyPaths: paths.readonly,
      ...(seccomp ? { seccomp } : {}),
    },
  };
}
