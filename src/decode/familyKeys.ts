// The keys of every Quadlet kind besides .container ([Network], [Volume],
// [Image], [Build], [Pod], [Kube], [Artifact]), as the newest Quadlet accepts
// them, with how each value is read and checked. docs/definition.md lists
// them for people; keep both in step. containerKeys.ts has [Container]'s.

import type { QuadletKind } from '../resolve/relatedUnits';
import type { KeySpec, KeyShape } from './containerKeys';
import * as v from './validate';

const k = (name: string, shape: KeyShape, check?: v.Check, extra: Partial<KeySpec> = {}): KeySpec => ({ name, shape, podgen: true, check, ...extra });
/** A key the podgen engine does not honour (refused there, never ignored). */
const notPodgen: Partial<KeySpec> = { podgen: false };

/** Keys every kind's section takes. */
const COMMON: readonly KeySpec[] = [
  k('ContainersConfModule', 'list', v.path),
  k('GlobalArgs', 'args'),
  k('PodmanArgs', 'args'),
  k('ServiceName', 'scalar', v.unitNamePrefix),
];

const REMAP: readonly KeySpec[] = [
  k('RemapUsers', 'scalar', v.oneOf(['manual', 'auto', 'keep-id']), { deprecated: 'use UserNS=' }),
  k('RemapUid', 'words', undefined, { deprecated: 'use UIDMap=' }),
  k('RemapGid', 'words', undefined, { deprecated: 'use GIDMap=' }),
  k('RemapUidSize', 'scalar', v.unsignedInt, { deprecated: 'use UserNS=auto:size=N' }),
];

const PULL_OPTIONS: readonly KeySpec[] = [
  k('AuthFile', 'scalar', v.path),
  k('CertDir', 'scalar', v.path),
  k('Creds', 'scalar'),
  k('DecryptionKey', 'scalar'),
  k('Retry', 'scalar', v.unsignedInt),
  k('RetryDelay', 'scalar'),
  k('TLSVerify', 'scalar', v.boolean),
];

/** [Network]: the podgen engine makes bridges (one IPv4 and optionally one IPv6 subnet), with aliases, isolation and Internal=. */
export const NETWORK_KEYS: readonly KeySpec[] = [
  ...COMMON.map((c) => (c.name === 'ServiceName' ? c : { ...c, ...notPodgen })),
  k('DisableDNS', 'scalar', v.boolean, notPodgen),
  k('DNS', 'list', v.ipAddress),
  k('Driver', 'scalar'),
  k('Gateway', 'list', v.ipAddress),
  k('Internal', 'scalar', v.boolean),
  k('InterfaceName', 'scalar'),
  k('IPAMDriver', 'scalar', undefined, notPodgen),
  k('IPRange', 'list', v.ipRange),
  k('IPv6', 'scalar', v.boolean),
  k('Label', 'keyval'),
  k('NetworkDeleteOnStop', 'scalar', v.boolean),
  k('NetworkName', 'scalar', v.containerName),
  k('Options', 'keyval'),
  k('Subnet', 'list', v.subnet),
];

/** [Volume]: the podgen engine keeps volumes in its store; Device=/Type=/Options= mount on them. */
export const VOLUME_KEYS: readonly KeySpec[] = [
  ...COMMON.map((c) => (c.name === 'ServiceName' ? c : { ...c, ...notPodgen })),
  k('Copy', 'scalar', v.boolean),
  k('Device', 'scalar'),
  k('Driver', 'scalar', undefined, notPodgen),
  k('GID', 'scalar', v.unsignedInt),
  k('Group', 'scalar', v.numericIdOrRoot),
  k('Image', 'scalar', undefined, notPodgen),
  k('Label', 'keyval'),
  k('Options', 'scalar'),
  k('Type', 'scalar'),
  k('UID', 'scalar', v.unsignedInt),
  k('User', 'scalar', v.numericIdOrRoot),
  k('VolumeName', 'scalar', v.containerName),
];

/** [Image]: the podgen engine pulls into its own store (podgen pull): name, TLS and Policy only. */
export const IMAGE_KEYS: readonly KeySpec[] = [
  ...COMMON.map((c) => (c.name === 'ServiceName' ? c : { ...c, ...notPodgen })),
  ...PULL_OPTIONS.map((o) => (o.name === 'TLSVerify' ? o : { ...o, ...notPodgen })),
  k('AllTags', 'scalar', v.boolean, notPodgen),
  k('Arch', 'scalar', undefined, notPodgen),
  k('Image', 'scalar', v.imageReference),
  k('ImageTag', 'scalar', undefined, notPodgen),
  k('OS', 'scalar', undefined, notPodgen),
  k('Policy', 'scalar', v.oneOf(['always', 'missing', 'never', 'newer'])),
  k('Variant', 'scalar', undefined, notPodgen),
];

export const BUILD_KEYS: readonly KeySpec[] = [
  ...COMMON,
  k('Annotation', 'keyval'),
  k('Arch', 'scalar'),
  k('AuthFile', 'scalar', v.path),
  k('BuildArg', 'keyval'),
  k('DNS', 'list', v.ipAddress),
  k('DNSOption', 'list'),
  k('DNSSearch', 'list'),
  k('Environment', 'keyval', v.envName),
  k('File', 'scalar'),
  k('ForceRM', 'scalar', v.boolean),
  k('GroupAdd', 'list'),
  k('IgnoreFile', 'scalar'),
  k('ImageTag', 'list'),
  k('Label', 'keyval'),
  k('Network', 'list'),
  k('Pull', 'scalar', v.oneOf(['always', 'missing', 'never', 'newer', 'true', 'false'])),
  k('Retry', 'scalar', v.unsignedInt),
  k('RetryDelay', 'scalar'),
  k('Secret', 'args'),
  k('SetWorkingDirectory', 'scalar'),
  k('Target', 'scalar'),
  k('TLSVerify', 'scalar', v.boolean),
  k('Variant', 'scalar'),
  k('Volume', 'list'),
];

/** [Pod]: the podgen engine's pod is a network namespace (no infra process): networks, ports, address, names. */
export const POD_KEYS: readonly KeySpec[] = [
  ...COMMON.map((c) => (c.name === 'ServiceName' ? c : { ...c, ...notPodgen })),
  ...REMAP.map((r) => ({ ...r, ...notPodgen })),
  k('AddHost', 'list', v.addHost, notPodgen),
  k('DNS', 'list', v.ipAddress, notPodgen),
  k('DNSOption', 'list', undefined, notPodgen),
  k('DNSSearch', 'list', undefined, notPodgen),
  k('ExitPolicy', 'scalar', v.oneOf(['stop', 'continue']), notPodgen),
  k('GIDMap', 'words', v.idMap, notPodgen),
  k('HostName', 'list', v.hostname),
  k('IP', 'scalar', v.ipv4),
  k('IP6', 'scalar', v.ipv6, notPodgen),
  k('Label', 'keyval', undefined, notPodgen),
  k('Network', 'list'),
  k('NetworkAlias', 'list', v.hostname),
  k('PodName', 'scalar', v.containerName),
  k('PublishPort', 'list', v.publishPort),
  k('ShmSize', 'scalar', v.memorySize, notPodgen),
  k('SocketActivationPort', 'list', undefined, notPodgen),
  k('SocketActivationPortOptions', 'args', undefined, notPodgen),
  k('StopTimeout', 'scalar', v.unsignedInt, notPodgen),
  k('SubGIDMap', 'scalar', undefined, notPodgen),
  k('SubUIDMap', 'scalar', undefined, notPodgen),
  k('UIDMap', 'words', v.idMap, notPodgen),
  k('UserNS', 'scalar', undefined, notPodgen),
  k('Volume', 'list', undefined, notPodgen),
];

export const KUBE_KEYS: readonly KeySpec[] = [
  ...COMMON,
  ...REMAP,
  k('AutoUpdate', 'words'),
  k('ConfigMap', 'words'),
  k('ExitCodePropagation', 'scalar', v.oneOf(['all', 'any', 'none'])),
  k('KubeDownForce', 'scalar', v.boolean),
  k('LogDriver', 'scalar'),
  k('LogOpt', 'words'),
  k('Network', 'list'),
  k('PublishPort', 'list', v.publishPort),
  k('SetWorkingDirectory', 'scalar', v.oneOf(['yaml', 'unit'])),
  k('UserNS', 'scalar'),
  k('Yaml', 'words'),
];

export const ARTIFACT_KEYS: readonly KeySpec[] = [...COMMON, ...PULL_OPTIONS, k('Artifact', 'scalar'), k('Quiet', 'scalar', v.boolean)];

const index = (keys: readonly KeySpec[]): ReadonlyMap<string, KeySpec> => new Map(keys.map((s) => [s.name, s]));

/** Each non-container kind's key table, by kind. */
export const FAMILY_KEY_INDEX: Readonly<Record<Exclude<QuadletKind, 'container'>, ReadonlyMap<string, KeySpec>>> = {
  network: index(NETWORK_KEYS),
  volume: index(VOLUME_KEYS),
  image: index(IMAGE_KEYS),
  build: index(BUILD_KEYS),
  pod: index(POD_KEYS),
  kube: index(KUBE_KEYS),
  artifact: index(ARTIFACT_KEYS),
};
