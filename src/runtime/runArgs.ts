// `docker run` flags -> a typed RunArgs (pure). The podgen engine hands its
// units' flags to `podgen prepare` in this spelling, and `podgen run` takes
// them from people, so one parser serves both. Flags podgen cannot honour are
// refused by name, never skipped.

import { appendAll } from '../arrays';
import { PodgenError } from '../errors';
import { type FlagKind, scanFlags } from '../parse/argv';
import { parseCapability } from '../values/capability';
import { parseCpus } from '../values/cpus';
import type { Parsed } from '../values/parsed';
import { parsePublish, type PortMapping, portMappings } from '../values/port';
import { parseSignal } from '../values/signal';
import { parseSecurityOpt, type SeccompChoice, type SecurityOpt } from '../values/securityOpt';
import { parseSize } from '../values/size';
import { parseUlimit, type Ulimit } from '../values/ulimit';
import { parseVolume, type VolumeSpec } from '../values/volume';
import { HEALTH_OPTIONS, type HealthConfig, type HealthOptions, parseHealth } from './healthConfig';
import { type IdMapping, parseIdMap, parseUserNs, type UserNsMode } from './rootless';

export type { PortMapping } from '../values/port';
export type { VolumeSpec } from '../values/volume';
export type { Ulimit } from '../values/ulimit';

export interface RunArgs {
  readonly name: string | undefined;
  readonly image: string;
  readonly command: readonly string[];
  readonly detach: boolean;
  readonly tty: boolean;
  readonly interactive: boolean;
  readonly remove: boolean;
  /** In order; a later assignment of a name wins. */
  readonly env: ReadonlyArray<readonly [string, string]>;
  readonly envFiles: ReadonlyArray<{ readonly path: string; readonly optional: boolean }>;
  readonly envHost: boolean;
  readonly user: string | undefined;
  readonly groupAdd: readonly string[];
  readonly workdir: string | undefined;
  readonly hostname: string | undefined;
  /** undefined: the image's; "": none. */
  readonly entrypoint: string | undefined;
  readonly readOnly: boolean;
  readonly readOnlyTmpfs: boolean;
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly noNewPrivileges: boolean;
  /** --security-opt seccomp=...: the default profile unless unconfined or a file is given. */
  readonly seccomp: SeccompChoice;
  /** --privileged: every capability and host device, no seccomp filter, no masked or read-only paths. */
  readonly privileged: boolean;
  /** --security-opt mask=...: paths masked besides the default ones. */
  readonly mask: readonly string[];
  /** --security-opt unmask=...: default masked or read-only paths to leave open, or ALL. */
  readonly unmask: readonly string[] | 'ALL';
  readonly ulimits: readonly Ulimit[];
  readonly memory: number | undefined;
  readonly pidsLimit: number | undefined;
  readonly cpus: number | undefined;
  readonly shmSize: number | undefined;
  readonly devices: ReadonlyArray<{ readonly host: string; readonly container: string; readonly permissions: string }>;
  readonly annotations: ReadonlyArray<readonly [string, string]>;
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** host, none, bridge (the default, as Docker's) or a named bridge network: the first --network. */
  readonly network: string;
  /** Every --network in order (a container can join several named networks). */
  readonly networks: readonly string[];
  readonly networkAliases: readonly string[];
  readonly ip: string | undefined;
  /** A podgen pod whose network namespace the container joins (its address, ports and networks). */
  readonly pod: string | undefined;
  readonly dns: readonly string[];
  readonly dnsOptions: readonly string[];
  readonly dnsSearch: readonly string[];
  readonly addHosts: ReadonlyArray<readonly [string, string]>;
  readonly publish: readonly PortMapping[];
  readonly expose: readonly string[];
  readonly volumes: readonly VolumeSpec[];
  readonly tmpfs: ReadonlyArray<{ readonly target: string; readonly options: string }>;
  readonly init: boolean;
  readonly stopSignal: string | undefined;
  readonly stopTimeout: number | undefined;
  readonly sysctls: ReadonlyArray<readonly [string, string]>;
  readonly timezone: string | undefined;
  readonly restart: string | undefined;
  readonly pull: string | undefined;
  /** --health-cmd and friends, through the one health parser (healthConfig.ts). */
  readonly health: HealthConfig | undefined;
  /** --userns (rootless only: rootless.ts says what each mode maps). */
  readonly userns: UserNsMode;
  /** --uidmap/--gidmap: container:host:size, host ids counted in the user's own namespace. */
  readonly uidMap: readonly IdMapping[];
  readonly gidMap: readonly IdMapping[];
  /** --subuidname/--subgidname: whose /etc/subuid, /etc/subgid ranges to map (rootless: only your own). */
  readonly subuidName: string | undefined;
  readonly subgidName: string | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer E> ? E[] : T[K] };

const usage = (message: string, hint?: string): PodgenError => new PodgenError(message, { kind: 'usage', hint: hint ?? 'podgen run --help lists the docker run flags podgen honours' });

/** A value through its one parser (src/values), or the usage error that names the flag. */
function parsed<T>(p: Parsed<T>, flag: string, hint?: string): T {
  if (!p.ok) throw usage(`${flag}: ${p.message}`, hint);
  return p.value;
}

function keyVal(v: string, flag: string): [string, string] {
  const eq = v.indexOf('=');
  if (eq <= 0) throw usage(`${flag}: "${v}" is not NAME=VALUE`);
  return [v.slice(0, eq), v.slice(eq + 1)];
}

/** podgen's runtime publishes through CNI's portmap: tcp and udp. */
export function publish(v: string): PortMapping[] {
  const spec = parsed(parsePublish(v), '--publish');
  if (spec.protocol === 'sctp') throw usage(`--publish ${v}: podgen's runtime publishes tcp and udp ports, not sctp`, 'use --engine podman for sctp');
  return portMappings(spec);
}

/** Volume options podgen's runtime honours (the rest of podman's: --engine podman). */
const RUNTIME_VOLUME_OPTIONS = ['ro', 'rw', 'z', 'Z', 'U', 'rbind', 'bind', 'rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave', 'noexec', 'exec', 'nosuid', 'suid', 'nodev', 'dev', 'O'];

function volume(v: string): VolumeSpec {
  const spec = parsed(parseVolume(v), '--volume');
  for (const o of spec.kind === 'anonymous' ? [] : spec.options) {
    if (!RUNTIME_VOLUME_OPTIONS.includes(o)) throw usage(`--volume ${v}: option "${o}" is not supported by podgen's runtime`, `volume options: ${RUNTIME_VOLUME_OPTIONS.join(', ')}; or --engine podman`);
  }
  return spec;
}

function parseDevice(v: string): { host: string; container: string; permissions: string } {
  const [host, container, permissions] = v.split(':');
  if (!host?.startsWith('/')) throw usage(`--device ${v}: expected /dev/HOST[:/dev/CONTAINER][:rwm]`);
  if (container && !container.startsWith('/')) return { host, container: host, permissions: container };
  return { host, container: container || host, permissions: permissions || 'rwm' };
}

/** Flags that take a value. */
const VALUE_FLAGS = new Set([
  '--name', '-e', '--env', '--env-file', '-u', '--user', '--group-add', '-w', '--workdir', '-h', '--hostname', '--entrypoint',
  '--cap-add', '--cap-drop', '--security-opt', '--ulimit', '-m', '--memory', '--pids-limit', '--cpus', '--shm-size', '--device',
  '--annotation', '-l', '--label', '--network', '--net', '--network-alias', '--pod', '--ip', '--dns', '--dns-option', '--dns-search',
  '--add-host', '-p', '--publish', '--expose', '-v', '--volume', '--tmpfs', '--stop-signal', '--stop-timeout', '--sysctl', '--tz',
  '--restart', '--pull', '--retry', '--retry-delay', '--userns', '--uidmap', '--gidmap', '--subuidname', '--subgidname',
  ...HEALTH_OPTIONS.map((o) => `--health-${o}`),
]);
const BOOL_FLAGS = new Set(['-d', '--detach', '-t', '--tty', '-i', '--interactive', '--rm', '--init', '--read-only', '--read-only-tmpfs', '--env-host', '--privileged']);
/** Flags podman knows that podgen's runtime does not honour: refused by name. */
const REFUSED: Readonly<Record<string, string>> = {
  '--mount': 'use -v/--volume or --tmpfs',
  '--ip6': 'IPv6 addresses are not supported by podgen bridge networks yet',
};

/**
 * What prepare would say of one flag (with its value), or undefined: the planner asks this of
 * every flag it writes, so that what generate accepts is never refused when the unit starts.
 */
export function flagProblem(words: readonly string[]): string | undefined {
  try {
    parseRunArgs([...words, 'image']);
    return undefined;
  } catch (e) {
    return e instanceof PodgenError ? e.message : String(e);
  }
}

/** Whether a flag takes a value (the next word, unless written --flag=value). */
export function takesValue(flag: string): boolean {
  return VALUE_FLAGS.has(flag);
}

/** Whether a user namespace option (--userns, --uidmap, --gidmap, --subuidname, --subgidname) was given. */
export function userNsOptionsGiven(args: RunArgs): boolean {
  return args.userns.kind !== 'default' || args.uidMap.length > 0 || args.gidMap.length > 0 || args.subuidName !== undefined || args.subgidName !== undefined;
}

/** Parse `[docker run flags] IMAGE [COMMAND...]`. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const a: Mutable<RunArgs> = {
    name: undefined, image: '', command: [], detach: false, tty: false, interactive: false, remove: false,
    env: [], envFiles: [], envHost: false, user: undefined, groupAdd: [], workdir: undefined, hostname: undefined,
    entrypoint: undefined, readOnly: false, readOnlyTmpfs: true, capAdd: [], capDrop: [], noNewPrivileges: false, ulimits: [],
    seccomp: { kind: 'default' }, privileged: false, mask: [], unmask: [],
    memory: undefined, pidsLimit: undefined, cpus: undefined, shmSize: undefined, devices: [], annotations: [], labels: [],
    network: 'bridge', networks: [], networkAliases: [], ip: undefined, pod: undefined, dns: [], dnsOptions: [], dnsSearch: [], addHosts: [], publish: [],
    expose: [], volumes: [], tmpfs: [], init: false, stopSignal: undefined, stopTimeout: undefined, sysctls: [], timezone: undefined,
    restart: undefined, pull: undefined, health: undefined, userns: { kind: 'default' }, uidMap: [], gidMap: [], subuidName: undefined, subgidName: undefined,
  };
  const health: Record<string, string> = {};
  const kindOf = (name: string): FlagKind | undefined => (BOOL_FLAGS.has(name) ? 'bool' : VALUE_FLAGS.has(name) || REFUSED[name] ? 'value' : undefined);
  const { flags, operand: i } = scanFlags(argv, kindOf, {
    unknown: (name, word) => usage(`unknown flag ${name}${word !== name && !word.startsWith(`${name}=`) ? ` in ${word}` : ''}`),
    needsValue: (name) => usage(`${name} needs a value`),
  });
  for (const { name: flag, value } of flags) {
    if (REFUSED[flag]) throw usage(`${flag} is not supported by podgen's runtime`, REFUSED[flag]);
    if (BOOL_FLAGS.has(flag)) {
      if (value !== undefined && value !== 'true' && value !== 'false') throw usage(`${flag}=${value}: expected true or false`);
      setBool(a, flag, value !== 'false');
      continue;
    }
    if (flag.startsWith('--health-')) health[flag.slice('--health-'.length)] = value as string;
    else setValue(a, flag, value as string);
  }
  if (a.userns.kind !== 'default' && (a.uidMap.length > 0 || a.gidMap.length > 0)) {
    throw usage(`UserNS=${a.userns.kind} cannot be combined with UIDMap=/GIDMap=`, 'keep one of them');
  }
  const parsedHealth = parseHealth(health as HealthOptions);
  if (!parsedHealth.ok) throw usage(`--health-${parsedHealth.option}: ${parsedHealth.message}`);
  a.health = parsedHealth.config;
  const image = argv[i];
  if (image === undefined || image === '') throw usage('no image given', 'podgen run [FLAGS] IMAGE [COMMAND [ARG...]]');
  a.image = image;
  a.command = argv.slice(i + 1);
  return a;
}

function setBool(a: Mutable<RunArgs>, flag: string, on: boolean): void {
  switch (flag) {
    case '-d':
    case '--detach':
      a.detach = on;
      break;
    case '-t':
    case '--tty':
      a.tty = on;
      break;
    case '-i':
    case '--interactive':
      a.interactive = on;
      break;
    case '--rm':
      a.remove = on;
      break;
    case '--init':
      a.init = on;
      break;
    case '--read-only':
      a.readOnly = on;
      break;
    case '--read-only-tmpfs':
      a.readOnlyTmpfs = on;
      break;
    case '--env-host':
      a.envHost = on;
      break;
    case '--privileged':
      a.privileged = on;
      break;
    default:
      throw usage(`unknown flag ${flag}`);
  }
}

function setValue(a: Mutable<RunArgs>, flag: string, v: string): void {
  const int = (min: number): number => {
    if (!/^-?\d+$/.test(v) || Number(v) < min) throw usage(`${flag}: "${v}" is not a whole number >= ${min}`);
    return Number(v);
  };
  switch (flag) {
    case '--name':
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v)) throw usage(`--name ${v}: names use letters, digits, _ . -`);
      a.name = v;
      break;
    case '-e':
    case '--env': {
      const eq = v.indexOf('=');
      // -e NAME (no value) takes NAME from podgen's own environment, as docker does.
      if (eq === -1) a.env.push([v, process.env[v] ?? '']);
      else a.env.push([v.slice(0, eq), v.slice(eq + 1)]);
      break;
    }
    case '--env-file':
      a.envFiles.push(v.startsWith('-') ? { path: v.slice(1), optional: true } : { path: v, optional: false });
      break;
    case '-u':
    case '--user':
      a.user = v;
      break;
    case '--group-add':
      a.groupAdd.push(v);
      break;
    case '-w':
    case '--workdir':
      if (!v.startsWith('/')) throw usage(`--workdir ${v}: must be an absolute path`);
      a.workdir = v;
      break;
    case '-h':
    case '--hostname':
      a.hostname = v;
      break;
    case '--entrypoint':
      a.entrypoint = v;
      break;
    case '--cap-add':
      a.capAdd.push(parsed(parseCapability(v), flag));
      break;
    case '--cap-drop':
      a.capDrop.push(parsed(parseCapability(v), flag));
      break;
    case '--security-opt': {
      const opt = parseSecurityOpt(v);
      if (!opt.ok) throw usage(opt.message);
      applySecurityOpt(a, opt.value);
      break;
    }
    case '--ulimit':
      if (v !== 'host') a.ulimits.push(parsed(parseUlimit(v), flag)); // host: the host's own limits, which the container inherits
      break;
    case '-m':
    case '--memory':
      a.memory = parsed(parseSize(v), flag, 'use a number with an optional unit: 512m, 1g');
      break;
    case '--pids-limit':
      a.pidsLimit = int(-1);
      break;
    case '--cpus':
      a.cpus = parsed(parseCpus(v), flag) / 10_000;
      break;
    case '--shm-size':
      a.shmSize = parsed(parseSize(v), flag, 'use a number with an optional unit: 64m');
      break;
    case '--device':
      a.devices.push(parseDevice(v));
      break;
    case '--annotation':
      a.annotations.push(keyVal(v, flag));
      break;
    case '-l':
    case '--label':
      a.labels.push(v.includes('=') ? keyVal(v, flag) : [v, '']);
      break;
    case '--net':
    case '--network':
      if (v.startsWith('container:') || v === 'slirp4netns' || v === 'pasta' || v === 'private' || v.startsWith('ns:')) {
        throw usage(`--network ${v} is not supported by podgen's runtime`, 'use host, none, bridge, or the name of a podgen bridge network');
      }
      a.networks.push(v === 'default' ? 'bridge' : v);
      a.network = a.networks[0] as string;
      if (a.networks.length > 1 && a.networks.some((n) => n === 'host' || n === 'none')) {
        throw usage(`--network ${a.networks.join(', ')}: host and none cannot be combined with other networks`, 'give one of host or none alone, or only bridge networks');
      }
      break;
    case '--network-alias':
      a.networkAliases.push(v);
      break;
    case '--pod':
      a.pod = v;
      break;
    case '--ip':
      a.ip = v;
      break;
    case '--dns':
      a.dns.push(v);
      break;
    case '--dns-option':
      a.dnsOptions.push(v);
      break;
    case '--dns-search':
      a.dnsSearch.push(v);
      break;
    case '--add-host': {
      const m = /^([^:]+):(.+)$/.exec(v);
      if (!m) throw usage(`--add-host ${v}: expected HOST:IP`);
      a.addHosts.push([m[1] as string, m[2] as string]);
      break;
    }
    case '-p':
    case '--publish':
      appendAll(a.publish, publish(v));
      break;
    case '--expose':
      a.expose.push(v);
      break;
    case '-v':
    case '--volume':
      a.volumes.push(volume(v));
      break;
    case '--tmpfs': {
      const colon = v.indexOf(':');
      const target = colon === -1 ? v : v.slice(0, colon);
      if (!target.startsWith('/')) throw usage(`--tmpfs ${v}: the container path must be absolute`);
      a.tmpfs.push({ target, options: colon === -1 ? '' : v.slice(colon + 1) });
      break;
    }
    case '--stop-signal':
      a.stopSignal = parsed(parseSignal(v), flag).name;
      break;
    case '--stop-timeout':
      a.stopTimeout = int(0);
      break;
    case '--sysctl':
      a.sysctls.push(keyVal(v, flag));
      break;
    case '--tz':
      a.timezone = v;
      break;
    case '--restart':
      a.restart = v;
      break;
    case '--pull':
      if (!['always', 'missing', 'never', 'newer'].includes(v)) throw usage(`--pull ${v}: expected always, missing, never or newer`);
      a.pull = v;
      break;
    case '--retry':
    case '--retry-delay':
      break; // pull retries: podgen's registry client retries on its own
    case '--userns':
      a.userns = parseUserNs(v);
      break;
    case '--uidmap':
      a.uidMap.push(parseIdMap(v));
      break;
    case '--gidmap':
      a.gidMap.push(parseIdMap(v));
      break;
    case '--subuidname':
      a.subuidName = v;
      break;
    case '--subgidname':
      a.subgidName = v;
      break;
    default:
      throw usage(`unknown flag ${flag}`);
  }
}

function applySecurityOpt(a: Mutable<RunArgs>, opt: SecurityOpt): void {
  switch (opt.kind) {
    case 'no-new-privileges':
      a.noNewPrivileges = opt.value;
      return;
    case 'seccomp':
      a.seccomp = opt.profile;
      return;
    case 'mask':
      a.mask = [...a.mask, ...opt.paths];
      return;
    case 'unmask':
      a.unmask = opt.paths === 'ALL' || a.unmask === 'ALL' ? 'ALL' : [...a.unmask, ...opt.paths];
      return;
  }
}
