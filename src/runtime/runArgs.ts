// `docker run` flags -> a typed RunArgs (pure). The podgen engine hands its
// units' flags to `podgen prepare` in this spelling, and `podgen run` takes
// them from people, so one parser serves both. Flags podgen cannot honour are
// refused by name, never skipped.

import { PodgenError } from '../errors';
import { HEALTH_OPTIONS, type HealthConfig, type HealthOptions, parseHealth } from './healthConfig';

export interface PortMapping {
  readonly hostIp: string;
  /** 0 until prepare picks a free port (`-p 80` publishes on a random host port, as Docker does). */
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export type VolumeSpec =
  | { readonly kind: 'bind'; readonly source: string; readonly target: string; readonly options: readonly string[] }
  | { readonly kind: 'named'; readonly name: string; readonly target: string; readonly options: readonly string[] }
  | { readonly kind: 'anonymous'; readonly target: string };

export interface Ulimit {
  readonly type: string;
  readonly soft: number;
  readonly hard: number;
}

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
  readonly ulimits: readonly Ulimit[];
  readonly memory: number | undefined;
  readonly pidsLimit: number | undefined;
  readonly cpus: number | undefined;
  readonly shmSize: number | undefined;
  readonly devices: ReadonlyArray<{ readonly host: string; readonly container: string; readonly permissions: string }>;
  readonly annotations: ReadonlyArray<readonly [string, string]>;
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** host, none, bridge (the default, as Docker's) or a named bridge network. */
  readonly network: string;
  readonly networkAliases: readonly string[];
  readonly ip: string | undefined;
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
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer E> ? E[] : T[K] };

const usage = (message: string, hint?: string): PodgenError => new PodgenError(message, { kind: 'usage', hint: hint ?? 'podgen run --help lists the docker run flags podgen honours' });

/** 512m, 1g, 1024 (bytes) -> bytes. */
export function parseSize(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw usage(`${flag}: "${v}" is not a size`, 'use a number with an optional unit: 512m, 1g');
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

function keyVal(v: string, flag: string): [string, string] {
  const eq = v.indexOf('=');
  if (eq <= 0) throw usage(`${flag}: "${v}" is not NAME=VALUE`);
  return [v.slice(0, eq), v.slice(eq + 1)];
}

/** [[ip:][hostPort]:]containerPort[/proto]; ranges expand to one mapping per port. */
export function parsePublish(v: string): PortMapping[] {
  const [spec, protoRaw] = v.split('/');
  const protocol = (protoRaw ?? 'tcp').toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') throw usage(`--publish ${v}: protocol must be tcp or udp`);
  let hostIp = '';
  let rest = spec ?? '';
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1] as string;
    rest = v6[2] as string;
  }
  const parts = rest.split(':');
  if (!v6 && parts.length === 3) hostIp = parts.shift() as string;
  if (parts.length > 2 || parts.length === 0) throw usage(`--publish ${v}: expected [[IP:][HOST_PORT]:]CONTAINER_PORT[/PROTOCOL]`);
  const containerSpec = parts.pop() as string;
  const hostSpec = parts.pop() ?? '';
  const range = (s: string): [number, number] => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (!m) throw usage(`--publish ${v}: "${s}" is not a port or port range`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || b > 65535 || b < a) throw usage(`--publish ${v}: ports must be 1-65535, ranges low-high`);
    return [a, b];
  };
  const [c0, c1] = range(containerSpec);
  const [h0, h1] = hostSpec === '' ? [0, 0] : range(hostSpec);
  if (hostSpec !== '' && h1 - h0 !== c1 - c0) throw usage(`--publish ${v}: host and container port ranges differ in length`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= c1 - c0; i++) out.push({ hostIp, hostPort: hostSpec === '' ? 0 : h0 + i, containerPort: c0 + i, protocol });
  return out;
}

/** -v SOURCE:TARGET[:OPTIONS], -v NAME:TARGET, -v TARGET. */
export function parseVolume(v: string): VolumeSpec {
  const parts = v.split(':');
  if (parts.length === 1) {
    if (!v.startsWith('/')) throw usage(`--volume ${v}: a container path must be absolute`);
    return { kind: 'anonymous', target: v };
  }
  const [source, target, opts] = parts as [string, string, string | undefined];
  if (parts.length > 3 || !target.startsWith('/')) throw usage(`--volume ${v}: expected SOURCE:/CONTAINER/PATH[:OPTIONS]`);
  const options = opts ? opts.split(',').filter(Boolean) : [];
  for (const o of options) {
    if (!['ro', 'rw', 'z', 'Z', 'U', 'rbind', 'bind', 'rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave', 'noexec', 'exec', 'nosuid', 'suid', 'nodev', 'dev', 'O'].includes(o)) {
      throw usage(`--volume ${v}: unknown option "${o}"`, 'volume options: ro, rw, z, Z, nosuid, nodev, noexec, (r)private, (r)shared, (r)slave');
    }
  }
  if (source.startsWith('/') || source.startsWith('.')) return { kind: 'bind', source, target, options };
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source)) throw usage(`--volume ${v}: "${source}" is neither an absolute path nor a volume name`);
  return { kind: 'named', name: source, target, options };
}

function parseUlimit(v: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+|unlimited)(?::(-?\d+|unlimited))?$/.exec(v);
  if (!m) throw usage(`--ulimit ${v}: expected TYPE=SOFT[:HARD]`);
  const n = (s: string): number => (s === 'unlimited' || s === '-1' ? -1 : Number(s));
  const soft = n(m[2] as string);
  return { type: m[1] as string, soft, hard: m[3] === undefined ? soft : n(m[3]) };
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
  '--annotation', '-l', '--label', '--network', '--net', '--network-alias', '--ip', '--dns', '--dns-option', '--dns-search',
  '--add-host', '-p', '--publish', '--expose', '-v', '--volume', '--tmpfs', '--stop-signal', '--stop-timeout', '--sysctl', '--tz',
  '--restart', '--pull', '--retry', '--retry-delay',
  ...HEALTH_OPTIONS.map((o) => `--health-${o}`),
]);
const BOOL_FLAGS = new Set(['-d', '--detach', '-t', '--tty', '-i', '--interactive', '--rm', '--init', '--read-only', '--read-only-tmpfs', '--env-host']);
/** Flags podman knows that podgen's runtime does not honour: refused by name. */
const REFUSED: Readonly<Record<string, string>> = {
  '--privileged': 'podgen does not run privileged containers; add the capabilities and devices the container needs',
  '--mount': 'use -v/--volume or --tmpfs',
  '--pod': 'pods are not supported by the podgen engine; use --engine podman',
  '--userns': 'user namespaces are not supported by the podgen engine yet; use --engine podman',
  '--ip6': 'IPv6 addresses are not supported by podgen bridge networks yet',
};

/** Parse `[docker run flags] IMAGE [COMMAND...]`. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const a: Mutable<RunArgs> = {
    name: undefined, image: '', command: [], detach: false, tty: false, interactive: false, remove: false,
    env: [], envFiles: [], envHost: false, user: undefined, groupAdd: [], workdir: undefined, hostname: undefined,
    entrypoint: undefined, readOnly: false, readOnlyTmpfs: true, capAdd: [], capDrop: [], noNewPrivileges: false, ulimits: [],
    memory: undefined, pidsLimit: undefined, cpus: undefined, shmSize: undefined, devices: [], annotations: [], labels: [],
    network: 'bridge', networkAliases: [], ip: undefined, dns: [], dnsOptions: [], dnsSearch: [], addHosts: [], publish: [],
    expose: [], volumes: [], tmpfs: [], init: false, stopSignal: undefined, stopTimeout: undefined, sysctls: [], timezone: undefined,
    restart: undefined, pull: undefined, health: undefined,
  };
  const health: Record<string, string> = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    let flag = arg;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      flag = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    } else if (!arg.startsWith('--') && arg.length > 2) {
      // -dt, -it, -p80:80, -eFOO=bar: clustered booleans, or a short flag with its value attached.
      const first = `-${arg[1]}`;
      if (VALUE_FLAGS.has(first)) {
        flag = first;
        value = arg.slice(2);
      } else {
        const cluster = [...arg.slice(1)].map((c) => `-${c}`);
        const bad = cluster.find((c) => !BOOL_FLAGS.has(c));
        if (bad) throw usage(`unknown flag ${bad} in ${arg}`);
        for (const c of cluster) setBool(a, c, true);
        continue;
      }
    }
    if (REFUSED[flag]) throw usage(`${flag} is not supported by podgen's runtime`, REFUSED[flag]);
    if (BOOL_FLAGS.has(flag)) {
      if (value !== undefined && value !== 'true' && value !== 'false') throw usage(`${flag}=${value}: expected true or false`);
      setBool(a, flag, value !== 'false');
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) throw usage(`unknown flag ${flag}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw usage(`${flag} needs a value`);
      value = argv[++i] as string;
    }
    if (flag.startsWith('--health-')) health[flag.slice('--health-'.length)] = value;
    else setValue(a, flag, value);
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
      a.capAdd.push(v);
      break;
    case '--cap-drop':
      a.capDrop.push(v);
      break;
    case '--security-opt':
      if (v === 'no-new-privileges' || v === 'no-new-privileges=true' || v === 'no-new-privileges:true') a.noNewPrivileges = true;
      else throw usage(`--security-opt ${v} is not supported by podgen's runtime`, 'only no-new-privileges is; SELinux, AppArmor and seccomp options need --engine podman');
      break;
    case '--ulimit':
      a.ulimits.push(parseUlimit(v));
      break;
    case '-m':
    case '--memory':
      a.memory = parseSize(v, flag);
      break;
    case '--pids-limit':
      a.pidsLimit = int(-1);
      break;
    case '--cpus':
      if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) throw usage(`--cpus ${v}: expected a positive number such as 1.5`);
      a.cpus = Number(v);
      break;
    case '--shm-size':
      a.shmSize = parseSize(v, flag);
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
      a.network = v === 'default' ? 'bridge' : v;
      break;
    case '--network-alias':
      a.networkAliases.push(v);
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
      a.publish.push(...parsePublish(v));
      break;
    case '--expose':
      a.expose.push(v);
      break;
    case '-v':
    case '--volume':
      a.volumes.push(parseVolume(v));
      break;
    case '--tmpfs': {
      const colon = v.indexOf(':');
      const target = colon === -1 ? v : v.slice(0, colon);
      if (!target.startsWith('/')) throw usage(`--tmpfs ${v}: the container path must be absolute`);
      a.tmpfs.push({ target, options: colon === -1 ? '' : v.slice(colon + 1) });
      break;
    }
    case '--stop-signal':
      a.stopSignal = v;
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
    default:
      throw usage(`unknown flag ${flag}`);
  }
}
