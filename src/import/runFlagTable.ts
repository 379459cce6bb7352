// Every `docker run` / `podman run` flag, and what a definition makes of it:
// a [Container] key, a special reading, a flag that means nothing for a
// service (said in a note), a flag only podman honours (PodmanArgs= with
// --engine podman), or a refusal with the reason. A flag not in this table is
// refused as unknown. Pure data; importRun.ts reads it.

export type Special =
  | 'env' | 'envFile' | 'user' | 'securityOpt' | 'restart' | 'name' | 'rootfs' | 'sdnotify' | 'noHealthcheck' | 'pod' | 'volume' | 'runtime' | 'httpProxy';

export type FlagRule =
  /** Each value is one assignment of the key. */
  | { readonly kind: 'key'; readonly key: string }
  /** A boolean flag: KEY=true, or KEY=false for --flag=false. */
  | { readonly kind: 'bool'; readonly key: string }
  | { readonly kind: 'special'; readonly special: Special }
  /** Understood, and nothing to write: the note says what becomes of it in a service. */
  | { readonly kind: 'understood'; readonly note: string }
  /** No key, and podgen's runtime cannot do it: PodmanArgs= with --engine podman, else refused with why. */
  | { readonly kind: 'podman'; readonly why: string }
  /** Neither engine can express it in a unit. */
  | { readonly kind: 'refused'; readonly why: string };

export interface FlagSpec {
  /** Every spelling: the long name first, then aliases and the short form. */
  readonly names: readonly string[];
  readonly takesValue: boolean;
  readonly rule: FlagRule;
}

const key = (k: string): FlagRule => ({ kind: 'key', key: k });
const bool = (k: string): FlagRule => ({ kind: 'bool', key: k });
const special = (s: Special): FlagRule => ({ kind: 'special', special: s });
const podman = (why: string): FlagRule => ({ kind: 'podman', why });
const refused = (why: string): FlagRule => ({ kind: 'refused', why });
const understood = (note: string): FlagRule => ({ kind: 'understood', note });

const V = true;
const B = false;
const f = (names: string | readonly string[], takesValue: boolean, rule: FlagRule): FlagSpec => ({ names: typeof names === 'string' ? [names] : names, takesValue, rule });

const RESOURCES = "podgen's runtime sets memory (Memory=), CPU (CPUs=) and pids (PidsLimit=) limits only";
const NAMESPACES = "podgen's runtime gives each container its own namespaces (Network=container:NAME or a .pod shares a network)";
const PLATFORM = 'podgen runs images of the host\'s platform';
const CONMON = 'there is no conmon: systemd supervises the container';

const HEALTH: ReadonlyArray<readonly [string, string]> = [
  ['cmd', 'HealthCmd'], ['interval', 'HealthInterval'], ['log-destination', 'HealthLogDestination'], ['max-log-count', 'HealthMaxLogCount'],
  ['max-log-size', 'HealthMaxLogSize'], ['on-failure', 'HealthOnFailure'], ['retries', 'HealthRetries'], ['start-period', 'HealthStartPeriod'],
  ['startup-cmd', 'HealthStartupCmd'], ['startup-interval', 'HealthStartupInterval'], ['startup-retries', 'HealthStartupRetries'],
  ['startup-success', 'HealthStartupSuccess'], ['startup-timeout', 'HealthStartupTimeout'], ['timeout', 'HealthTimeout'],
];

export const RUN_FLAGS: readonly FlagSpec[] = [
  // Mapped to [Container] keys.
  f('--add-host', V, key('AddHost')),
  f('--annotation', V, key('Annotation')),
  f('--authfile', V, key('AuthFile')),
  f('--cap-add', V, key('AddCapability')),
  f('--cap-drop', V, key('DropCapability')),
  f('--cgroups', V, key('CgroupsMode')),
  f('--cpus', V, key('CPUs')),
  f('--device', V, key('AddDevice')),
  f('--dns', V, key('DNS')),
  f(['--dns-option', '--dns-opt'], V, key('DNSOption')),
  f('--dns-search', V, key('DNSSearch')),
  f('--entrypoint', V, key('Entrypoint')),
  f('--env-host', B, bool('EnvironmentHost')),
  f('--expose', V, key('ExposeHostPort')),
  f('--gidmap', V, key('GIDMap')),
  f('--group-add', V, key('GroupAdd')),
  ...HEALTH.map(([o, k]) => f(`--health-${o}`, V, key(k))),
  f(['--hostname', '-h'], V, key('HostName')),
  f('--init', B, bool('RunInit')),
  f('--ip', V, key('IP')),
  f('--ip6', V, key('IP6')),
  f(['--label', '-l'], V, key('Label')),
  f('--log-driver', V, key('LogDriver')),
  f('--log-opt', V, key('LogOpt')),
  f(['--memory', '-m'], V, key('Memory')),
  f('--mount', V, key('Mount')),
  f(['--network', '--net'], V, key('Network')),
  f(['--network-alias', '--net-alias'], V, key('NetworkAlias')),
  f('--pids-limit', V, key('PidsLimit')),
  f('--privileged', B, bool('Privileged')),
  f(['--publish', '-p'], V, key('PublishPort')),
  f('--pull', V, key('Pull')),
  f('--read-only', B, bool('ReadOnly')),
  f('--read-only-tmpfs', B, bool('ReadOnlyTmpfs')),
  f('--retry', V, key('Retry')),
  f('--retry-delay', V, key('RetryDelay')),
  f('--secret', V, key('Secret')),
  f('--shm-size', V, key('ShmSize')),
  f('--stop-signal', V, key('StopSignal')),
  f('--stop-timeout', V, key('StopTimeout')),
  f('--subgidname', V, key('SubGIDMap')),
  f('--subuidname', V, key('SubUIDMap')),
  f('--sysctl', V, key('Sysctl')),
  f('--tmpfs', V, key('Tmpfs')),
  f('--tz', V, key('Timezone')),
  f('--uidmap', V, key('UIDMap')),
  f('--ulimit', V, key('Ulimit')),
  f('--userns', V, key('UserNS')),
  f(['--workdir', '-w'], V, key('WorkingDir')),
  // Read specially.
  f(['--env', '-e'], V, special('env')),
  f('--env-file', V, special('envFile')),
  f('--http-proxy', B, special('httpProxy')),
  f(['--user', '-u'], V, special('user')),
  f('--security-opt', V, special('securityOpt')),
  f('--restart', V, special('restart')),
  f('--name', V, special('name')),
  f('--rootfs', B, special('rootfs')),
  f('--sdnotify', V, special('sdnotify')),
  f('--no-healthcheck', B, special('noHealthcheck')),
  f('--pod', V, special('pod')),
  f(['--volume', '-v'], V, special('volume')),
  f('--runtime', V, special('runtime')),
  // Understood: nothing to write.
  f(['--detach', '-d'], B, understood('-d: a service runs detached by nature')),
  f(['--tty', '-t'], B, understood('-t: a service has no terminal; the container\'s output goes to the journal line by line (a program that insists on a terminal: --engine podman with PodmanArgs=--tty)')),
  f(['--interactive', '-i'], B, understood('-i: a service has no standard input to keep open')),
  f('--rm', B, understood('--rm: the unit removes its container when it stops, and makes a fresh one at each start')),
  f('--replace', B, understood('--replace: the unit replaces a leftover container of the same name at each start')),
  f(['--quiet', '-q'], B, understood('-q: pull progress goes to the journal, if anywhere')),
  f('--sig-proxy', B, understood('--sig-proxy: systemd delivers stop signals to the container')),
  f('--detach-keys', V, understood('--detach-keys: a service has no terminal to detach from')),
  f(['--attach', '-a'], V, understood('-a: the container\'s output goes to the journal')),
  f('--disable-content-trust', B, understood('--disable-content-trust: podgen verifies image digests, not Docker Content Trust signatures')),
  // podman only (PodmanArgs= with --engine podman).
  ...['--arch', '--os', '--platform', '--variant'].map((n) => f(n, V, podman(PLATFORM))),
  ...['--blkio-weight', '--blkio-weight-device', '--cpu-period', '--cpu-quota', '--cpu-rt-period', '--cpu-rt-runtime', '--cpuset-cpus', '--cpuset-mems',
    '--device-read-bps', '--device-read-iops', '--device-write-bps', '--device-write-iops', '--memory-reservation', '--memory-swap', '--memory-swappiness',
    '--oom-score-adj', '--rdt-class', '--cgroup-conf'].map((n) => f(n, V, podman(RESOURCES))),
  f(['--cpu-shares', '-c'], V, podman(RESOURCES)),
  f('--oom-kill-disable', B, podman(RESOURCES)),
  ...['--ipc', '--pid', '--uts', '--cgroupns'].map((n) => f(n, V, podman(NAMESPACES))),
  ...['--cidfile', '--conmon-pidfile', '--pidfile', '--pod-id-file'].map((n) => f(n, V, podman(CONMON))),
  f('--cgroup-parent', V, podman('the unit\'s own cgroup holds the container')),
  f('--chrootdirs', V, podman('podgen\'s runtime has no chroot directories')),
  f('--decryption-key', V, podman('podgen does not pull encrypted images')),
  f('--device-cgroup-rule', V, podman('podgen\'s runtime allows the devices you name with --device')),
  f('--env-merge', V, podman('podgen\'s runtime does not merge environment templates')),
  f('--gpus', V, podman('podgen\'s runtime has no GPU support')),
  f('--group-entry', V, podman('podgen\'s runtime writes no /etc/group entry')),
  f('--hostuser', V, podman('podgen\'s runtime copies no host users')),
  f('--image-volume', V, podman('podgen\'s runtime makes the image\'s volumes anonymous volumes')),
  f('--init-path', V, podman('podgen\'s --init is its own')),
  f('--label-file', V, podman('give the labels with --label')),
  f('--mac-address', V, podman('podgen\'s bridges choose the MAC address')),
  f('--no-hosts', B, podman('podgen\'s runtime always writes /etc/hosts')),
  f('--passwd', B, podman('podgen\'s runtime writes no /etc/passwd entry')),
  f('--passwd-entry', V, podman('podgen\'s runtime writes no /etc/passwd entry')),
  f('--personality', V, podman('podgen\'s runtime sets no execution domain')),
  f('--preserve-fd', V, podman('systemd passes file descriptors through socket activation')),
  f('--preserve-fds', V, podman('systemd passes file descriptors through socket activation')),
  f(['--publish-all', '-P'], B, podman('name the ports with -p: a unit publishes fixed ports')),
  f('--requires', V, podman('order units with [Unit] Requires=/After= instead')),
  f('--rmi', B, podman('podgen keeps images in its store (podgen rmi)')),
  f('--seccomp-policy', V, podman('podgen\'s runtime takes the profile from --security-opt seccomp=')),
  f('--shm-size-systemd', V, podman('podgen\'s runtime does not run systemd in containers')),
  f('--systemd', V, podman('podgen\'s runtime does not run systemd in containers')),
  f('--timeout', V, podman('use [Service] RuntimeMaxSec=')),
  f('--tls-verify', V, podman('use a .image unit with TLSVerify=false')),
  f('--umask', V, podman('podgen\'s runtime keeps the image\'s umask')),
  f('--unsetenv', V, podman('podgen\'s runtime keeps the image\'s environment')),
  f('--unsetenv-all', B, podman('podgen\'s runtime keeps the image\'s environment')),
  f('--volumes-from', V, podman('name the volumes with -v')),
  // Docker only: nothing in a unit expresses them.
  f('--link', V, refused('legacy container links: put both containers on one network (Network=NAME.network) and use the names')),
  f('--volume-driver', V, refused('volume plugins are a Docker daemon feature; use a .volume with Device=/Type=')),
  f('--kernel-memory', V, refused('kernel memory limits are gone from cgroup v2')),
  f('--isolation', V, refused('a Windows containers option')),
  f('--storage-opt', V, refused('per-container storage options are a Docker storage-driver feature')),
  f('--cpu-count', V, refused('a Windows containers option; use --cpus')),
  f('--cpu-percent', V, refused('a Windows containers option; use --cpus')),
  f('--io-maxbandwidth', V, refused('a Windows containers option')),
  f('--io-maxiops', V, refused('a Windows containers option')),
  f('--domainname', V, refused('no Quadlet key sets the NIS domain name')),
  f('--link-local-ip', V, refused('link-local addresses are a Docker network feature')),
  f('--health-start-interval', V, refused('Docker\'s start interval has no podman counterpart (HealthStartupInterval= belongs to a separate startup check)')),
  f('--use-api-socket', B, refused('there is no Docker API socket')),
];

const INDEX: ReadonlyMap<string, FlagSpec> = new Map(RUN_FLAGS.flatMap((s) => s.names.map((n) => [n, s] as const)));

/** The table's entry for one spelling (--net, -p, ...), or undefined. */
export function runFlag(name: string): FlagSpec | undefined {
  return INDEX.get(name);
}
