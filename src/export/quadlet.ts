// A podgen definition -> a .container file podman's Quadlet reads on a host
// with podman 4.4 or newer: keys Quadlet 4.4 knows stay as written, newer
// Quadlet keys become the podman run flags they stand for (PodmanArgs=), and
// podgen's own keys are translated into systemd's terms or dropped, with a
// warning each. Pure.

import { CONTAINER_KEY_INDEX } from '../decode/containerKeys';
import { BOOL_FLAGS, HEALTH_FLAGS, LIST_FLAGS, STRING_FLAGS } from '../plan/runFlags';
import { safeSplit, unquoteScalar } from '../parse/lookup';
import type { UnitFile } from '../parse/parseUnitFile';
import { EXEC_FLAGS, STRV_FLAGS } from '../parse/splitWords';
import { escapeExecWord } from '../render/escape';
import { parseRestartPolicy } from '../restart/policy';

/** The [Container] keys podman 4.4's Quadlet knows (its first release). */
export const QUADLET_4_4_KEYS: ReadonlySet<string> = new Set([
  'ContainerName', 'Image', 'Environment', 'Exec', 'NoNewPrivileges', 'DropCapability', 'AddCapability', 'ReadOnly', 'RemapUsers', 'RemapUid',
  'RemapGid', 'RemapUidSize', 'Notify', 'ExposeHostPort', 'PublishPort', 'User', 'Group', 'Volume', 'PodmanArgs', 'Label', 'Annotation', 'RunInit',
  'VolatileTmp', 'Timezone', 'SeccompProfile', 'AddDevice', 'Network',
]);

/** Newer keys by the podman run flag they stand for (the planner's own tables, and a few more). */
const FLAG_OF: ReadonlyMap<string, string> = new Map([
  ...STRING_FLAGS, ...LIST_FLAGS, ...BOOL_FLAGS,
  ...HEALTH_FLAGS.map(([k, o]) => [k, `--health-${o}`] as const),
  ['EnvironmentFile', '--env-file'], ['EnvironmentHost', '--env-host'], ['LogDriver', '--log-driver'], ['LogOpt', '--log-opt'], ['Mount', '--mount'],
  ['Secret', '--secret'], ['UserNS', '--userns'], ['UIDMap', '--uidmap'], ['GIDMap', '--gidmap'], ['SubUIDMap', '--subuidname'], ['SubGIDMap', '--subgidname'],
  ['Ulimit', '--ulimit'], ['Sysctl', '--sysctl'], ['Entrypoint', '--entrypoint'], ['CPUs', '--cpus'], ['Privileged', '--privileged'],
  // podman's global --runtime, which podman also takes after `run` (as the podman engine writes it).
  ['Runtime', '--runtime'],
]);

export interface QuadletExport {
  readonly text: string;
  readonly warnings: readonly string[];
}

const BOOLEAN_TRUE = /^(1|yes|true|on|y|t)$/i;

/** The podman run words for one entry of a newer key, or undefined (then it is dropped with a warning). */
function asFlags(key: string, raw: string): string[] | undefined {
  const flag = FLAG_OF.get(key);
  const spec = CONTAINER_KEY_INDEX.get(key);
  if (!flag || !spec) return undefined;
  switch (spec.shape) {
    case 'scalar': {
      const v = unquoteScalar(raw);
      if ((BOOL_FLAGS as ReadonlyArray<readonly [string, string]>).some(([k]) => k === key) || key === 'EnvironmentHost' || key === 'Privileged') return [`${flag}=${BOOLEAN_TRUE.test(v) ? 'true' : 'false'}`];
      return [`${flag}=${v}`];
    }
    case 'list':
      return [`${flag}=${raw}`];
    case 'words':
      return safeSplit(raw, STRV_FLAGS).map((w) => `${flag}=${w}`);
    case 'args':
    case 'keyval':
      return safeSplit(raw, EXEC_FLAGS).map((w) => `${flag}=${w}`);
    default: {
      const never: never = spec.shape;
      return never;
    }
  }
}

export function exportQuadlet(unit: UnitFile, source: string, user = false): QuadletExport {
  const warnings: string[] = [];
  const lines: string[] = [`# Exported by podgen from ${source} for podman 4.4 or newer (Quadlet).`];
  const extraService: Array<[string, string]> = [];
  const extraUnit: Array<[string, string]> = [];
  let needsInstall = false;
  const hasInstall = unit.sections.some((s) => s.name === 'Install');
  for (const section of unit.sections) {
    if (section.name.startsWith('X-')) {
      warnings.push(`[${section.name}] is podgen's own: left out`);
      continue;
    }
    const out: string[] = [];
    const podmanArgs: string[] = [];
    for (const e of section.entries) {
      if (section.name !== 'Container' || QUADLET_4_4_KEYS.has(e.key)) {
        out.push(`${e.key}=${e.value}`);
        continue;
      }
      const where = `${e.key}= (line ${e.line})`;
      if (e.key === 'RestartPolicy') {
        const p = parseRestartPolicy(unquoteScalar(e.value));
        if (!p.ok || p.policy.kind === 'systemd') continue;
        switch (p.policy.kind) {
          case 'no':
            extraService.push(['Restart', 'no']);
            break;
          case 'always':
            extraService.push(['Restart', 'always']);
            needsInstall = true;
            break;
          case 'unless-stopped':
            extraService.push(['Restart', 'always']);
            needsInstall = true;
            warnings.push(`${where}: unless-stopped becomes Restart=always and starting at boot; systemd does not remember a stop by hand across a reboot as podgen's restart manager does`);
            break;
          case 'on-failure':
            extraService.push(['Restart', 'on-failure']);
            needsInstall = true;
            if (p.policy.maxRetries !== undefined) {
              extraUnit.push(['StartLimitIntervalSec', 'infinity'], ['StartLimitBurst', String(p.policy.maxRetries + 1)]);
              warnings.push(`${where}: on-failure:${p.policy.maxRetries} becomes systemd's start limit (${p.policy.maxRetries + 1} starts); it resets with systemctl reset-failed, not with a start by hand`);
            }
            break;
          default: {
            const never: never = p.policy;
            void never;
          }
        }
        warnings.push(`${where}: Docker's back-off between restarts is podgen's; systemd restarts after RestartSec= (100 ms by default)`);
        continue;
      }
      const flags = asFlags(e.key, e.value);
      if (!flags) {
        warnings.push(`${where}: no podman 4.4 counterpart; left out`);
        continue;
      }
      podmanArgs.push(...flags);
      warnings.push(`${where}: newer than Quadlet 4.4; written as PodmanArgs=${flags.join(' ')}`);
    }
    if (podmanArgs.length) out.push(`PodmanArgs=${podmanArgs.map(escapeExecWord).join(' ')}`);
    if (section.name === 'Unit') out.push(...extraUnit.splice(0).map(([k, v]) => `${k}=${v}`));
    if (section.name === 'Service') out.push(...extraService.splice(0).map(([k, v]) => `${k}=${v}`));
    lines.push('', `[${section.name}]`, ...out);
  }
  if (extraUnit.length) lines.push('', '[Unit]', ...extraUnit.map(([k, v]) => `${k}=${v}`));
  if (extraService.length) lines.push('', '[Service]', ...extraService.map(([k, v]) => `${k}=${v}`));
  if (needsInstall && !hasInstall) {
    lines.push('', '[Install]', `WantedBy=${user ? 'default.target' : 'multi-user.target'}`);
    warnings.push('the restart policy starts the container at boot in podgen: [Install] WantedBy= added');
  }
  return { text: `${lines.join('\n')}\n`, warnings };
}
