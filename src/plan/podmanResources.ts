// --engine podman for the kinds that create one podman object and stay
// "active (exited)": .network, .volume, .image, .artifact. Each is a oneshot
// `podman network create --ignore ...` (volume create, image pull, artifact
// pull), exactly as the newest Quadlet writes it.

import type { ResourceDefinition } from '../decode/decodeResource';
import { lookup, lookupAll, lookupBoolean, lookupBooleanOr, lookupNonEmpty } from '../parse/lookup';
import { KIND_SECTION, quadletResourceName } from '../resolve/relatedUnits';
import type { PlanContext, PlannedService, PlanProblems } from './context';
import { basePodman, lookupUint32, oneshotDefaults, PodmanArgs } from './podmanCommand';
import { imageArgument, keyValFlags, requireMountsFor } from './runFlags';
import type { ServiceFile } from './serviceFile';

export function planPodmanNetwork(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext): PlannedService {
  const u = def.unit;
  const S = 'Network';
  const name = quadletResourceName(u.filename, u, 'NetworkName');
  if (lookupBooleanOr(u, S, 'NetworkDeleteOnStop', false)) service.addCommand('Service', 'ExecStopPost', [...basePodman(u, S, ctx), 'network', 'rm', name]);
  const podman = new PodmanArgs(u, S, basePodman(u, S, ctx)).add('network', 'create', '--ignore');
  podman.booleans([
    ['DisableDNS', '--disable-dns'],
    ['Internal', '--internal'],
    ['IPv6', '--ipv6'],
  ]);
  podman.strings([
    ['Driver', '--driver'],
    ['IPAMDriver', '--ipam-driver'],
    ['InterfaceName', '--interface-name'],
  ]);
  podman.lists([['DNS', '--dns']]);
  // Gateway= and IPRange= pair with the Subnet= of the same position (the decoder checked the counts).
  const gateways = lookupAll(u, S, 'Gateway');
  const ranges = lookupAll(u, S, 'IPRange');
  lookupAll(u, S, 'Subnet').forEach((subnet, i) => {
    podman.add('--subnet', subnet);
    if (gateways[i] !== undefined) podman.add('--gateway', gateways[i] as string);
    if (ranges[i] !== undefined) podman.add('--ip-range', ranges[i] as string);
  });
  podman.add(...keyValFlags(u, 'Options', '--opt', S), ...keyValFlags(u, 'Label', '--label', S));
  podman.podmanArgs().add(name);
  service.addCommand('Service', 'ExecStart', podman.argv);
  oneshotDefaults(service, true);
  return { service, name, image: undefined, wantedBy: undefined };
}

export function planPodmanVolume(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext, problems: PlanProblems): PlannedService {
  const u = def.unit;
  const S = 'Volume';
  const name = quadletResourceName(u.filename, u, 'VolumeName');
  const podman = new PodmanArgs(u, S, basePodman(u, S, ctx)).add('volume', 'create', '--ignore');
  const uid = lookup(u, S, 'UID');
  if (uid !== undefined) podman.add('--uid', uid);
  const gid = lookup(u, S, 'GID');
  if (gid !== undefined) podman.add('--gid', gid);
  const driver = lookup(u, S, 'Driver');
  if (driver !== undefined) podman.add('--driver', driver);
  let opts: string;
  if (driver === 'image') {
    const image = imageArgument({ def, service, ctx, problems, section: S }, lookup(u, S, 'Image'));
    opts = `image=${image ?? ''}`;
  } else {
    const o: string[] = [];
    if (lookup(u, S, 'User') !== undefined) o.push(`uid=${lookupUint32(u, S, 'User')}`);
    if (lookup(u, S, 'Group') !== undefined) o.push(`gid=${lookupUint32(u, S, 'Group')}`);
    const copy = lookupBoolean(u, S, 'Copy');
    if (copy !== undefined) podman.add('--opt', copy ? 'copy' : 'nocopy');
    const device = lookupNonEmpty(u, S, 'Device');
    if (device) podman.add('--opt', `device=${device}`);
    const type = lookupNonEmpty(u, S, 'Type');
    if (type && device) {
      podman.add('--opt', `type=${type}`);
      // A bind "device" is a directory: mount it before the volume is created over it.
      if (type === 'bind') requireMountsFor(service, device);
    }
    const mountOptions = lookupNonEmpty(u, S, 'Options');
    if (mountOptions) o.push(mountOptions);
    opts = `o=${o.join(',')}`;
  }
  if (opts.length > 2) podman.add('--opt', opts);
  podman.add(...keyValFlags(u, 'Label', '--label', S));
  podman.podmanArgs().add(name);
  service.addCommand('Service', 'ExecStart', podman.argv);
  oneshotDefaults(service, true);
  return { service, name, image: undefined, wantedBy: undefined };
}

const PULL_STRINGS: ReadonlyArray<readonly [string, string]> = [
  ['AuthFile', '--authfile'],
  ['CertDir', '--cert-dir'],
  ['Creds', '--creds'],
  ['DecryptionKey', '--decryption-key'],
  ['Retry', '--retry'],
  ['RetryDelay', '--retry-delay'],
];

export function planPodmanImage(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext): PlannedService {
  const u = def.unit;
  const S = 'Image';
  const image = lookupNonEmpty(u, S, 'Image') as string;
  const podman = new PodmanArgs(u, S, basePodman(u, S, ctx)).add('image', 'pull');
  podman.strings([...PULL_STRINGS, ['Arch', '--arch'], ['OS', '--os'], ['Policy', '--policy'], ['Variant', '--variant']]);
  podman.booleans([
    ['AllTags', '--all-tags'],
    ['TLSVerify', '--tls-verify'],
  ]);
  podman.podmanArgs().add(image);
  service.addCommand('Service', 'ExecStart', podman.argv);
  oneshotDefaults(service, true);
  return { service, name: lookupNonEmpty(u, S, 'ImageTag') ?? image, image, wantedBy: undefined };
}

export function planPodmanArtifact(def: ResourceDefinition, service: ServiceFile, ctx: PlanContext): PlannedService {
  const u = def.unit;
  const S = KIND_SECTION.artifact;
  const artifact = lookupNonEmpty(u, S, 'Artifact') as string;
  const podman = new PodmanArgs(u, S, basePodman(u, S, ctx)).add('artifact', 'pull');
  podman.strings(PULL_STRINGS);
  podman.booleans([
    ['Quiet', '--quiet'],
    ['TLSVerify', '--tls-verify'],
  ]);
  podman.podmanArgs().add(artifact);
  service.addCommand('Service', 'ExecStart', podman.argv);
  oneshotDefaults(service, true);
  return { service, name: artifact, image: undefined, wantedBy: undefined };
}
