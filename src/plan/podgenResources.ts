// --engine podgen for the kinds besides .container: .network, .volume and
// .pod are oneshot units running `podgen network|volume|pod create` (and
// their removal at stop), an .image is a oneshot `podgen pull` into podgen's
// own store that containers with Image=x.image wait for. .build, .kube and
// .artifact are refused at their file with --engine podman as the way out:
// never ignored.

import type { ResourceDefinition } from '../decode/decodeResource';
import { findSection, lookup, lookupAll, lookupAllKeyVal, lookupBoolean, lookupNonEmpty } from '../parse/lookup';
import { KIND_SECTION, podResourceName, quadletResourceName } from '../resolve/relatedUnits';
import { parseReference } from '../image/reference';
import { literal } from '../render/escape';
import type { PlanContext, PlannedService, PlanProblems } from './context';
import { lookupUint32, oneshotDefaults, wantPodMembers } from './podmanCommand';
import { keyValFlags, networkFlags, requireMountsFor } from './runFlags';
import type { ServiceFile } from './serviceFile';

export function planPodgenImage(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext): PlannedService {
  const u = def.unit;
  const image = lookupNonEmpty(u, 'Image', 'Image') as string;
  const argv = [...ctx.podgenCommand.map(literal), ...(ctx.user ? ['--user'] : []), 'pull', '--quiet'];
  // podman image pull's default policy is "always": ask the registry (no download when unchanged).
  argv.push('--policy', lookupNonEmpty(u, 'Image', 'Policy') ?? 'always');
  if (lookupBoolean(u, 'Image', 'TLSVerify') === false) {
    const ref = parseReference(image);
    if (ref.ok) argv.push('--insecure-registry', ref.ref.registry);
  }
  argv.push(image);
  service.addCommand('Service', 'ExecStart', argv);
  if (!lookup(u, 'Unit', 'Description')) service.add('Unit', 'Description', `podgen image ${image}`);
  oneshotDefaults(service, true);
  return { service, name: image, image, wantedBy: undefined };
}

/**
 * A .network: `podgen network create NAME ...` at start (the same settings again: no change), and
 * `podgen network rm` at stop, so that `down` leaves no bridge, lease or rule; containers on it
 * Requires= it, so systemd stops them first.
 */
export function planPodgenNetwork(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext, problems: PlanProblems): PlannedService {
  const u = def.unit;
  const S = 'Network';
  const name = quadletResourceName(u.filename, u, 'NetworkName');
  const podgen = [...ctx.podgenCommand.map(literal)];
  // The name first: the list options (--dns, --label, ...) would take a name after them as one more value.
  const create = [...podgen, 'network', 'create', name];
  // Subnet=, Gateway= and IPRange= pair by position, as in Quadlet: one IPv4 and one IPv6 subnet at most.
  const subnets = lookupAll(u, S, 'Subnet');
  const families = subnets.map((t) => (t.includes(':') ? 6 : 4));
  if (new Set(families).size < families.length) problems.error('the podgen engine gives a network one subnet per address family', 'Subnet', 'keep one IPv4 and one IPv6 Subnet=, or use --engine podman');
  for (const subnet of subnets) create.push(`--subnet=${subnet}`);
  for (const gateway of lookupAll(u, S, 'Gateway')) create.push(`--gateway=${gateway}`);
  for (const range of lookupAll(u, S, 'IPRange')) create.push(`--ip-range=${range}`);
  const driver = lookupNonEmpty(u, S, 'Driver');
  if (driver && driver !== 'bridge') problems.error(`Driver=${driver}: the podgen engine's networks are Linux bridges`, 'Driver', 'leave Driver= out (or bridge), or use --engine podman for macvlan/ipvlan');
  if (lookupBoolean(u, S, 'IPv6')) create.push('--ipv6');
  if (lookupBoolean(u, S, 'Internal')) create.push('--internal');
  const ifname = lookupNonEmpty(u, S, 'InterfaceName');
  if (ifname) create.push('--interface-name', ifname);
  for (const [k, v] of lookupAllKeyVal(u, S, 'Options')) {
    if (k !== 'mtu') problems.error(`Options=${k}: the podgen engine's bridges take mtu= only`, 'Options', 'remove it, or use --engine podman');
    else create.push('--opt', `mtu=${v ?? ''}`);
  }
  for (const d of lookupAll(u, S, 'DNS')) create.push('--dns', d);
  create.push(...keyValFlags(u, 'Label', '--label', S));
  service.addCommand('Service', 'ExecStart', create);
  service.addCommand('Service', 'ExecStop', [...podgen, 'network', 'rm', '--if-exists', name]);
  if (!lookup(u, 'Unit', 'Description')) service.add('Unit', 'Description', `podgen network ${name}`);
  oneshotDefaults(service, true);
  return { service, name, image: undefined, wantedBy: undefined };
}

/**
 * A .volume: `podgen volume create NAME ...` at start (again: no change, the data is never
 * touched); a device volume is unmounted when the unit stops. The volume and its data outlive
 * containers and down (podgen volume rm removes them).
 */
export function planPodgenVolume(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext): PlannedService {
  const u = def.unit;
  const S = 'Volume';
  const name = quadletResourceName(u.filename, u, 'VolumeName');
  const podgen = [...ctx.podgenCommand.map(literal)];
  const create = [...podgen, 'volume', 'create', name];
  const device = lookupNonEmpty(u, S, 'Device');
  if (device) create.push('--device', device);
  const type = lookupNonEmpty(u, S, 'Type');
  if (type) create.push('--type', type);
  const options = lookupNonEmpty(u, S, 'Options');
  if (options) create.push('--opt', options);
  // User=/Group= (Quadlet's o=uid=,gid=) and UID=/GID= (podman's --uid/--gid) both own the volume's root.
  const uid = lookupNonEmpty(u, S, 'UID') ?? (lookup(u, S, 'User') !== undefined ? String(lookupUint32(u, S, 'User')) : undefined);
  const gid = lookupNonEmpty(u, S, 'GID') ?? (lookup(u, S, 'Group') !== undefined ? String(lookupUint32(u, S, 'Group')) : undefined);
  if (uid !== undefined) create.push('--uid', uid);
  if (gid !== undefined) create.push('--gid', gid);
  if (lookupBoolean(u, S, 'Copy') === false) create.push('--no-copy');
  create.push(...keyValFlags(u, 'Label', '--label', S));
  service.addCommand('Service', 'ExecStart', create);
  if (device) service.addCommand('Service', 'ExecStop', [...podgen, 'volume', 'unmount', name]);
  if (type === 'bind' && device) requireMountsFor(service, device);
  if (!lookup(u, 'Unit', 'Description')) service.add('Unit', 'Description', `podgen volume ${name}`);
  oneshotDefaults(service, true);
  return { service, name, image: undefined, wantedBy: undefined };
}

/**
 * A .pod: `podgen pod create NAME ...` at start makes the pod's network namespace (attached to its
 * networks, publishing its ports: no infra process), `podgen pod rm` at stop removes it; its
 * containers (BindsTo= it) join that namespace, and the pod Wants= them so they start with it.
 */
export function planPodgenPod(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext, problems: PlanProblems): PlannedService {
  const u = def.unit;
  const S = 'Pod';
  const name = podResourceName(u.filename, u);
  const podgen = [...ctx.podgenCommand.map(literal)];
  const create = [...podgen, 'pod', 'create', name];
  for (const flag of networkFlags({ def, service, ctx, problems, section: S })) create.push(flag);
  for (const port of lookupAll(u, S, 'PublishPort')) create.push('--publish', port);
  const ip = lookupNonEmpty(u, S, 'IP');
  if (ip) create.push('--ip', ip);
  for (const alias of lookupAll(u, S, 'NetworkAlias')) create.push('--network-alias', alias);
  const hostname = lookupAll(u, S, 'HostName').pop();
  if (hostname) create.push('--hostname', hostname);
  service.addCommand('Service', 'ExecStart', create);
  service.addCommand('Service', 'ExecStop', [...podgen, 'pod', 'rm', name]);
  wantPodMembers(service, def.podMembers);
  if (!lookup(u, 'Unit', 'Description')) service.add('Unit', 'Description', `podgen pod ${name}`);
  oneshotDefaults(service, true);
  return { service, name, image: undefined, wantedBy: undefined };
}

/** The kinds the podgen engine cannot run yet: an error at the file, naming the way out. */
export function refuseForPodgen(def: ResourceDefinition, problems: PlanProblems): undefined {
  const why: Readonly<Record<string, string>> = {
    build: 'building images needs a builder (buildah/podman build)',
    kube: 'Kubernetes YAML is played by podman kube play (a later podgen import kube may convert it)',
    artifact: 'OCI artifacts are pulled by podman artifact pull',
  };
  const section = findSection(def.unit, KIND_SECTION[def.kind]);
  problems.errorAt(
    `the podgen engine cannot run .${def.kind} definitions${why[def.kind] ? `: ${why[def.kind]}` : ' yet'}`,
    section && section.line !== undefined ? { file: section.file, line: section.line } : undefined,
    'generate it with --engine podman: podgen then writes the unit the newest Quadlet would',
  );
  return undefined;
}
