// --engine podgen (default): the container runs through podgen's fork/exec
// runtime layer, with no daemon and no podgen or runtime process left running:
//
//   ExecStart=podgen prepare --name N --runtime R --then start -- <docker run flags> IMAGE [CMD]
//                  (image -> overlay rootfs + config.json bundle, network, volumes; then it runs
//                   podgen-unit start, which runs `runc --root %t/podgen/runc create ... N`, makes the
//                   container's PID 1 the unit's main process (Type=notify, MAINPID=), starts it
//                   and exits, so its exit status is the unit's and systemd's signals reach it
//                   directly. Host/none-network containers skip Node after the first start: a
//                   sh line execs podgen-unit start itself when the bundle is ready. Without
//                   podgen-unit (no C compiler) or with crun: --then create, Type=forking with
//                   PIDFile=, and an ExecStartPost that starts the container; with Notify=true:
//                   prepare as ExecStartPre, then `runc run --detach`.)
//   ExecStopPost=podgen cleanup --name N --runtime R
//                  (runc delete -f, network teardown, unmount; runs after crashes and kill -9 too)
//   plus, when podgen-unit is built, the restart manager's hooks (src/restart/unitSettings.ts):
//   ExecCondition= gate, the back-off wait in front of ExecStart=, ExecStop= stop, ExecStopPost= ended
//
// Resource limits are systemd's (MemoryMax=, TasksMax=, CPUQuota=) on the unit's
// cgroup, which holds the container's: systemctl and systemd-cgtop see them.
// The flags after "--" are the same `run` flags the podman engine writes, so
// `systemctl cat` reads like a `docker run` line. docs/architecture.md has the why.

import { createHash } from 'node:crypto';
import type { ContainerDefinition } from '../decode/decodeContainer';
import { lookup, lookupAll, lookupBooleanOr, lookupLastArgs, lookupNonEmpty } from '../parse/lookup';
import { literal, shellWord } from '../render/escape';
import { hook, RECORD_IN_UNIT } from '../restart/unitSettings';
import { hasSpecifier } from '../decode/validate';
import { ROOTLESS_REFUSALS } from '../runtime/rootless';
import { flagProblem, takesValue } from '../runtime/runArgs';
import { createArgv, execFifoOf, fastCleanupArgv, pidFileOf, readyMarkerOf, readyStartArgv, startArgv } from '../runtime/takeOver';
import { cpuQuota, parseCpus } from '../values/cpus';
import { parsePublish } from '../values/port';
import { parseSignal } from '../values/signal';
import { parseSize } from '../values/size';
import type { PlanContext, PlannedService, PlanProblems } from './context';
import { healthArgv } from '../runtime/healthCheck';
import { healthOf, healthStateOf, healthUnits } from './health';
import { applyRestartPolicy } from './restartPolicy';
import { containerName, imageArgument, keyOfFlag, runFlags } from './runFlags';
import type { ServiceFile } from './serviceFile';
import { serviceSkeleton } from './skeleton';

const C = 'Container';

/** The keys that shape a rootless container's user namespace. */
const USER_MAPPING_KEYS = ['UserNS', 'UIDMap', 'GIDMap', 'SubUIDMap', 'SubGIDMap'] as const;

/** Docker's default grace period before SIGKILL (`docker stop -t 10`). */
export const DOCKER_STOP_TIMEOUT = '10';
/** With the restart manager, systemd's stop timeout: the grace period plus this, a net under podgen-unit stop. */
export const STOP_NET_SECONDS = 10;
/** State of the OCI runtime and per-container bundles; %t is /run, or $XDG_RUNTIME_DIR for --user. */
export const RUNTIME_ROOT = '%t/podgen/runc';
export const BUNDLE_ROOT = '%t/podgen/containers';

export function planPodgen(def: ContainerDefinition, ctx: PlanContext, problems: PlanProblems): PlannedService {
  const u = def.unit;
  // A user manager cannot wait for network-online.target (it is a system unit), so user units get no such ordering.
  const service = serviceSkeleton(def, ctx.user ? undefined : 'network-online.target', problems);
  const input = { def, service, ctx, problems };
  const image = imageArgument(input, def.image);
  const name = containerName(u, '');
  const runtime = ctx.runtimePaths[def.runtime];
  const podgen = ctx.podgenCommand.map(literal);
  const scope = ctx.user ? ['--user'] : [];
  const oneshot = lookup(u, 'Service', 'Type') === 'oneshot';
  // The restart manager (podgen-unit's hooks), when podgen-unit was built; oneshot units are systemd's own business.
  const manager = oneshot ? undefined : ctx.nativeHelper;

  if (!lookup(u, 'Unit', 'Description')) service.add('Unit', 'Description', `podgen container ${name}`);
  service.add('Service', 'Environment', 'PODGEN_UNIT=%n');
  if (!service.has('Service', 'KillMode')) service.set('Service', 'KillMode', 'mixed');
  service.add('Service', 'Delegate', 'yes');
  if (!oneshot) {
    if (lookupBooleanOr(u, C, 'Notify', false)) {
      // runc relays $NOTIFY_SOCKET into the container; READY=1 comes from the containerised service itself.
      service.set('Service', 'Type', 'notify');
      service.set('Service', 'NotifyAccess', 'all');
    } else {
      service.set('Service', 'Type', 'exec');
    }
  }
  if (!service.has('Service', 'SyslogIdentifier')) service.set('Service', 'SyslogIdentifier', '%N');
  // systemd wants SIGTERM, not term: the canonical name (a bad one is decode's error).
  const stopSignalValue = lookupNonEmpty(u, C, 'StopSignal');
  const stopSignal = stopSignalValue && !hasSpecifier(stopSignalValue) ? parseSignal(stopSignalValue) : undefined;
  if (stopSignalValue && !service.has('Service', 'KillSignal')) service.set('Service', 'KillSignal', stopSignal?.ok ? stopSignal.value.name : stopSignalValue);
  const grace = lookupNonEmpty(u, C, 'StopTimeout') ?? DOCKER_STOP_TIMEOUT;
  if (!service.has('Service', 'TimeoutStopSec')) {
    // With the manager, ExecStop= itself gives the container its grace period and SIGKILLs it then
    // (a stop by hand is not a failure): systemd's own timeout is only the net under it.
    // Without it, systemd's timeout is the grace period itself; 0 (SIGKILL at once, as docker stop
    // -t 0) cannot be written as 0, which systemd reads as "no timeout": 1ms is the closest it takes.
    const seconds = /^\d+$/.test(grace) ? Number(grace) : undefined;
    service.set('Service', 'TimeoutStopSec', seconds === undefined ? grace : manager ? String(seconds + STOP_NET_SECONDS) : seconds === 0 ? '1ms' : String(seconds));
  }

  // User namespaces are what a rootless container is made of; as root the image's files are the
  // host's root's, which a mapped container root could not even read.
  const mappingKey = USER_MAPPING_KEYS.find((k) => lookupNonEmpty(u, C, k) !== undefined);
  if (!ctx.user && mappingKey) {
    problems.error(`${mappingKey}= is honoured by the podgen engine for rootless containers only`, mappingKey, 'install it with --user (a rootless container), or use --engine podman');
  }
  // The runtime knows the host's network, none, its own bridge and named bridges (.network files,
  // podgen network create); refuse the rest here, not at start.
  const networks = lookupAll(u, C, 'Network').filter((n) => n !== '');
  for (const network of networks) {
    if (/^(container:|ns:)|^(slirp4netns|pasta|private)$|\.container(:|$)|:/.test(network)) {
      problems.error(`Network=${network} is not supported by the podgen engine`, 'Network', 'use host, none, bridge (the default) or a named network (x.network), or --engine podman', 'Container', network);
    }
  }
  if (ctx.user) {
    // What prepare refuses for a rootless container, refused here already.
    const named = networks.find((n) => !['host', 'none', 'bridge', 'default'].includes(n));
    if (named && mappingKey) {
      const r = ROOTLESS_REFUSALS.userNsOnNamedNetwork(named);
      problems.error(r.message, mappingKey, r.hint, 'Container', named);
    }
    const pod = lookupNonEmpty(u, C, 'Pod');
    if (pod) {
      const r = ROOTLESS_REFUSALS.pod(pod);
      problems.error(r.message, 'Pod', r.hint);
    }
  }
  if (networks.length > 1 && networks.some((n) => n === 'host' || n === 'none')) {
    problems.error('Network=host or none cannot be combined with other networks', 'Network', 'keep one of them alone, or only bridge networks');
  }
  const health = healthOf(def, problems);
  const healthy = lookup(u, C, 'Notify') === 'healthy';
  if ((health || healthy) && !ctx.nativeHelper) {
    problems.error('health checks are run by podgen-unit, which was not built (no C compiler when podgen was installed)', health ? 'HealthCmd' : 'Notify', 'apt-get install gcc libc6-dev, then npm install in podgen\'s directory; or --engine podman');
  }
  if (healthy && !health) problems.error('Notify=healthy needs a health check to wait for', 'Notify', 'set HealthCmd= (and HealthInterval= for how often), or use Notify=true');
  if (healthy && def.runtime !== 'runc') problems.error('Notify=healthy needs Runtime=runc with the podgen engine', 'Notify');
  // The health flags stay out of prepare's docker run flags: the checks run beside the container (plan/health.ts).
  const flags = [...runFlags(input, { health: false }), ...podFlags(def, service, problems)];
  refuseWhatPrepareWould(flags, problems);
  const exec = lookupLastArgs(u, C, 'Exec');
  const containerArgs = [...flags, ...(image !== undefined ? [image] : []), ...(exec ?? [])];
  // Containers on the host network or none (and rootless ones on pasta) can restart without
  // Node: each stop's cleanup leaves the bundle and a fresh writable layer, mounted (rootless:
  // ready for the runtime to mount), behind a marker named after these very arguments (see
  // below). Bridged containers need CNI on every start; environment files and Pull=always must
  // be read on every start.
  const key = createHash('sha256').update(JSON.stringify([name, def.runtime, containerArgs])).digest('hex').slice(0, 16);
  const fast = fastRestartPossible(def, ctx.user);
  const bundle = `${BUNDLE_ROOT}/${name}`;
  const state = ['--root', RUNTIME_ROOT];
  const detached = service.lookup('Service', 'Type') !== 'exec';
  // How the runtime takes over (systemd execs it; nothing of podgen stays):
  // - create, then start: systemd learns the container's PID while the container still waits to
  //   run, so even a container that exits at once hands systemd its exit status (runc run
  //   --detach would race). With podgen-unit (native/, built by npm install when a C compiler is
  //   there) that is one exec: it runs runc create, sends MAINPID=, waits on an sd_notify
  //   barrier, sends READY=1, lets the container run and exits. Without it: Type=forking,
  //   PIDFile= read when runc create exits, and an ExecStartPost to start it. Prepare runs in
  //   ExecStart, ahead of either: one process less for systemd to start.
  // - Notify=true: `runc run --detach` must be the unit's main process until runc relays the
  //   container's READY=1 and MAINPID= (with Node in between, systemd took the wrong main PID
  //   about half the time), so prepare stays an ExecStartPre.
  // - with the restart manager, an automatic restart first waits out Docker's back-off
  //   (podgen-unit start/wait, before anything else), and the start is recorded.
  const layout = { runtime, stateRoot: RUNTIME_ROOT, bundle, name };
  const helper = !detached && def.runtime === 'runc' ? ctx.nativeHelper : undefined;
  const record = manager ? RECORD_IN_UNIT : undefined;
  const unitName = `${def.serviceName}.service`;
  const containerLiteral = literalName(name, unitName);
  const healthTarget = ctx.nativeHelper
    ? { helper: ctx.nativeHelper, unit: templateAware(unitName), state: healthStateOf(templateAware(unitName)), bundle: `${BUNDLE_ROOT}/${containerLiteral}`, runtime, stateRoot: RUNTIME_ROOT, name: containerLiteral }
    : undefined;
  // Notify=healthy: after the start, podgen-unit checks the container's health until it passes, then READY=1.
  const readyBy = healthy && health && healthTarget ? healthArgv(health, healthTarget, true) : undefined;
  const takeOver = detached ? [runtime, ...state, 'run', '--detach', '--pid-file', pidFileOf(layout), '--bundle', bundle, name] : helper ? [...startArgv(helper, layout, record), ...(readyBy ? ['--then-exec', ...readyBy] : [])] : createArgv(layout);
  const then = detached ? [] : ['--then', helper ? 'start' : 'create'];
  const prepare = [
    ...podgen,
    'prepare',
    ...scope,
    '--name',
    name,
    '--runtime',
    def.runtime,
    ...(fast ? ['--fast-key', key] : []),
    ...(helper && record ? ['--record', record] : []),
    ...(readyBy ? ['--then-exec-json', JSON.stringify(readyBy)] : []),
    ...then,
    '--',
    ...containerArgs,
  ];
  // Full prepare: behind the back-off wait when the manager waits in front of Node (podgen-unit wait).
  const prepareStep = manager ? hook.wait(manager, prepare) : prepare;
  // Fast: the last stop's cleanup left this exact bundle with a fresh writable layer mounted,
  // behind a marker named after these very arguments, so the runtime can start straight away. A
  // changed definition, a reboot (/run), a pull or a failed re-arm leave no marker: full prepare.
  const ready = `[ -e ${shellWord(readyMarkerOf(bundle, key))} ]`; // the fallback shape's and Notify=true's sh check
  const orPrepare = literal('; exec "$0" "$@"');
  if (detached) {
    const pre = fast ? ['/bin/sh', '-c', `${ready} && exit 0${orPrepare}`, ...prepare] : prepare;
    service.addCommand('Service', 'ExecStartPre', manager ? hook.wait(manager, pre) : pre);
    service.addCommand('Service', 'ExecStart', takeOver);
  } else {
    // podgen-unit checks the marker itself: one exec less than an sh in front (~1 ms of a ~40 ms
    // start). Notify=healthy's check would be a second command of the definition's words: sh then.
    const readyStart = helper && fast && !readyBy ? readyStartArgv(helper, layout, record, readyMarkerOf(bundle, key), prepareStep) : undefined;
    service.addCommand('Service', 'ExecStart', readyStart ?? (fast ? ['/bin/sh', '-c', `${ready} && exec ${takeOver.map(shellWord).join(' ')}${orPrepare}`, ...prepareStep] : prepareStep));
  }
  if (helper) {
    service.set('Service', 'Type', 'notify');
    // Node's path runs podgen-unit as its child: MAINPID= then comes from a process other than the main one.
    service.set('Service', 'NotifyAccess', 'all');
  } else if (!detached) {
    service.set('Service', 'Type', 'forking');
    service.set('Service', 'PIDFile', pidFileOf(layout));
    const start = [runtime, ...state, 'start', name];
    if (def.runtime === 'runc') {
      // What `runc start` does, without starting a second Go program (~10 ms, a sixth of a start):
      // open the container's exec.fifo, on which its init waits, and read runc's "0". Only while
      // the fifo is there and the container's init ($MAINPID) alive; otherwise runc start itself,
      // which also says why a container cannot start.
      const script = `f=${shellWord(execFifoOf(layout))}${literal('; if [ -p "$f" ] && [ -e "/proc/$MAINPID" ]; then read -r x < "$f"; [ "$x" = 0 ] && exec rm -f -- "$f"; fi; exec "$0" "$@"')}`;
      service.addCommand('Service', 'ExecStartPost', ['/bin/sh', '-c', script, ...start]);
    } else {
      service.addCommand('Service', 'ExecStartPost', start);
    }
  }
  addResourceLimits(def, service);
  const reloadSignal = lookupNonEmpty(u, C, 'ReloadSignal');
  if (reloadSignal) service.addCommand('Service', 'ExecReload', [runtime, ...state, 'kill', name, reloadSignal]);
  const cleanup = [...podgen, 'cleanup', ...scope, '--name', name, '--runtime', def.runtime, ...(fast ? ['--keep-bundle'] : [])];
  if (manager) {
    service.addCommand('Service', 'ExecStop', hook.stop(manager, { grace, signal: service.lookup('Service', 'KillSignal') ?? 'SIGTERM' }));
    // The cleanup's failure is its journal's business: `ended` must run after it whatever happens.
    service.addCommand('Service', 'ExecStopPost', fast ? fastCleanupArgv(manager, layout, cleanup) : cleanup, '-');
  } else {
    service.addCommand('Service', 'ExecStopPost', cleanup);
  }
  const wantedBy = applyRestartPolicy(service, def, ctx, { manager, graceful: true }, problems);
  const companions = health && healthTarget ? healthUnits(health, healthTarget, unitName, service) : [];
  return { service, name, image, wantedBy, companions };
}

/** A template's unit as its companions name it (web@.service -> web@%i.service). */
function templateAware(unitName: string): string {
  return unitName.replace(/@\.service$/, '@%i.service');
}

/** The container's name for another unit: %N there would be that unit's own name. */
function literalName(name: string, unitName: string): string {
  return name.replace(/%N/g, templateAware(unitName).replace(/\.service$/, ''));
}

/**
 * Every flag for prepare, through prepare's own parser (runtime/runArgs.ts): what it would refuse
 * when the unit starts is an error now, at the key's line. Values systemd expands at run time
 * (%i, $VAR) are only known then.
 */
function refuseWhatPrepareWould(flags: readonly string[], problems: PlanProblems): void {
  const pairs: string[][] = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] as string;
    const words = !flag.includes('=') && takesValue(flag) ? [flag, flags[++i] ?? ''] : [flag];
    if (!words.some(hasSpecifier)) pairs.push(words);
  }
  // One parse for the whole unit; one per flag only when it fails, to say which key.
  const whole = flagProblem(pairs.flat());
  if (whole === undefined) return;
  let found = false;
  for (const words of pairs) {
    const problem = flagProblem(words);
    const flag = words[0] as string;
    if (problem) problems.error(problem, keyOfFlag(flag) ?? 'Image', 'change the value, or use --engine podman, which takes it', 'Container', words[1] ?? flag.split('=').slice(1).join('='));
    found ||= problem !== undefined;
  }
  // Keys each fine alone but not together (UserNS= with UIDMap=): the whole unit's problem.
  if (!found) problems.error(whole, 'Image', 'change the definition, or use --engine podman');
}

/** Memory=, PidsLimit=, CPUs= as systemd settings on the unit (the container's cgroup is inside it), exactly: bytes, and CPU quotas to 0.01%. */
function addResourceLimits(def: ContainerDefinition, service: ServiceFile): void {
  const u = def.unit;
  const memory = lookupNonEmpty(u, C, 'Memory');
  const bytes = memory && !hasSpecifier(memory) ? parseSize(memory) : undefined;
  if (memory && !service.has('Service', 'MemoryMax')) {
    // Docker's -m 0 is no limit at all.
    if (!bytes) service.set('Service', 'MemoryMax', memory);
    else if (bytes.ok && bytes.value > 0) service.set('Service', 'MemoryMax', String(bytes.value));
  }
  const pids = lookupNonEmpty(u, C, 'PidsLimit');
  if (pids && !service.has('Service', 'TasksMax')) service.set('Service', 'TasksMax', Number(pids) <= 0 ? 'infinity' : pids);
  const cpus = lookupNonEmpty(u, C, 'CPUs');
  const quota = cpus && !hasSpecifier(cpus) ? parseCpus(cpus) : undefined;
  if (cpus && !service.has('Service', 'CPUQuota')) service.set('Service', 'CPUQuota', quota?.ok ? cpuQuota(quota.value) : cpus);
}

/**
 * Whether a restart can skip Node (see planPodgen): nothing that must be redone or re-read per
 * start. Rootless, the default network is pasta's, which the bundle's hook starts itself each
 * time: it qualifies too, unless a published port is picked at random (a new one each start).
 */
function fastRestartPossible(def: ContainerDefinition, rootless: boolean): boolean {
  const u = def.unit;
  const networks = lookupAll(u, C, 'Network').filter((n) => n !== '');
  const network = networks[networks.length - 1] ?? 'bridge';
  const pasta = rootless && (network === 'bridge' || network === 'default') && lookupAll(u, C, 'PublishPort').every((p) => {
    const parsed = parsePublish(p);
    return parsed.ok && parsed.value.host !== undefined;
  });
  return (
    (network === 'host' || network === 'none' || pasta) &&
    !lookupNonEmpty(u, C, 'Pod') &&
    lookupAll(u, C, 'EnvironmentFile').length === 0 &&
    lookup(u, C, 'Pull') !== 'always' &&
    !lookupBooleanOr(u, C, 'EnvironmentHost', false) &&
    // anonymous volumes are fresh each start, which renew does not do
    lookupAll(u, C, 'Volume').every((v) => v.includes(':') && !v.startsWith(':'))
  );
}

/**
 * Pod=x.pod: the container joins the pod's network namespace (prepare --pod), is bound to the
 * pod's unit (stops with it) and starts after it; its networks and ports are the pod's.
 */
function podFlags(def: ContainerDefinition, service: ServiceFile, problems: PlanProblems): string[] {
  const pod = lookupNonEmpty(def.unit, C, 'Pod');
  if (!pod) return [];
  if (!pod.endsWith('.pod')) {
    problems.error(`pod ${pod} is not Quadlet based`, 'Pod', 'refer to a .pod file, e.g. Pod=web.pod');
    return [];
  }
  const info = def.related.get(pod);
  if (!info?.resourceName) {
    problems.error(`quadlet pod unit ${pod} does not exist`, 'Pod', `put ${pod} next to the definition`);
    return [];
  }
  for (const key of ['Network', 'PublishPort', 'IP', 'NetworkAlias'] as const) {
    if (lookupAll(def.unit, C, key).some((v) => v !== '')) problems.error(`${key}= on a container in a pod: the pod's network is the container's`, key, `move ${key}= to the [Pod] section of ${pod}`);
  }
  service.add('Unit', 'BindsTo', `${info.serviceName}.service`);
  service.add('Unit', 'After', `${info.serviceName}.service`);
  return ['--pod', info.resourceName];
}
