// --engine podman for .pod (podman pod create/start/stop/rm around an infra
// container), .kube (podman kube play with a service container) and .build
// (podman build, a oneshot), exactly as the newest Quadlet writes them.

import * as path from 'node:path';
import { isAbsoluteOrSpecial, isUrl, type ResourceDefinition } from '../decode/decodeResource';
import { podResourceName } from '../resolve/relatedUnits';
import { lookup, lookupAll, lookupAllArgs, lookupAllStrv, lookupBoolean, lookupNonEmpty } from '../parse/lookup';
import type { PlanContext, PlannedService, PlanProblems } from './context';
import { basePodman, oneshotDefaults, PodmanArgs, wantPodMembers } from './podmanCommand';
import { absolutePath, type FlagInput, keyValFlags, networkFlags, userMappingFlags, volumeFlags } from './runFlags';
import type { ServiceFile } from './serviceFile';

export function planPodmanPod(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext, problems: PlanProblems): PlannedService {
  const u = def.unit;
  const S = 'Pod';
  const input: FlagInput = { def, service, ctx, problems, section: S };
  const name = podResourceName(u.filename, u);
  wantPodMembers(service, def.podMembers);
  if (!service.has('Service', 'SyslogIdentifier')) service.set('Service', 'SyslogIdentifier', '%N');
  service.addCommand('Service', 'ExecStart', [...basePodman(u, S, ctx), 'pod', 'start', name]);
  service.addCommand('Service', 'ExecStop', [...basePodman(u, S, ctx), 'pod', 'stop', '--ignore', `--time=${lookup(u, S, 'StopTimeout') ?? '10'}`, name]);
  service.addCommand('Service', 'ExecStopPost', [...basePodman(u, S, ctx), 'pod', 'rm', '--ignore', '--force', name]);

  const create = new PodmanArgs(u, S, basePodman(u, S, ctx)).add('pod', 'create', '--infra-conmon-pidfile=%t/%N.pid', '--replace');
  create.add('--exit-policy', lookup(u, S, 'ExitPolicy') ?? 'stop');
  create.add(...userMappingFlags(u, S));
  for (const port of lookupAll(u, S, 'PublishPort')) create.add('--publish', port);
  if (lookupAll(u, S, 'SocketActivationPort').length > 0) {
    problems.error('SocketActivationPort= is not supported by podgen yet', 'SocketActivationPort', 'publish the port with PublishPort=, or let podman\'s own Quadlet generate this pod');
  }
  create.add(...keyValFlags(u, 'Label', '--label', S));
  create.add(...networkFlags(input));
  create.strings([
    ['IP', '--ip'],
    ['IP6', '--ip6'],
    ['ShmSize', '--shm-size'],
  ]);
  create.lists([
    ['NetworkAlias', '--network-alias'],
    ['DNS', '--dns'],
    ['DNSOption', '--dns-option'],
    ['DNSSearch', '--dns-search'],
    ['AddHost', '--add-host'],
    ['HostName', '--hostname'],
  ]);
  create.add(...volumeFlags(input));
  create.add('--infra-name', `${name}-infra`, '--name', name);
  create.podmanArgs();
  service.addCommand('Service', 'ExecStartPre', create.argv);

  service.add('Service', 'Environment', 'PODMAN_SYSTEMD_UNIT=%n');
  service.set('Service', 'Type', 'forking');
  service.set('Service', 'PIDFile', '%t/%N.pid');
  if (!service.has('Service', 'Restart')) service.set('Service', 'Restart', 'on-failure');
  return { service, name, image: undefined, wantedBy: undefined };
}

export function planPodmanKube(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext, problems: PlanProblems): PlannedService {
  const u = def.unit;
  const S = 'Kube';
  const input: FlagInput = { def, service, ctx, problems, section: S };
  const yamls = lookupAllStrv(u, S, 'Yaml').map((y) => absolutePath(u, y));
  if (!service.has('Service', 'KillMode')) service.set('Service', 'KillMode', 'mixed');
  service.add('Service', 'Environment', 'PODMAN_SYSTEMD_UNIT=%n');
  if (lookup(u, 'Service', 'Type') !== 'oneshot') {
    service.set('Service', 'Type', 'notify');
    service.set('Service', 'NotifyAccess', 'all');
  }
  if (!service.has('Service', 'SyslogIdentifier')) service.set('Service', 'SyslogIdentifier', '%N');

  const play = new PodmanArgs(u, S, basePodman(u, S, ctx)).add('kube', 'play', '--replace', '--service-container=true');
  const propagation = lookupNonEmpty(u, S, 'ExitCodePropagation');
  if (propagation) play.add(`--service-exit-code-propagation=${propagation}`);
  const logDriver = lookup(u, S, 'LogDriver');
  if (logDriver !== undefined) play.add('--log-driver', logDriver);
  for (const opt of lookupAllStrv(u, S, 'LogOpt')) play.add('--log-opt', opt);
  play.add(...userMappingFlags(u, S));
  play.add(...networkFlags(input));
  for (const update of lookupAllStrv(u, S, 'AutoUpdate')) {
    // "CONTAINER/TYPE" scopes the annotation to one container of the YAML.
    const slash = update.indexOf('/');
    play.add(slash === -1 ? `--annotation=io.containers.autoupdate=${update}` : `--annotation=io.containers.autoupdate/${update.slice(0, slash)}=${update.slice(slash + 1)}`);
  }
  for (const configMap of lookupAllStrv(u, S, 'ConfigMap')) play.add('--configmap', absolutePath(u, configMap));
  for (const port of lookupAll(u, S, 'PublishPort')) play.add('--publish', port);
  play.podmanArgs().add(...yamls);
  service.addCommand('Service', 'ExecStart', play.argv);

  // ExecStopPost (not ExecStop) so that a failed start still takes its pods and containers down.
  const down = [...basePodman(u, S, ctx), 'kube', 'down'];
  const force = lookupBoolean(u, S, 'KubeDownForce');
  if (force !== undefined) down.push(force ? '--force' : '--force=false');
  service.addCommand('Service', 'ExecStopPost', [...down, ...yamls]);
  setWorkingDirectory(def, service, S);
  return { service, name: '', image: undefined, wantedBy: undefined };
}

export function planPodmanBuild(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext, problems: PlanProblems): PlannedService {
  const u = def.unit;
  const S = 'Build';
  const input: FlagInput = { def, service, ctx, problems, section: S };
  const build = new PodmanArgs(u, S, basePodman(u, S, ctx)).add('build');
  // --pull needs its "=" (podman#24599).
  const pull = lookupNonEmpty(u, S, 'Pull');
  if (pull) build.add(`--pull=${pull}`);
  build.strings([
    ['Arch', '--arch'],
    ['AuthFile', '--authfile'],
    ['IgnoreFile', '--ignorefile'],
    ['Target', '--target'],
    ['Variant', '--variant'],
    ['Retry', '--retry'],
    ['RetryDelay', '--retry-delay'],
  ]);
  build.booleans([
    ['TLSVerify', '--tls-verify'],
    ['ForceRM', '--force-rm'],
  ]);
  build.lists([
    ['DNS', '--dns'],
    ['DNSOption', '--dns-option'],
    ['DNSSearch', '--dns-search'],
    ['GroupAdd', '--group-add'],
    ['ImageTag', '--tag'],
  ]);
  for (const [key, flag] of [
    ['BuildArg', '--build-arg'],
    ['Environment', '--env'],
    ['Label', '--label'],
    ['Annotation', '--annotation'],
  ] as const) {
    build.add(...keyValFlags(u, key, flag, S));
  }
  build.add(...networkFlags(input));
  for (const secret of lookupAllArgs(u, S, 'Secret')) build.add('--secret', secret);
  build.add(...volumeFlags(input));
  const context = setWorkingDirectory(def, service, S);
  const file = lookupNonEmpty(u, S, 'File');
  if (file) build.add('--file', file);
  build.podmanArgs();
  // The context (or the working directory, for a relative File=) is the last argument.
  if (context) build.add(context);
  else if (!isAbsoluteOrSpecial(file ?? '')) build.add(service.lookup('Service', 'WorkingDirectory') ?? '');
  service.addCommand('Service', 'ExecStart', build.argv);
  oneshotDefaults(service, false);
  return { service, name: lookupAll(u, S, 'ImageTag')[0] ?? '', image: undefined, wantedBy: undefined };
}

/**
 * SetWorkingDirectory=: yaml (kube) or file (build) or unit sets [Service] WorkingDirectory= to the
 * directory of that file, unless the definition sets one; any other value (builds only) is the
 * build context, returned. The decoder has refused values a kind does not take.
 */
function setWorkingDirectory(def: ResourceDefinition, service: ServiceFile, section: string): string | undefined {
  const u = def.unit;
  const value = lookupNonEmpty(u, section, 'SetWorkingDirectory');
  if (!value) return undefined;
  let relativeTo: string | undefined;
  let context: string | undefined;
  switch (value.toLowerCase()) {
    case 'yaml':
      relativeTo = lookupAllStrv(u, section, 'Yaml')[0];
      break;
    case 'file':
      relativeTo = lookup(u, section, 'File');
      break;
    case 'unit':
      relativeTo = u.path;
      break;
    default:
      context = value;
      if (!path.isAbsolute(value)) relativeTo = u.path;
  }
  if (relativeTo !== undefined && relativeTo !== '' && !(context !== undefined && isUrl(context))) {
    // Quadlet's rule: a WorkingDirectory= of the definition's own wins, and then no context is passed.
    if (lookupNonEmpty(u, 'Service', 'WorkingDirectory')) return undefined;
    service.add('Service', 'WorkingDirectory', path.dirname(absolutePath(u, relativeTo)));
  }
  return context;
}
