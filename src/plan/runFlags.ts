// [Container] keys -> `run` flags in podman's (= docker's) spelling, with
// Quadlet's exact semantics per key. Both engines use this one builder: the
// podman engine puts the flags on `podman run`, the podgen engine hands the
// same docker-run style argv to `podgen prepare` (which is also how
// `docker run` lines will be imported). Keys the podgen engine cannot honour
// were already rejected by the decoder, so they yield nothing here.

import { appendAll } from '../arrays';
import * as path from 'node:path';
import type { ContainerDefinition } from '../decode/decodeContainer';
import { hasVariable } from '../decode/validate';
import { joinCsv, parseMount, SOURCE_RESOLVED_TYPES } from '../decode/mount';
import {
  lookup,
  lookupAll,
  lookupAllArgs,
  lookupAllKeyVal,
  lookupAllStrv,
  lookupBoolean,
  lookupBooleanOr,
  lookupLastEntry,
  lookupNonEmpty,
} from '../parse/lookup';
import type { UnitFile } from '../parse/parseUnitFile';
import { quadletExtension } from '../resolve/relatedUnits';
import type { PlanContext, PlanProblems } from './context';
import type { ServiceFile } from './serviceFile';
import { listWord, quadletListWord } from '../render/escape';

const C = 'Container';

export interface FlagInput {
  readonly def: Pick<ContainerDefinition, 'unit' | 'related'>;
  readonly service: ServiceFile;
  readonly ctx: PlanContext;
  readonly problems: PlanProblems;
  /** The section the keys are read from: [Container] unless a pod, kube or build unit shares a flag builder. */
  readonly section?: string;
}

/** Flags Quadlet passes as `--flag value` for a non-empty scalar key. */
export const STRING_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['Timezone', '--tz'],
  ['PidsLimit', '--pids-limit'],
  ['ShmSize', '--shm-size'],
  ['WorkingDir', '--workdir'],
  ['IP', '--ip'],
  ['IP6', '--ip6'],
  ['HostName', '--hostname'],
  ['StopSignal', '--stop-signal'],
  ['StopTimeout', '--stop-timeout'],
  ['Pull', '--pull'],
  ['Memory', '--memory'],
  ['Retry', '--retry'],
  ['RetryDelay', '--retry-delay'],
  ['CPUs', '--cpus'],
];

/** Flags repeated once per assignment. */
export const LIST_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['NetworkAlias', '--network-alias'],
  ['Ulimit', '--ulimit'],
  ['DNS', '--dns'],
  ['DNSOption', '--dns-option'],
  ['DNSSearch', '--dns-search'],
  ['GroupAdd', '--group-add'],
  ['AddHost', '--add-host'],
  ['Tmpfs', '--tmpfs'],
];

/** Boolean keys written as --flag / --flag=false when set. */
export const BOOL_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['RunInit', '--init'],
  ['EnvironmentHost', '--env-host'],
  ['ReadOnlyTmpfs', '--read-only-tmpfs'],
  ['Privileged', '--privileged'],
];

export const HEALTH_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['HealthCmd', 'cmd'],
  ['HealthInterval', 'interval'],
  ['HealthOnFailure', 'on-failure'],
  ['HealthLogDestination', 'log-destination'],
  ['HealthMaxLogCount', 'max-log-count'],
  ['HealthMaxLogSize', 'max-log-size'],
  ['HealthRetries', 'retries'],
  ['HealthStartPeriod', 'start-period'],
  ['HealthTimeout', 'timeout'],
  ['HealthStartupCmd', 'startup-cmd'],
  ['HealthStartupInterval', 'startup-interval'],
  ['HealthStartupRetries', 'startup-retries'],
  ['HealthStartupSuccess', 'startup-success'],
  ['HealthStartupTimeout', 'startup-timeout'],
];

const boolFlag = (flag: string, value: boolean): string => (value ? flag : `${flag}=false`);

/** Flags written from keys outside the tables above, by the key they come from. */
const OTHER_FLAG_KEYS: Readonly<Record<string, string>> = {
  '--publish': 'PublishPort', '-v': 'Volume', '--cap-add': 'AddCapability', '--cap-drop': 'DropCapability', '--device': 'AddDevice',
  '--env': 'Environment', '--env-file': 'EnvironmentFile', '--label': 'Label', '--annotation': 'Annotation', '--expose': 'ExposeHostPort',
  '--sysctl': 'Sysctl', '--user': 'User', '--network': 'Network', '--entrypoint': 'Entrypoint', '--read-only': 'ReadOnly',
  '--mount': 'Mount', '--secret': 'Secret', '--security-opt': 'SeccompProfile', '--hostname': 'HostName',
};

/** The definition key a run flag comes from (for a message at the right line), or undefined. */
export function keyOfFlag(flag: string): string | undefined {
  const name = flag.split('=')[0] as string;
  return [...STRING_FLAGS, ...LIST_FLAGS, ...BOOL_FLAGS].find(([, f]) => f === name)?.[0] ?? OTHER_FLAG_KEYS[name];
}

/** Container name before specifier expansion: ContainerName=, else `${prefix}%N` (%p_%i for templates). */
export function containerName(unit: UnitFile, prefix: string): string {
  const explicit = lookupNonEmpty(unit, C, 'ContainerName');
  if (explicit) return explicit;
  return unit.filename.includes('@') ? `${prefix}%p_%i` : `${prefix}%N`;
}

/** Relative paths are relative to the definition's directory; "%h/x" stays for systemd to expand. */
export function absolutePath(unit: UnitFile, p: string): string {
  if (path.isAbsolute(p) || (p.startsWith('%') && !p.startsWith('%%'))) return p;
  return path.join(path.dirname(unit.path || path.resolve(unit.filename)), p);
}

/** RequiresMountsFor= a path, in systemd 252's spelling and (where it differs) in Quadlet's: see quadletListWord. */
export function requireMountsFor(service: ServiceFile, p: string): void {
  const quadlet = quadletListWord(p);
  if (quadlet !== listWord(p)) service.add('Unit', 'RequiresMountsFor', quadlet);
  service.add('Unit', 'RequiresMountsFor', listWord(p));
}

/** A storage source: a path (absolute or ./relative), a named volume, or a reference to a .volume/.image unit. */
function storageSource(input: FlagInput, source: string, allowImage: boolean, key: string): string | undefined {
  const { def, service, problems } = input;
  let s = source;
  if (s.startsWith('.')) s = absolutePath(def.unit, s);
  if (s.startsWith('/')) {
    // In the Exec line, $$ becomes $ and $VAR the service's variable; RequiresMountsFor= expands
    // specifiers only, so it gets the path with $$ undone, and none when a variable decides it.
    if (!hasVariable(s)) requireMountsFor(service, s.replace(/\$\$/g, '$'));
    return s;
  }
  const ext = quadletExtension(s);
  if (ext === '.volume' || ext === '.artifact' || (allowImage && ext === '.image')) {
    const info = def.related.get(s);
    if (!info?.found || !info.resourceName) {
      problems.error(`requested Quadlet source ${s} was not found`, key, `put ${s} next to the definition or in a Quadlet directory`);
      return undefined;
    }
    service.add('Unit', 'Requires', `${info.serviceName}.service`);
    service.add('Unit', 'After', `${info.serviceName}.service`);
    return info.resourceName;
  }
  return s;
}

/** Network= (a .network or .container reference becomes its resource, with Requires=/After=). */
export function networkFlags(input: FlagInput): string[] {
  const { def, service, problems } = input;
  const out: string[] = [];
  for (const network of lookupAll(def.unit, input.section ?? C, 'Network')) {
    if (network === '') continue;
    const colon = network.indexOf(':');
    const name = colon === -1 ? network : network.slice(0, colon);
    const options = colon === -1 ? undefined : network.slice(colon + 1);
    const ext = quadletExtension(name);
    if (ext !== '.network' && ext !== '.container') {
      out.push('--network', network);
      continue;
    }
    const info = def.related.get(name);
    if (!info?.found) {
      problems.error(`requested Quadlet unit ${name} was not found`, 'Network', `put ${name} next to the definition or in a Quadlet directory`, input.section, network);
      continue;
    }
    if (!info.resourceName) {
      problems.error(`cannot get the resource name of ${name}`, 'Network', 'a template unit has no fixed resource name; name it explicitly', input.section, network);
      continue;
    }
    service.add('Unit', 'Requires', `${info.serviceName}.service`);
    service.add('Unit', 'After', `${info.serviceName}.service`);
    if (options !== undefined) {
      if (ext === '.container') {
        problems.error("extra options are not supported when joining another container's network", 'Network');
        continue;
      }
      out.push('--network', `${info.resourceName}:${options}`);
    } else {
      out.push('--network', ext === '.container' ? `container:${info.resourceName}` : info.resourceName);
    }
  }
  return out;
}

/** UserNS=, UIDMap=, ... or the deprecated RemapUsers= family (the decoder has refused bad combinations). */
export function userMappingFlags(unit: UnitFile, section: string = C): string[] {
  const C_ = section;
  const out: string[] = [];
  const userns = lookupNonEmpty(unit, C_, 'UserNS');
  if (userns) out.push('--userns', userns);
  for (const m of lookupAllStrv(unit, C_, 'UIDMap')) out.push('--uidmap', m);
  for (const m of lookupAllStrv(unit, C_, 'GIDMap')) out.push('--gidmap', m);
  const subuid = lookupNonEmpty(unit, C_, 'SubUIDMap');
  if (subuid) out.push('--subuidname', subuid);
  const subgid = lookupNonEmpty(unit, C_, 'SubGIDMap');
  if (subgid) out.push('--subgidname', subgid);
  if (out.length > 0) return out;
  // Deprecated RemapUsers= family (the decoder has rejected invalid combinations).
  const uids = lookupAllStrv(unit, C_, 'RemapUid');
  const gids = lookupAllStrv(unit, C_, 'RemapGid');
  switch (lookup(unit, C_, 'RemapUsers') ?? '') {
    case 'manual':
      uids.forEach((m) => out.push('--uidmap', m));
      gids.forEach((m) => out.push('--gidmap', m));
      break;
    case 'auto': {
      const opts = [...uids.map((m) => `uidmapping=${m}`), ...gids.map((m) => `gidmapping=${m}`)];
      const size = Number(lookup(unit, C_, 'RemapUidSize') ?? '0');
      if (Number.isInteger(size) && size > 0) opts.push(`size=${size}`);
      out.push('--userns', opts.length ? `auto:${opts.join(',')}` : 'auto');
      break;
    }
    case 'keep-id': {
      const opts = [...uids.slice(0, 1).map((m) => `uid=${m}`), ...gids.slice(0, 1).map((m) => `gid=${m}`)];
      out.push('--userns', opts.length ? `keep-id:${opts.join(',')}` : 'keep-id');
      break;
    }
    default:
      break;
  }
  return out;
}

/** KEY=VALUE keys (Environment=, Label=, ...) as one flag per key, sorted, later assignments winning. */
export function keyValFlags(unit: UnitFile, key: string, flag: string, section: string = C): string[] {
  const map = lookupAllKeyVal(unit, section, key);
  const out: string[] = [];
  for (const k of [...map.keys()].sort()) {
    const v = map.get(k);
    out.push(flag, v === null || v === undefined ? k : `${k}=${v}`);
  }
  return out;
}

function mountFlag(input: FlagInput, value: string): string | undefined {
  const parsed = parseMount(value);
  if (!parsed.ok) {
    input.problems.error(parsed.message, 'Mount');
    return undefined;
  }
  const { type, tokens } = parsed.mount;
  if (!SOURCE_RESOLVED_TYPES.includes(type)) return value;
  const resolved: string[] = [];
  for (const t of tokens) {
    const m = /^(source|src)=(.*)$/.exec(t);
    if (!m) {
      resolved.push(t);
      continue;
    }
    const src = storageSource(input, m[2] as string, true, 'Mount');
    if (src === undefined) return undefined;
    // Quadlet writes the resolved source as source= whichever spelling the definition used.
    resolved.push(`source=${src}`);
  }
  return joinCsv([`type=${type}`, ...resolved]);
}

/** Volume= as -v flags; a .volume reference becomes its volume's name (Requires=/After= its unit). */
export function volumeFlags(input: FlagInput): string[] {
  const out: string[] = [];
  for (const volume of lookupAll(input.def.unit, input.section ?? C, 'Volume')) {
    const parts = volume.split(':');
    const hasSource = parts.length >= 2;
    const dest = hasSource ? (parts[1] as string) : (parts[0] as string);
    const options = parts.length >= 3 ? `:${parts.slice(2).join(':')}` : '';
    if (!hasSource || parts[0] === '') {
      out.push('-v', dest);
      continue;
    }
    const source = storageSource(input, parts[0] as string, false, 'Volume');
    if (source !== undefined) out.push('-v', `${source}:${dest}${options}`);
  }
  return out;
}

/** All run flags of a definition, in Quadlet's order, between `run --name ...` and the image. */
export function runFlags(input: FlagInput, opts: { readonly health?: boolean } = {}): string[] {
  const { def, ctx } = input;
  const u = def.unit;
  const out: string[] = [];
  const add = (...args: string[]): void => {
    appendAll(out, args);
  };

  for (const [key, flag] of STRING_FLAGS) {
    const v = lookupNonEmpty(u, C, key);
    if (v !== undefined) add(flag, v);
  }
  // Entrypoint= with an empty value clears the image's entrypoint, so it is passed even when empty.
  const entrypoint = lookupLastEntry(u, C, 'Entrypoint');
  if (entrypoint) add(`--entrypoint=${lookup(u, C, 'Entrypoint')}`);
  for (const [key, flag] of LIST_FLAGS) for (const v of lookupAll(u, C, key)) add(flag, v);
  for (const [key, flag] of BOOL_FLAGS) {
    const b = lookupBoolean(u, C, key);
    if (b !== undefined) add(boolFlag(flag, b));
  }
  const httpProxy = lookupBoolean(u, C, 'HttpProxy');
  if (httpProxy !== undefined) add(boolFlag('--http-proxy', httpProxy));
  appendAll(out, networkFlags(input));

  if (lookupBooleanOr(u, C, 'NoNewPrivileges', false)) add('--security-opt=no-new-privileges');
  if (lookupBooleanOr(u, C, 'SecurityLabelDisable', false)) add('--security-opt', 'label=disable');
  if (lookupBooleanOr(u, C, 'SecurityLabelNested', false)) add('--security-opt', 'label=nested');
  for (const [key, opt] of [
    ['SecurityLabelType', 'type'],
    ['SecurityLabelFileType', 'filetype'],
    ['SecurityLabelLevel', 'level'],
  ] as const) {
    const v = lookupNonEmpty(u, C, key);
    if (v) add('--security-opt', `label=${opt}:${v}`);
  }
  const apparmor = lookupNonEmpty(u, C, 'AppArmor');
  if (apparmor) add('--security-opt', `apparmor=${apparmor}`);

  for (let device of lookupAllStrv(u, C, 'AddDevice')) {
    if (device.startsWith('-')) {
      device = device.slice(1);
      if (!ctx.fileExists(device.split(':')[0] as string)) continue;
    }
    add('--device', device);
  }
  const seccomp = lookup(u, C, 'SeccompProfile');
  if (seccomp !== undefined) add('--security-opt', `seccomp=${seccomp}`);
  for (const cap of lookupAllStrv(u, C, 'DropCapability')) add('--cap-drop', cap.toLowerCase());
  for (const cap of lookupAllStrv(u, C, 'AddCapability')) add('--cap-add', cap.toLowerCase());
  for (const s of lookupAllStrv(u, C, 'Sysctl')) add('--sysctl', s);

  const readOnly = lookupBoolean(u, C, 'ReadOnly');
  if (readOnly !== undefined) add(boolFlag('--read-only', readOnly));
  if (lookupBooleanOr(u, C, 'VolatileTmp', false) && !readOnly) add('--tmpfs', '/tmp:rw,size=512M,mode=1777');

  const user = lookupNonEmpty(u, C, 'User');
  const group = lookupNonEmpty(u, C, 'Group');
  if (user) add('--user', group ? `${user}:${group}` : user);
  appendAll(out, userMappingFlags(u));

  appendAll(out, volumeFlags(input));

  const autoUpdate = lookupNonEmpty(u, C, 'AutoUpdate');
  if (autoUpdate) add('--label', `io.containers.autoupdate=${autoUpdate}`);
  for (const port of lookupAll(u, C, 'ExposeHostPort')) add('--expose', port.trim());
  for (const port of lookupAll(u, C, 'PublishPort')) add('--publish', port);

  appendAll(out, keyValFlags(u, 'Environment', '--env'));
  appendAll(out, keyValFlags(u, 'Label', '--label'));
  appendAll(out, keyValFlags(u, 'Annotation', '--annotation'));

  for (const mask of lookupAllArgs(u, C, 'Mask')) add('--security-opt', `mask=${mask}`);
  for (const unmask of lookupAllArgs(u, C, 'Unmask')) add('--security-opt', `unmask=${unmask}`);
  for (const envFile of lookupAllArgs(u, C, 'EnvironmentFile')) {
    // A leading "-" (as in systemd's EnvironmentFile=) means "ignore if missing"; keep it in front.
    const optional = envFile.startsWith('-');
    const file = absolutePath(u, optional ? envFile.slice(1) : envFile);
    add('--env-file', optional ? `-${file}` : file);
  }
  for (const secret of lookupAllArgs(u, C, 'Secret')) add('--secret', secret);
  for (const mount of lookupAllArgs(u, C, 'Mount')) {
    const m = mountFlag(input, mount);
    if (m !== undefined) add('--mount', m);
  }
  // A plain lookup, as Quadlet's: one pair of surrounding double quotes goes; quotes inside a
  // command stay for podman to parse. (The podgen engine runs its checks beside the container:
  // plan/health.ts.)
  for (const [key, name] of opts.health === false ? [] : HEALTH_FLAGS) {
    const v = lookupNonEmpty(u, C, key);
    if (v) add(`--health-${name}`, v);
  }
  return out;
}

/** The image argument: a registry reference, or the image a referenced .image/.build unit produces. */
export function imageArgument(input: FlagInput, image: string | undefined, key = 'Image'): string | undefined {
  const { def, service, problems } = input;
  if (image === undefined) return undefined;
  const ext = quadletExtension(image);
  if (ext !== '.image' && ext !== '.build') return image;
  const info = def.related.get(image);
  if (!info?.resourceName) {
    problems.error(`requested Quadlet image ${image} was not found`, key, `put ${image} next to the definition`);
    return undefined;
  }
  service.add('Unit', 'Requires', `${info.serviceName}.service`);
  service.add('Unit', 'After', `${info.serviceName}.service`);
  return info.resourceName;
}
