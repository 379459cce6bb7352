// --engine podman: the unit podman's Quadlet generator (podman 5.x) would
// write for this definition: `podman run --name systemd-%N --replace --rm
// --cgroups=split --sdnotify=conmon -d ...`, Type=notify, KillMode=mixed,
// Delegate=yes, ExecStop/ExecStopPost `podman rm`, plus podgen's restart
// policies. Checked against podman's own Quadlet test cases.

import { appendAll } from '../arrays';
import type { ContainerDefinition } from '../decode/decodeContainer';
import { basePodman } from './podmanCommand';
import { lookup, lookupAllArgs, lookupAllStrv, lookupBooleanOr, lookupLastArgs, lookupNonEmpty } from '../parse/lookup';
import type { PlanContext, PlannedService, PlanProblems } from './context';
import { applyRestartPolicy } from './restartPolicy';
import { containerName, imageArgument, runFlags } from './runFlags';
import type { ServiceFile } from './serviceFile';
import { serviceSkeleton } from './skeleton';

const C = 'Container';

export function planPodman(def: ContainerDefinition, ctx: PlanContext, problems: PlanProblems): PlannedService {
  const u = def.unit;
  const service = serviceSkeleton(def, ctx.user ? 'podman-user-wait-network-online.service' : 'network-online.target', problems);
  service.add('Unit', 'RequiresMountsFor', '%t/containers');
  const input = { def, service, ctx, problems };
  const image = imageArgument(input, def.image);
  const name = containerName(u, 'systemd-');

  service.add('Service', 'Environment', 'PODMAN_SYSTEMD_UNIT=%n');
  if (!service.has('Service', 'KillMode')) service.set('Service', 'KillMode', 'mixed');

  // conmon may die without removing the container; ExecStopPost also runs when the main PID was killed.
  const stop = [...basePodman(def.unit, C, ctx), 'rm', '-v', '-f', '-i', name];
  service.addCommand('Service', 'ExecStop', stop);
  service.addCommand('Service', 'ExecStopPost', [`-${stop[0]}`, ...stop.slice(1)]);

  const reloadSignal = lookupNonEmpty(u, C, 'ReloadSignal');
  const reloadCmd = lookupLastArgs(u, C, 'ReloadCmd');
  if (reloadSignal) service.addCommand('Service', 'ExecReload', [...basePodman(def.unit, C, ctx), 'kill', '--signal', reloadSignal, name]);
  else if (reloadCmd && reloadCmd.length > 0) service.addCommand('Service', 'ExecReload', [...basePodman(def.unit, C, ctx), 'exec', name, ...reloadCmd]);

  const podman = [...basePodman(def.unit, C, ctx), 'run', '--name', name, '--replace', '--rm'];
  const logDriver = lookup(u, C, 'LogDriver');
  if (logDriver !== undefined) podman.push('--log-driver', logDriver);
  for (const opt of lookupAllStrv(u, C, 'LogOpt')) podman.push('--log-opt', opt);
  service.add('Service', 'Delegate', 'yes');
  const cgroups = lookupNonEmpty(u, C, 'CgroupsMode');
  podman.push(...(cgroups ? ['--cgroups', cgroups] : ['--cgroups=split']));
  const runtime = lookupNonEmpty(u, C, 'Runtime');
  if (runtime) podman.push('--runtime', runtime);

  if (lookup(u, 'Service', 'Type') !== 'oneshot') {
    // podman always talks sd_notify: through conmon, or the container's own READY=1 with Notify=yes.
    const notify = lookup(u, C, 'Notify');
    if (notify?.toLowerCase() === 'healthy') podman.push('--sdnotify=healthy');
    else if (lookupBooleanOr(u, C, 'Notify', false)) podman.push('--sdnotify=container');
    else podman.push('--sdnotify=conmon');
    service.set('Service', 'Type', 'notify');
    service.set('Service', 'NotifyAccess', 'all');
    podman.push('-d');
  }
  if (!service.has('Service', 'SyslogIdentifier')) service.set('Service', 'SyslogIdentifier', '%N');

  appendAll(podman, runFlags(input));
  const pod = lookupNonEmpty(u, C, 'Pod');
  if (pod) {
    const info = pod.endsWith('.pod') ? def.related.get(pod) : undefined;
    if (!pod.endsWith('.pod')) problems.error(`pod ${pod} is not Quadlet based`, 'Pod', 'refer to a .pod file, e.g. Pod=web.pod');
    else if (!info?.resourceName) problems.error(`quadlet pod unit ${pod} does not exist`, 'Pod');
    else {
      podman.push('--pod', info.resourceName);
      service.add('Unit', 'BindsTo', `${info.serviceName}.service`);
      service.add('Unit', 'After', `${info.serviceName}.service`);
    }
  }
  const authFile = authFileArgument(def, service, problems);
  if (authFile) podman.push('--authfile', authFile);
  appendAll(podman, lookupAllArgs(u, C, 'PodmanArgs'));
  if (image !== undefined) podman.push(image);
  else if (def.rootfs !== undefined) podman.push('--rootfs', def.rootfs);
  const exec = lookupLastArgs(u, C, 'Exec');
  if (exec) appendAll(podman, exec);
  service.addCommand('Service', 'ExecStart', podman);

  // Only a definition that asks for a Docker policy gets podgen's restart manager: every other
  // unit stays exactly what Quadlet writes.
  const manager = def.restart && def.restart.kind !== 'systemd' ? ctx.nativeHelper : undefined;
  const wantedBy = applyRestartPolicy(service, def, ctx, { manager, graceful: false }, problems);
  return { service, name, image, wantedBy };
}

/** AuthFile=: a path, or a Quadlet .login unit that writes one. */
function authFileArgument(def: ContainerDefinition, service: ServiceFile, problems: PlanProblems): string | undefined {
  const value = lookupNonEmpty(def.unit, C, 'AuthFile');
  if (!value || !value.endsWith('.login')) return value;
  const info = def.related.get(value);
  if (!info?.found) {
    problems.error(`requested Quadlet login unit ${value} was not found`, 'AuthFile', `put ${value} next to the definition`);
    return undefined;
  }
  if (!info.resourceName) {
    problems.error('requested Quadlet login unit does not set an auth file', 'AuthFile', `set AuthFile= in the [Login] section of ${value}`);
    return undefined;
  }
  service.add('Unit', 'Requires', `${info.serviceName}.service`);
  service.add('Unit', 'After', `${info.serviceName}.service`);
  return info.resourceName;
}
