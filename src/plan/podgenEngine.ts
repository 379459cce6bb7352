// --engine podgen (default): the container runs through podgen's fork/exec
// runtime layer, with no daemon and no Node process left running:
//
//   ExecStartPre=podgen prepare --name N --runtime runc -- <docker run flags> IMAGE [CMD]
//                  (image -> rootfs + config.json bundle, network, volumes; then exits)
//   ExecStart=runc --root %t/podgen/runc run --bundle %t/podgen/containers/N N
//                  (systemd execs the OCI runtime directly: it is the main PID, the container
//                   is its child inside the unit's delegated cgroup, its exit status is the unit's)
//   ExecStopPost=podgen cleanup --name N --runtime runc
//                  (runc delete -f, network teardown; runs after crashes and kill -9 too)
//
// The flags after "--" are the same `run` flags the podman engine writes, so
// `systemctl cat` reads like a `docker run` line. docs/architecture.md has the why.

import type { ContainerDefinition } from '../decode/decodeContainer';
import { lookup, lookupBooleanOr, lookupLastArgs, lookupNonEmpty } from '../parse/lookup';
import { literal } from '../render/escape';
import type { PlanContext, PlanProblems } from './context';
import { applyRestartPolicy } from './restart';
import { containerName, imageArgument, runFlags } from './runFlags';
import type { ServiceFile } from './serviceFile';
import { serviceSkeleton } from './skeleton';

const C = 'Container';

/** Docker's default grace period before SIGKILL (`docker stop -t 10`). */
export const DOCKER_STOP_TIMEOUT = '10';
/** State of the OCI runtime and per-container bundles; %t is /run, or $XDG_RUNTIME_DIR for --user. */
export const RUNTIME_ROOT = '%t/podgen/runc';
export const BUNDLE_ROOT = '%t/podgen/containers';

export function planPodgen(def: ContainerDefinition, ctx: PlanContext, problems: PlanProblems): { service: ServiceFile; name: string; image: string | undefined } {
  const u = def.unit;
  // A user manager cannot wait for network-online.target (it is a system unit), so user units get no such ordering.
  const service = serviceSkeleton(def, ctx.user ? undefined : 'network-online.target', problems);
  const input = { def, service, ctx, problems };
  const image = imageArgument(input);
  const name = containerName(u, '');
  const runtime = ctx.runtimePaths[def.runtime];
  const podgen = ctx.podgenCommand.map(literal);
  const scope = ctx.user ? ['--user'] : [];

  if (!lookup(u, 'Unit', 'Description')) service.add('Unit', 'Description', `podgen container ${name}`);
  service.add('Service', 'Environment', 'PODGEN_UNIT=%n');
  if (!service.has('Service', 'KillMode')) service.set('Service', 'KillMode', 'mixed');
  service.add('Service', 'Delegate', 'yes');
  if (lookup(u, 'Service', 'Type') !== 'oneshot') {
    if (lookupBooleanOr(u, C, 'Notify', false)) {
      // runc relays $NOTIFY_SOCKET into the container; READY=1 comes from the containerised service itself.
      service.set('Service', 'Type', 'notify');
      service.set('Service', 'NotifyAccess', 'all');
    } else {
      service.set('Service', 'Type', 'exec');
    }
  }
  if (!service.has('Service', 'SyslogIdentifier')) service.set('Service', 'SyslogIdentifier', '%N');
  const stopSignal = lookupNonEmpty(u, C, 'StopSignal');
  if (stopSignal && !service.has('Service', 'KillSignal')) service.set('Service', 'KillSignal', stopSignal);
  if (!service.has('Service', 'TimeoutStopSec')) {
    service.set('Service', 'TimeoutStopSec', lookupNonEmpty(u, C, 'StopTimeout') ?? DOCKER_STOP_TIMEOUT);
  }

  const prepare = [...podgen, 'prepare', ...scope, '--name', name, '--runtime', def.runtime, '--'];
  prepare.push(...runFlags(input));
  if (image !== undefined) prepare.push(image);
  const exec = lookupLastArgs(u, C, 'Exec');
  if (exec) prepare.push(...exec);
  service.addCommand('Service', 'ExecStartPre', prepare);
  service.addCommand('Service', 'ExecStart', [runtime, '--root', RUNTIME_ROOT, 'run', '--bundle', `${BUNDLE_ROOT}/${name}`, name]);
  const reloadSignal = lookupNonEmpty(u, C, 'ReloadSignal');
  if (reloadSignal) service.addCommand('Service', 'ExecReload', [runtime, '--root', RUNTIME_ROOT, 'kill', name, reloadSignal]);
  service.addCommand('Service', 'ExecStopPost', [...podgen, 'cleanup', ...scope, '--name', name, '--runtime', def.runtime]);

  applyRestartPolicy(service, def.restart);
  return { service, name, image };
}
