// Every key podgen accepts in [Container]: Quadlet's (podman 5.x) plus
// podgen's own. The table says how a key's value is read (its shape), how it
// is validated, and whether the podgen engine can honour it. docs/definition.md
// is the human-readable twin of this table; keep both in step.

import * as v from './validate';

/**
 * How a key's assignments combine:
 * - scalar: the last assignment wins
 * - list:   every assignment is one item ("Key=" resets)
 * - words:  every assignment is split into space-separated words (quotes kept together)
 * - args:   like words, with exec-style C escapes (\n, \x41 ...)
 * - keyval: KEY=VALUE words, later keys win
 */
export type KeyShape = 'scalar' | 'list' | 'words' | 'args' | 'keyval';

export interface KeySpec {
  readonly name: string;
  readonly shape: KeyShape;
  /** Validates one item (the scalar, one list item, one word); returns an error message or undefined. */
  readonly check?: v.Check;
  /** False when the podgen engine cannot honour the key (an error there, never silently ignored). */
  readonly podgen: boolean;
  /** Keys that exist only in podgen (not in Quadlet). */
  readonly podgenOnly?: boolean;
  readonly deprecated?: string;
}

const k = (name: string, shape: KeyShape, podgen: boolean, check?: v.Check, extra: Partial<KeySpec> = {}): KeySpec => ({
  name,
  shape,
  podgen,
  check,
  ...extra,
});

export const CONTAINER_KEYS: readonly KeySpec[] = [
  k('AddCapability', 'words', true, v.capability),
  k('AddDevice', 'words', true, v.device),
  k('AddHost', 'list', true, v.addHost),
  k('Annotation', 'keyval', true),
  k('AppArmor', 'scalar', false),
  k('AuthFile', 'scalar', false, v.path),
  k('AutoUpdate', 'scalar', false, v.oneOf(['registry', 'local'])),
  k('CgroupsMode', 'scalar', false, v.oneOf(['enabled', 'disabled', 'no-conmon', 'split'])),
  k('ContainerName', 'scalar', true, v.containerName),
  k('ContainersConfModule', 'list', false, v.path),
  k('DNS', 'list', true, v.ipAddress),
  k('DNSOption', 'list', true),
  k('DNSSearch', 'list', true),
  k('DropCapability', 'words', true, v.capability),
  k('Entrypoint', 'scalar', true),
  k('Environment', 'keyval', true, v.envName),
  k('EnvironmentFile', 'args', true, v.path),
  k('EnvironmentHost', 'scalar', true, v.boolean),
  k('Exec', 'args', true),
  k('ExposeHostPort', 'list', true, v.exposePort),
  k('GIDMap', 'words', true, v.idMap),
  k('GlobalArgs', 'args', false),
  k('Group', 'scalar', true, v.userOrGroup),
  k('GroupAdd', 'list', true, v.userOrGroup),
  k('HealthCmd', 'scalar', true),
  k('HealthInterval', 'scalar', true, v.durationOrDisable),
  k('HealthLogDestination', 'scalar', true),
  k('HealthMaxLogCount', 'scalar', true, v.unsignedInt),
  k('HealthMaxLogSize', 'scalar', true, v.unsignedInt),
  k('HealthOnFailure', 'scalar', true, v.oneOf(['none', 'kill', 'restart', 'stop'])),
  k('HealthRetries', 'scalar', true, v.unsignedInt),
  k('HealthStartPeriod', 'scalar', true, v.duration),
  k('HealthStartupCmd', 'scalar', true),
  k('HealthStartupInterval', 'scalar', true, v.durationOrDisable),
  k('HealthStartupRetries', 'scalar', true, v.unsignedInt),
  k('HealthStartupSuccess', 'scalar', true, v.unsignedInt),
  k('HealthStartupTimeout', 'scalar', true, v.duration),
  k('HealthTimeout', 'scalar', true, v.duration),
  k('HostName', 'scalar', true, v.hostname),
  k('HttpProxy', 'scalar', false, v.boolean),
  k('IP', 'scalar', true, v.ipv4),
  k('IP6', 'scalar', false, v.ipv6),
  k('Image', 'scalar', true, v.imageReference),
  k('Label', 'keyval', true),
  k('LogDriver', 'scalar', false),
  k('LogOpt', 'words', false),
  k('Mask', 'args', true, v.maskPaths),
  k('Memory', 'scalar', true, v.memorySize),
  k('Mount', 'args', false),
  k('Network', 'list', true),
  k('NetworkAlias', 'list', true, v.hostname),
  k('NoNewPrivileges', 'scalar', true, v.boolean),
  k('Notify', 'scalar', true, v.booleanOr(['healthy'])),
  k('PidsLimit', 'scalar', true, v.signedInt),
  k('Pod', 'scalar', true),
  k('PodmanArgs', 'args', false),
  k('PublishPort', 'list', true, v.publishPort),
  k('Pull', 'scalar', true, v.oneOf(['always', 'missing', 'never', 'newer'])),
  k('ReadOnly', 'scalar', true, v.boolean),
  k('ReadOnlyTmpfs', 'scalar', true, v.boolean),
  k('ReloadCmd', 'args', false),
  k('ReloadSignal', 'scalar', true, v.signal),
  k('RemapGid', 'words', false, undefined, { deprecated: 'use GIDMap=' }),
  k('RemapUid', 'words', false, undefined, { deprecated: 'use UIDMap=' }),
  k('RemapUidSize', 'scalar', false, v.unsignedInt, { deprecated: 'use UserNS=auto:size=N' }),
  k('RemapUsers', 'scalar', false, undefined, { deprecated: 'use UserNS=' }),
  k('Retry', 'scalar', true, v.unsignedInt),
  k('RetryDelay', 'scalar', true, v.duration),
  k('Rootfs', 'scalar', false, v.path),
  k('RunInit', 'scalar', true, v.boolean),
  k('SeccompProfile', 'scalar', true, v.seccompProfile),
  k('Secret', 'args', false),
  k('SecurityLabelDisable', 'scalar', false, v.boolean),
  k('SecurityLabelFileType', 'scalar', false),
  k('SecurityLabelLevel', 'scalar', false),
  k('SecurityLabelNested', 'scalar', false, v.boolean),
  k('SecurityLabelType', 'scalar', false),
  k('ServiceName', 'scalar', true, v.unitNamePrefix),
  k('ShmSize', 'scalar', true, v.memorySize),
  k('StartWithPod', 'scalar', true, v.boolean),
  k('StopSignal', 'scalar', true, v.signal),
  k('StopTimeout', 'scalar', true, v.unsignedInt),
  k('SubGIDMap', 'scalar', true),
  k('SubUIDMap', 'scalar', true),
  k('Sysctl', 'words', true, v.sysctl),
  k('Timezone', 'scalar', true),
  k('Tmpfs', 'list', true, v.tmpfs),
  k('UIDMap', 'words', true, v.idMap),
  k('Ulimit', 'list', true, v.ulimit),
  k('Unmask', 'args', true, v.unmaskPaths),
  k('User', 'scalar', true, v.userOrGroup),
  k('UserNS', 'scalar', true),
  k('VolatileTmp', 'scalar', true, v.boolean, { deprecated: 'use Tmpfs=/tmp' }),
  k('Volume', 'list', true, v.volume),
  k('WorkingDir', 'scalar', true, v.absolutePath),
  // podgen's own keys
  k('RestartPolicy', 'scalar', true, undefined, { podgenOnly: true }),
  k('Runtime', 'scalar', true, v.oneOf(['runc', 'crun']), { podgenOnly: true }),
  k('CPUs', 'scalar', true, v.cpus, { podgenOnly: true }),
  k('Privileged', 'scalar', true, v.boolean, { podgenOnly: true }),
];

export const QUADLET_KEYS: readonly KeySpec[] = [k('DefaultDependencies', 'scalar', true, v.boolean)];

export const CONTAINER_KEY_INDEX: ReadonlyMap<string, KeySpec> = new Map(CONTAINER_KEYS.map((s) => [s.name, s]));
export const QUADLET_KEY_INDEX: ReadonlyMap<string, KeySpec> = new Map(QUADLET_KEYS.map((s) => [s.name, s]));

/** [Service] keys Quadlet accepts but warns about (the container process runs as root in the unit regardless). */
export const UNSUPPORTED_SERVICE_KEYS = ['User', 'Group', 'DynamicUser'] as const;
