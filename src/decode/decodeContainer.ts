// Parsed definition -> typed ContainerDefinition, or every problem at once.
// Checks: known sections and keys (with a "did you mean"), each value's
// format, the rules that tie keys together (Quadlet's own errors among them),
// and what the chosen engine can honour. Pure: no disk, no processes.

import type { Diagnostic } from '../errors';
import type { Entry, UnitFile } from '../parse/parseUnitFile';
import { findSection, lookup, lookupAllEntries, lookupLastEntry, lookupNonEmpty } from '../parse/lookup';
import { EXEC_FLAGS, SplitError, STRV_FLAGS, splitWords } from '../parse/splitWords';
import type { RelatedUnit } from '../resolve/relatedUnits';
import { templateParts, type TemplateParts } from '../resolve/unitName';
import {
  CONTAINER_KEY_INDEX,
  CONTAINER_KEYS,
  type KeySpec,
  QUADLET_KEY_INDEX,
  UNSUPPORTED_SERVICE_KEYS,
} from './containerKeys';
import { parseMount } from './mount';
import { parseRestartPolicy, type RestartPolicy, SYSTEMD_RESTART_VALUES } from '../restart/policy';
import { checkSpecifiers } from './specifiers';
import { checkSystemdSections } from './systemdSections';
import { suggest } from './suggest';
import { unitNameProblem, unitNameSuggestion } from '../values/unitName';
import { containerName as containerNameCheck } from './validate';

export type Engine = 'podgen' | 'podman';
export const ENGINES: readonly Engine[] = ['podgen', 'podman'];

export interface ContainerDefinition {
  readonly kind: 'container';
  /** The merged definition; planners read keys through parse/lookup with Quadlet's semantics. */
  readonly unit: UnitFile;
  readonly sourcePath: string;
  readonly template: TemplateParts;
  /** Service unit name without ".service" (ServiceName= or the file's base name). */
  readonly serviceName: string;
  readonly image: string | undefined;
  readonly rootfs: string | undefined;
  readonly restart: RestartPolicy | undefined;
  readonly runtime: 'runc' | 'crun';
  readonly related: ReadonlyMap<string, RelatedUnit>;
}

export interface DecodeResult {
  readonly definition: ContainerDefinition | undefined;
  readonly diagnostics: Diagnostic[];
}

const KNOWN_SECTIONS = ['Unit', 'Service', 'Install', 'Container', 'Quadlet'];

export interface DecodeInput {
  readonly unit: UnitFile;
  readonly sourcePath: string;
  readonly engine: Engine;
  readonly related: ReadonlyMap<string, RelatedUnit>;
}

export function decodeContainer(input: DecodeInput): DecodeResult {
  const { unit, engine } = input;
  const diagnostics: Diagnostic[] = [];
  const file = input.sourcePath || unit.filename;
  const report = (severity: 'error' | 'warning', at: Entry | undefined, message: string, hint?: string, key?: string): void => {
    diagnostics.push({
      severity,
      file: at?.file ?? file,
      line: at?.line,
      section: 'Container',
      key: key ?? at?.key,
      message,
      hint,
    });
  };
  const error = (at: Entry | undefined, message: string, hint?: string): void => report('error', at, message, hint);
  const warn = (at: Entry | undefined, message: string, hint?: string): void => report('warning', at, message, hint);

  // Sections: systemd ignores (with a warning) sections it does not know; refuse them here instead.
  for (const s of unit.sections) {
    if (KNOWN_SECTIONS.includes(s.name) || s.name.startsWith('X-')) continue;
    diagnostics.push({
      severity: 'error',
      file: s.file,
      line: s.line,
      message: `unknown section [${s.name}]; a .container file may hold [Unit], [Container], [Service], [Install], [Quadlet] and [X-*] sections`,
      hint: suggestion(s.name, KNOWN_SECTIONS) ?? `keep custom data in [X-${s.name}], which systemd ignores`,
    });
  }
  if (!findSection(unit, 'Container')) {
    error(undefined, 'no [Container] section', 'a definition needs at least:\n    [Container]\n    Image=docker.io/library/nginx:1.25');
  }

  checkKeys(unit, 'Container', CONTAINER_KEY_INDEX, engine, diagnostics);
  checkSpecifiers(unit, diagnostics);
  checkSystemdSections(unit, diagnostics);
  checkKeys(unit, 'Quadlet', QUADLET_KEY_INDEX, engine, diagnostics);

  const entry = (key: string): Entry | undefined => lookupLastEntry(unit, 'Container', key);
  const image = lookupNonEmpty(unit, 'Container', 'Image');
  const rootfs = lookupNonEmpty(unit, 'Container', 'Rootfs');
  if (!image && !rootfs) {
    const section = findSection(unit, 'Container');
    const at = entry('Image') ?? (section && { key: 'Image', value: '', file: section.file, line: section.line });
    error(at, 'no Image or Rootfs key specified', 'add Image=REGISTRY/NAME:TAG to [Container]');
  }
  if (image && rootfs) error(entry('Rootfs'), 'the Image And Rootfs keys conflict can not be specified together');
  if (image && !isUnambiguousImage(image)) {
    warn(
      entry('Image'),
      `${unit.filename} specifies the image "${image}" which not a fully qualified image name`,
      'this is not ideal for performance and security; write it with its registry, e.g. docker.io/library/' + image,
    );
  }

  if (lookupNonEmpty(unit, 'Container', 'Group') && !lookupNonEmpty(unit, 'Container', 'User')) {
    error(entry('Group'), 'invalid Group set without User', 'set User= too (Group= alone is ambiguous)');
  }

  checkUserMappings(unit, 'Container', true, diagnostics);

  if (lookupNonEmpty(unit, 'Container', 'ReloadCmd') && lookupNonEmpty(unit, 'Container', 'ReloadSignal')) {
    error(entry('ReloadSignal'), 'ReloadCmd and ReloadSignal are mutually exclusive but both are set');
  }

  for (const m of lookupAllEntries(unit, 'Container', 'Mount')) {
    for (const word of splitLenient(m.value, EXEC_FLAGS)) {
      const parsed = parseMount(word);
      if (!parsed.ok) error(m, parsed.message);
    }
  }

  checkServiceChoice(unit, 'KillMode', ['mixed', 'control-group'], `invalid KillMode`, 'containers need KillMode=mixed (the default) or KillMode=control-group', diagnostics);
  checkServiceChoice(unit, 'Type', ['notify', 'oneshot'], `invalid service Type`, 'leave Type= unset, or use Type=oneshot for a container that runs to completion', diagnostics);
  warnUnsupportedServiceKeys(unit, engine, diagnostics);

  const restart = decodeRestart(unit, diagnostics);

  const serviceNameEntry = entry('ServiceName');
  const serviceName = lookupNonEmpty(unit, 'Container', 'ServiceName') ?? unit.filename.replace(/\.container$/, '');
  if (serviceNameEntry && (serviceName.includes('/') || serviceName.includes('..'))) {
    error(serviceNameEntry, `ServiceName "${serviceName}" would escape the unit directory`, 'use a plain name without "/" or ".."');
  }
  // Without ServiceName=, the file's name is the unit's name, and systemd has rules for those.
  const fromFileName = unitNameProblem(`${serviceName}.service`);
  if (!lookupNonEmpty(unit, 'Container', 'ServiceName') && fromFileName) {
    const better = unitNameSuggestion(serviceName);
    diagnostics.push({
      severity: 'error',
      file,
      message: `the file name ${unit.filename} cannot name a systemd unit: ${fromFileName}`,
      hint: `rename it (e.g. ${better}${unit.filename.slice(serviceName.length)}), or set ServiceName=${better} in [Container]`,
    });
  }

  if (!fromFileName || lookupNonEmpty(unit, 'Container', 'ServiceName')) checkDefaultContainerName(unit, serviceName, engine, file, diagnostics);

  const runtime = (lookupNonEmpty(unit, 'Container', 'Runtime') ?? 'runc') as 'runc' | 'crun';
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return {
    diagnostics,
    definition: ok
      ? {
          kind: 'container',
          unit,
          sourcePath: input.sourcePath,
          template: templateParts(unit.filename),
          serviceName,
          image,
          rootfs,
          restart,
          runtime,
          related: input.related,
        }
      : undefined,
  };
}

/**
 * Without ContainerName=, the container is named after the unit (%N, or %p_%i for an instance;
 * podman's prefix "systemd-"); runc and podman take [a-zA-Z0-9][a-zA-Z0-9_.-]* only, so a unit
 * name such as "x:y" or "-x" would fail at start. A bare template's instance is only known then.
 */
function checkDefaultContainerName(unit: UnitFile, serviceName: string, engine: Engine, file: string, diagnostics: Diagnostic[]): void {
  if (lookupNonEmpty(unit, 'Container', 'ContainerName')) return;
  const { prefix, instance, isTemplate } = templateParts(`${serviceName}.service`);
  if (isTemplate && instance === '') return;
  const name = `${engine === 'podman' ? 'systemd-' : ''}${isTemplate ? `${prefix}_${instance}` : serviceName}`;
  const problem = containerNameCheck(name);
  if (!problem) return;
  diagnostics.push({
    severity: 'error',
    file,
    message: `without ContainerName=, the unit name ${serviceName}.service names the container: ${problem}`,
    hint: `set ContainerName= in [Container] (letters, digits, "_", "." and "-", starting with a letter or digit)`,
  });
}

/** [Service] User=/Group=/DynamicUser= do not reach a container (podman runs as the unit's user): Quadlet warns. */
export function warnUnsupportedServiceKeys(unit: UnitFile, engine: Engine, diagnostics: Diagnostic[]): void {
  // Quadlet writes these lines through with a warning whatever their value, and --engine podman
  // accepts what Quadlet accepts: a value systemd cannot read is one more reason for the warning
  // there (systemd ignores the line). The podgen engine refuses it.
  if (engine === 'podman') {
    diagnostics.forEach((d, i) => {
      if (isUnsupportedServiceKey(d.section, d.key) && d.severity === 'error') diagnostics[i] = { ...d, severity: 'warning' };
    });
  }
  for (const key of UNSUPPORTED_SERVICE_KEYS) {
    const e = lookupLastEntry(unit, 'Service', key);
    if (e) {
      diagnostics.push(
        diagnosticAt('warning', e, 'Service', `using key ${key} in the Service group is not supported - use at your own risk`, `set ${key}= in [Container] to choose the user inside the container`),
      );
    }
  }
}

export function isUnsupportedServiceKey(section: string | undefined, key: string | undefined): boolean {
  return section === 'Service' && (UNSUPPORTED_SERVICE_KEYS as readonly (string | undefined)[]).includes(key);
}

/** A diagnostic located at an entry (its file, line, section and key). */
function diagnosticAt(severity: 'error' | 'warning', e: Entry, section: string, message: string, hint?: string): Diagnostic {
  return { severity, file: e.file, line: e.line, section, key: e.key, message, hint };
}

/** [Service] settings a container unit only works with a few values of (Quadlet's rules). */
export function checkServiceChoice(unit: UnitFile, key: string, allowed: readonly string[], what: string, hint: string, diagnostics: Diagnostic[]): void {
  const e = lookupLastEntry(unit, 'Service', key);
  if (e && !allowed.includes(lookup(unit, 'Service', key) as string)) {
    diagnostics.push(diagnosticAt('error', e, 'Service', `${what} '${e.value}'`, hint));
  }
}

function suggestion(name: string, known: readonly string[]): string | undefined {
  const s = suggest(name, known);
  return s ? `did you mean "${s}"?` : undefined;
}

export function checkKeys(
  unit: UnitFile,
  sectionName: string,
  index: ReadonlyMap<string, KeySpec>,
  engine: Engine,
  diagnostics: Diagnostic[],
): void {
  const section = findSection(unit, sectionName);
  if (!section) return;
  const known = [...index.keys()];
  const seen = new Set<string>();
  for (const e of section.entries) {
    const spec = index.get(e.key);
    const at = { file: e.file, line: e.line, section: sectionName, key: e.key };
    if (!spec) {
      const s = suggest(e.key, known);
      diagnostics.push({
        severity: 'error',
        ...at,
        message: `unknown key "${e.key}" in [${sectionName}]${s ? `; did you mean "${s}"?` : ''}`,
        hint: s ? undefined : 'docs/definition.md lists every key podgen accepts',
      });
      continue;
    }
    if (engine === 'podgen' && !spec.podgen && !seen.has(e.key)) {
      diagnostics.push({
        severity: 'error',
        ...at,
        message: `key "${e.key}" is not supported by the podgen engine`,
        hint: 'remove it, or generate for podman with --engine podman',
      });
    }
    if (spec.deprecated && !seen.has(e.key)) {
      diagnostics.push({ severity: 'warning', ...at, message: `key "${e.key}" is deprecated`, hint: spec.deprecated });
    }
    seen.add(e.key);
  }
  for (const spec of index.values()) checkValues(unit, sectionName, spec, engine, diagnostics);
}

/** Validate the effective value(s) of one key according to its shape. */
function checkValues(unit: UnitFile, sectionName: string, spec: KeySpec, engine: Engine, diagnostics: Diagnostic[]): void {
  const push = (e: Entry, message: string, severity: 'error' | 'warning' = 'error', hint?: string): void => {
    diagnostics.push({ severity, file: e.file, line: e.line, section: sectionName, key: spec.name, message, hint });
  };
  const validate = (e: Entry, item: string): void => {
    const problem = spec.check?.(item);
    if (problem) push(e, `${spec.name}=: ${problem}`);
  };
  switch (spec.shape) {
    case 'scalar': {
      const e = lookupLastEntry(unit, sectionName, spec.name);
      const value = lookup(unit, sectionName, spec.name);
      if (e && value !== undefined && value !== '') validate(e, value);
      return;
    }
    case 'list':
      for (const e of lookupAllEntries(unit, sectionName, spec.name)) validate(e, e.value.trim());
      return;
    case 'words':
    case 'args':
    case 'keyval':
      for (const e of lookupAllEntries(unit, sectionName, spec.name)) {
        const strict = spec.shape === 'words' ? { retainEscape: true, unquote: true } : { unquote: true, cUnescape: true };
        let words: string[];
        try {
          words = splitWords(e.value, strict);
        } catch (err) {
          if (!(err instanceof SplitError)) throw err;
          // Quadlet reads such values leniently (or drops them); podgen's own engine refuses them.
          const message = `${spec.name}=: ${err.message} in: ${e.value}`;
          if (engine === 'podman') push(e, `${message}; podman's Quadlet reads it leniently or drops it`, 'warning');
          else push(e, message, 'error', 'close every quote, and write a literal backslash as \\\\');
          continue;
        }
        for (const w of words) validate(e, w);
      }
      return;
    default: {
      const never: never = spec.shape;
      throw new Error(`unhandled key shape ${String(never)}`);
    }
  }
}

function splitLenient(value: string, flags: typeof STRV_FLAGS): string[] {
  return splitWords(value, { ...flags, relax: true, unescapeRelax: true });
}

/** Quadlet's rules for the user-namespace keys of [Container], [Pod] and [Kube] (RemapUsers=manual only where supportManual). */
export function checkUserMappings(unit: UnitFile, section: string, supportManual: boolean, diagnostics: Diagnostic[]): void {
  const entry = (key: string): Entry | undefined => lookupLastEntry(unit, section, key);
  const error = (at: Entry | undefined, message: string, hint?: string): void => {
    diagnostics.push({ severity: 'error', file: at?.file ?? unit.path, line: at?.line, section, key: at?.key, message, hint });
  };
  const explicit = ['UserNS', 'UIDMap', 'GIDMap', 'SubUIDMap', 'SubGIDMap'].some((k) => lookupNonEmpty(unit, section, k));
  const remapKeys = ['RemapUid', 'RemapGid', 'RemapUsers'].filter((k) => lookupLastEntry(unit, section, k));
  if (explicit && remapKeys.length > 0) {
    error(entry(remapKeys[0] as string), 'deprecated Remap keys are set along with explicit mapping keys', 'keep UserNS=/UIDMap=/GIDMap= and drop the Remap* keys');
    return;
  }
  if (explicit) return;
  const remapUsers = lookup(unit, section, 'RemapUsers') ?? '';
  const uids = lookupAllEntries(unit, section, 'RemapUid');
  const gids = lookupAllEntries(unit, section, 'RemapGid');
  switch (remapUsers) {
    case '':
      if (uids.length > 0) error(uids[0], 'UidMap set without RemapUsers');
      if (gids.length > 0) error(gids[0], 'GidMap set without RemapUsers');
      return;
    case 'manual':
      if (!supportManual) error(entry('RemapUsers'), 'RemapUsers=manual is not supported', 'use UserNS=auto or keep-id');
      return;
    case 'auto':
      return;
    case 'keep-id':
      if (uids.length > 1) error(uids[1], 'RemapUsers=keep-id supports only a single value for UID mapping');
      if (gids.length > 1) error(gids[1], 'RemapUsers=keep-id supports only a single value for GID mapping');
      return;
    default:
      error(entry('RemapUsers'), `unsupported RemapUsers option '${remapUsers}'`, 'use UserNS= instead (RemapUsers is deprecated)');
  }
}

function decodeRestart(unit: UnitFile, diagnostics: Diagnostic[]): RestartPolicy | undefined {
  const policyEntry = lookupLastEntry(unit, 'Container', 'RestartPolicy');
  const serviceEntry = lookupLastEntry(unit, 'Service', 'Restart');
  const serviceValue = lookup(unit, 'Service', 'Restart');
  let policy: RestartPolicy | undefined;
  const policyValue = lookup(unit, 'Container', 'RestartPolicy');
  if (policyEntry && policyValue) {
    const parsed = parseRestartPolicy(policyValue);
    if (parsed.ok) policy = parsed.policy;
    else {
      diagnostics.push(diagnosticAt('error', policyEntry, 'Container', `RestartPolicy=: ${parsed.message}`));
    }
  }
  if (serviceEntry && serviceValue) {
    if (!SYSTEMD_RESTART_VALUES.includes(serviceValue)) {
      const docker = serviceValue.startsWith('on-failure:') || serviceValue === 'unless-stopped';
      diagnostics.push(
        diagnosticAt(
          'error',
          serviceEntry,
          'Service',
          `Restart=: "${serviceValue}" is not a systemd restart setting (${SYSTEMD_RESTART_VALUES.join(', ')})`,
          docker ? `Docker's spelling belongs in [Container] RestartPolicy=${serviceValue}` : undefined,
        ),
      );
    } else if (policyEntry) {
      diagnostics.push(
        diagnosticAt(
          'error',
          serviceEntry,
          'Service',
          `both [Container] RestartPolicy= (line ${policyEntry.line}) and [Service] Restart= are set`,
          'keep one: RestartPolicy= for Docker semantics, or Restart= for plain systemd behaviour',
        ),
      );
    } else {
      policy = { kind: 'systemd', restart: serviceValue };
    }
  }
  checkOneshotRestart(unit, policy, policyEntry ?? serviceEntry, diagnostics);
  return policy;
}

/** systemd refuses a Type=oneshot service that restarts after a clean exit (Restart=always or on-success). */
function checkOneshotRestart(unit: UnitFile, policy: RestartPolicy | undefined, at: Entry | undefined, diagnostics: Diagnostic[]): void {
  const typeEntry = lookupLastEntry(unit, 'Service', 'Type');
  if (!at || !policy || lookup(unit, 'Service', 'Type') !== 'oneshot') return;
  const cleanExitRestarts = policy.kind === 'always' || policy.kind === 'unless-stopped' || (policy.kind === 'systemd' && ['always', 'on-success'].includes(policy.restart));
  if (!cleanExitRestarts) return;
  const section = at.key === 'RestartPolicy' ? 'Container' : 'Service';
  diagnostics.push(
    diagnosticAt(
      'error',
      at,
      section,
      `${at.key}=${at.value} restarts the container after it exits cleanly, which systemd refuses for Type=oneshot (line ${typeEntry?.line ?? '?'})`,
      'drop Type=oneshot for a long-running container, or use RestartPolicy=on-failure for one that runs to completion',
    ),
  );
}

/** Quadlet's test for a fully qualified image name (registry given, or an image id). */
export function isUnambiguousImage(image: string): boolean {
  if (image.endsWith('.image') || image.endsWith('.build')) return true;
  if (image.startsWith('sha256:') || /^[0-9a-fA-F]{64}$/.test(image)) return true;
  const slash = image.indexOf('/');
  if (slash === -1) return false;
  const domain = image.slice(0, slash);
  return /[.:]/.test(domain) || domain === 'localhost';
}

export const ALL_CONTAINER_KEYS = CONTAINER_KEYS.map((k) => k.name);
